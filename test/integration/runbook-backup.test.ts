/**
 * `backup` with Debian's real pg_dump 15 against the run's real PostgreSQL 15: dumps restore
 * into fresh databases with the same rows (plain via psql, custom via pg_restore), `--tables-of`
 * dumps only the rollback's tables, and credentials never reach a command line or a log.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../scripts/lib/postgres';
import { runBackup } from '../../src/core/runbook/backup';
import { RunbookError } from '../../src/core/runbook/errors';
import { pgEnvFromUrl } from '../../src/core/runbook/pg-env';
import { deployMigrations } from '../../src/core/runbook/resolve';
import { rollbackTables } from '../../src/core/runbook/tables';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const run = promisify(execFile);

const INIT = `CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL UNIQUE);
CREATE TYPE "Role" AS ENUM ('ADMIN', 'MEMBER');
ALTER TABLE "User" ADD COLUMN "role" "Role" NOT NULL DEFAULT 'MEMBER';
`;
const WIDGET = `CREATE TABLE "WidgetInstall" ("id" SERIAL PRIMARY KEY, "userId" INTEGER NOT NULL REFERENCES "User"("id"), "config" JSONB);
CREATE INDEX "WidgetInstall_userId_idx" ON "WidgetInstall"("userId");
`;

async function rowsOf(url: string) {
  return {
    users: await query(url, 'SELECT id, email, role::text FROM "User" ORDER BY id'),
    widgets: await query(url, 'SELECT id, "userId", config FROM "WidgetInstall" ORDER BY id'),
  };
}

describe('backup with the real pg_dump', () => {
  let db: TestDatabase;
  const restored: TestDatabase[] = [];
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let out: string;

  beforeAll(async () => {
    db = await createTestDatabase('backup');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_widgets', WIDGET);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir });
    await query(
      db.url,
      `INSERT INTO "User"(email, role) SELECT 'u' || g || '@x.io', CASE WHEN g % 3 = 0 THEN 'ADMIN' ELSE 'MEMBER' END::"Role" FROM generate_series(1, 250) g`,
    );
    await query(
      db.url,
      `INSERT INTO "WidgetInstall"("userId", config) SELECT g, jsonb_build_object('n', g, 'name', 'w''' || g) FROM generate_series(1, 250) g`,
    );
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-backup-'));
  });
  afterAll(async () => {
    await db.drop();
    for (const r of restored) await r.drop();
    await mig.cleanup();
    await fs.rm(out, { recursive: true, force: true });
  });

  it('plain format: the dump restores into a fresh database with the same rows; no password on the command line or in the log', async () => {
    const lines: string[] = [];
    const written: number[] = [];
    const r = await runBackup({
      url: db.url,
      environment: 'local',
      out: path.join(out, 'a', 'full.sql'),
      format: 'plain',
      log: (l) => lines.push(l),
      // Bytes written while pg_dump runs (the checklist's progress): never more than the dump.
      onBytes: (b) => written.push(b),
      bytesEveryMs: 1,
    });
    expect(r.format).toBe('plain');
    expect(written.length).toBeGreaterThan(0);
    expect(written.every((b, i) => b <= r.bytes && (i === 0 || b >= written[i - 1]))).toBe(true);
    expect(r.bytes).toBe((await fs.stat(r.file)).size);
    expect(r.bytes).toBeGreaterThan(10_000);
    expect(r.pgDumpVersion).toMatch(/^15\./);
    expect(r.serverVersion).toMatch(/^15\./);
    const password = decodeURIComponent(new URL(db.url).password);
    expect(password.length).toBeGreaterThan(3);
    expect(r.commandLine).not.toContain(password);
    expect(lines.join('\n')).not.toContain(password);
    expect(lines.join('\n')).toContain('PGPASSWORD');
    expect(lines.at(-1)).toContain(r.file);

    const fresh = await createTestDatabase('restore');
    restored.push(fresh);
    await run('psql', ['-v', 'ON_ERROR_STOP=1', '-q', '-f', r.file], {
      env: { ...process.env, ...pgEnvFromUrl(fresh.url) },
    });
    expect(await rowsOf(fresh.url)).toEqual(await rowsOf(db.url));
    expect((await rowsOf(fresh.url)).users).toHaveLength(250);
    expect(await query(fresh.url, 'SELECT count(*)::int AS n FROM _prisma_migrations')).toEqual([{ n: 2 }]);
  });

  it('custom format: pg_restore --list reads it and pg_restore restores the same rows', async () => {
    const r = await runBackup({
      url: db.url,
      environment: 'local',
      out: path.join(out, 'full.dump'),
      format: 'custom',
    });
    expect(r.archiveEntries).toBeGreaterThan(10);
    const fresh = await createTestDatabase('restore');
    restored.push(fresh);
    await run('pg_restore', ['--exit-on-error', '--no-owner', '-d', fresh.name, r.file], {
      env: { ...process.env, ...pgEnvFromUrl(fresh.url) },
    });
    expect(await rowsOf(fresh.url)).toEqual(await rowsOf(db.url));
  });

  it('--tables-of: dumps only the tables the rollback touches', async () => {
    const t = await rollbackTables(mig.dir, '20240102000000_widgets');
    expect(t.tables.map((x) => x.name).sort()).toEqual(['User', 'WidgetInstall']);
    await fs.writeFile(
      path.join(mig.dir, '20240102000000_widgets', 'down.sql'),
      'DROP TABLE "WidgetInstall";\n',
    );
    const d = await rollbackTables(mig.dir, '20240102000000_widgets');
    expect(d.tables).toEqual([{ name: 'WidgetInstall', schema: undefined }]);
    const r = await runBackup({
      url: db.url,
      environment: 'local',
      out: path.join(out, 'w.dump'),
      format: 'custom',
      tables: d.tables,
    });
    expect(r.tables).toEqual(['"public"."WidgetInstall"']);
    const { stdout } = await run('pg_restore', ['--list', r.file]);
    expect(stdout).toContain('TABLE public WidgetInstall');
    expect(stdout).not.toContain('TABLE public User');
    expect(stdout).not.toContain('_prisma_migrations');
  });

  it('refuses when pg_dump is older than the server, with what to install', async () => {
    // A pg_dump that reports major 14 (the real server is 15): the check must refuse before dumping.
    const fake = path.join(out, 'old-bin', 'pg_dump');
    await fs.mkdir(path.dirname(fake), { recursive: true });
    await fs.writeFile(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 14.11"\n', { mode: 0o755 });
    const target = path.join(out, 'never.sql');
    const e = await runBackup({ url: db.url, environment: 'production', out: target, pgDumpPath: fake }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(RunbookError);
    expect((e as RunbookError).code).toBe('pgDumpTooOld');
    expect((e as RunbookError).message).toMatch(
      /pg_dump 14\.11 cannot dump production: its server runs PostgreSQL 15\.\d+/,
    );
    expect((e as RunbookError).message).toContain('postgresql-client-15');
    expect((e as RunbookError).message).toContain('prismaRollback.pgDumpPath');
    await expect(fs.stat(target)).rejects.toThrow();
  });

  it("refuses a real newer server (PostgreSQL 18) with the machine's pg_dump 15, naming what to install", async () => {
    const { stdout: version } = await run('pg_dump', ['--version']);
    const dumpMajor = Number(/(\d+)\./.exec(version)?.[1]);
    expect(dumpMajor).toBeLessThan(18);
    const server = await startEmbeddedPostgres('pg18', { newer: true });
    try {
      const [row] = await query<{ v: string }>(
        server.adminUrl,
        "SELECT current_setting('server_version') AS v",
      );
      expect(row.v).toMatch(/^18\./);
      const target = path.join(out, 'never18.sql');
      const e = await runBackup({ url: server.adminUrl, environment: 'staging', out: target }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(RunbookError);
      expect((e as RunbookError).code).toBe('pgDumpTooOld');
      expect((e as RunbookError).message).toMatch(/cannot dump staging: its server runs PostgreSQL 18\.\d+/);
      expect((e as RunbookError).message).toContain('postgresql-client-18');
      expect((e as RunbookError).message).not.toContain(new URL(server.adminUrl).password);
      await expect(fs.stat(target)).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });

  it('says how to install pg_dump when it is missing, and reports pg_dump failures without secrets', async () => {
    const missing = await runBackup({
      url: db.url,
      environment: 'local',
      out: path.join(out, 'x.sql'),
      pgDumpPath: '/nonexistent/pg_dump',
    }).catch((x) => x);
    expect(missing).toBeInstanceOf(RunbookError);
    expect(missing.message).toContain('apt install postgresql-client');

    const u = new URL(db.url);
    u.password = 'wrong-secret-123';
    const denied = await runBackup({
      url: u.toString(),
      environment: 'local',
      out: path.join(out, 'y.sql'),
    }).catch((x) => x);
    expect(denied).toBeInstanceOf(RunbookError);
    expect(denied.message).not.toContain('wrong-secret-123');
  });
});
