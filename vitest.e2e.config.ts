import { defineConfig } from 'vitest/config';

/** `npm run test:e2e`: journeys in a real VS Code (code-server) driven through Chromium. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // One code-server, one journey at a time: journeys click through the same UI.
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['verbose'],
  },
});
