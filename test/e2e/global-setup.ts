/**
 * Global set-up of `npm run test:e2e`: installs what is missing (scripts/e2e/setup.sh), builds
 * and packages the extension, starts a real PostgreSQL 15 and code-server 4.139.1 with the
 * .vsix installed. Each journey then creates its own sample workspace and databases
 * (scripts/e2e/harness.ts createSample) and opens it in Chromium.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  CHROMIUM,
  type CodeServer,
  ensureSetup,
  log,
  type Postgres,
  packageExtension,
  REPO,
  since,
  startCodeServer,
  startPostgres,
} from '../../scripts/e2e/harness';

export default async function setup(project: TestProject) {
  const started = Date.now();
  const screenshotsDir = path.join(REPO, 'test-results', 'e2e-screenshots');
  await fs.rm(screenshotsDir, { recursive: true, force: true });
  await fs.mkdir(screenshotsDir, { recursive: true });

  ensureSetup();
  const packaged = packageExtension();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-e2e-'));
  // A copy: a build started meanwhile (npm run build/watch) empties dist/.
  const vsix = path.join(root, path.basename(packaged));
  await fs.copyFile(packaged, vsix);
  const samplesDir = path.join(root, 'workspaces');
  await fs.mkdir(samplesDir);
  let pg: Postgres | undefined;
  let cs: CodeServer | undefined;
  const teardown = async () => {
    await cs?.stop();
    await pg?.stop();
    await fs.rm(root, { recursive: true, force: true });
    const shots = (await fs.readdir(screenshotsDir).catch(() => [] as string[])).filter((f) =>
      f.endsWith('.png'),
    );
    log(`${shots.length} screenshots in ${screenshotsDir}`);
    log(`whole e2e run: ${since(started)}`);
  };
  try {
    pg = await startPostgres();
    cs = await startCodeServer({ root, vsix });
  } catch (e) {
    await teardown();
    throw e;
  }
  log(`global set-up done in ${since(started)}`);

  project.provide('codeServerUrl', cs.url);
  project.provide('adminUrl', pg.adminUrl);
  project.provide('samplesDir', samplesDir);
  project.provide('screenshotsDir', screenshotsDir);
  project.provide('userDataDir', cs.userDataDir);
  project.provide('chromiumPath', CHROMIUM);
  return teardown;
}

declare module 'vitest' {
  export interface ProvidedContext {
    codeServerUrl: string;
    samplesDir: string;
    screenshotsDir: string;
    userDataDir: string;
    chromiumPath: string;
  }
}
