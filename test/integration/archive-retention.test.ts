/**
 * The archive's retention (`prismaRollback.archive.retentionDays`, issue 12) on a real PostgreSQL 15:
 * after a successful deploy, the archives older than the retention of migrations still applied are
 * purged and the deploy lists them; the archive of a migration that is rolled back, or taken within
 * the retention, stays. Ages are set by moving `taken_at` back in the catalog.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listArchive } from '../../src/core/archive';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { applyDown } from '../../src/core/runbook/apply-down';
import { deployMigrations } from '../../src/core/runbook/resolve';
import { runCli } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

const INIT = `CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "age" INTEGER,
    "meta" JSONB,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "Log" ("line" TEXT);
`;
const A = '20240201000000_drop_age';
const B = '20240202000000_drop_meta';
const C = '20240203000000_add_nick';
const D = '20240204000000_drop_log';

describe('archive retention (real PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);

  beforeEach(async () => {
    lines.length = 0;
    db = await createTestDatabase('retention');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    await query(
      db.url,
      `INSERT INTO "User" (email, age, meta) VALUES ('a@x.io', 31, '{"k": 1}'), ('b@x.io', NULL, '[]');
       INSERT INTO "Log" VALUES ('l1'), ('l2');`,
    );
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  /** Adds migration `name` with the generator's down.sql. */
  async function add(name: string, sql: string) {
    await mig.add(name, sql);
    const folder = await readMigrationsFolder(mig.dir);
    const history = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    const r = await generateRollback(history, history.length - 1);
    await fs.writeFile(path.join(mig.dir, name, 'down.sql'), r.sql);
  }

  const age = (migration: string, days: number) =>
    query(
      db.url,
      `UPDATE _prisma_rollback.archive SET taken_at = now() - interval '${days} days' WHERE migration = '${migration}'`,
    );

  async function archived(): Promise<[string, string, string][]> {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await listArchive(c)).map((e) => [e.migration, e.table, e.origin]);
    } finally {
      await c.end();
    }
  }

  /**
   * A (applied, archive 40 days old), B (applied, 10 days), C (rolled back: its rollback archived
   * the values of "nick", 40 days old, folder deleted), then D deployed with a retention of 30 days.
   */
  async function history() {
    await add(A, 'ALTER TABLE "User" DROP COLUMN "age";\n');
    await add(B, 'ALTER TABLE "User" DROP COLUMN "meta";\n');
    await add(C, 'ALTER TABLE "User" ADD COLUMN "nick" TEXT;\n');
    expect(
      (await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log })).applied,
    ).toEqual([A, B, C]);
    await query(db.url, `UPDATE "User" SET nick = 'n-' || id`);
    await applyDown({ url: db.url, environment: 'local', migrationsDir: mig.dir, migration: C, log });
    await mig.remove(C);
    await age(A, 40);
    await age(B, 10);
    await age(C, 40);
    expect(await archived()).toEqual([
      [A, 'User', 'deploy'],
      [C, 'User', 'rollback'],
      [B, 'User', 'deploy'],
    ]);
    await add(D, 'DROP TABLE "Log";\n');
  }

  it('purges only the old archives of applied migrations, and says what it purged', async () => {
    await history();
    lines.length = 0;
    const d = await deployMigrations({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      log,
      archive: { enabled: true, retentionDays: 30 },
    });
    expect(d.applied).toEqual([D]);
    expect(d.purged.map((e) => [e.migration, e.table, e.kind, e.rows])).toEqual([[A, 'User', 'columns', 2]]);
    expect(lines).toContainEqual(
      '  archive retention (30 days): purged 1 archived object(s) of applied migrations; a rollback of these can no longer restore their data:',
    );
    expect(lines.some((l) => l.startsWith(`    ${A}: columns of User (2 row(s), `))).toBe(true);
    expect(await archived()).toEqual([
      [C, 'User', 'rollback'],
      [B, 'User', 'deploy'],
      [D, 'Log', 'deploy'],
    ]);
    // the data table went with the catalog row
    const tables = await query<{ n: number }>(
      db.url,
      "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = '_prisma_rollback' AND tablename <> 'archive'",
    );
    expect(tables[0].n).toBe(3);
  });

  it('no retention (default): nothing is purged', async () => {
    await history();
    const d = await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    expect(d.purged).toEqual([]);
    expect((await archived()).map((e) => e[0])).toEqual([A, C, B, D]);
  });

  it('CLI: deploy reads archive.retentionDays from the settings file; a bad value is one line', async () => {
    await fs.writeFile(
      path.join(mig.root, 'package.json'),
      JSON.stringify({ name: 'app', private: true, devDependencies: { prisma: '6.19.0' } }),
    );
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await fs.mkdir(path.join(mig.root, '.vscode'));
    const settings = (days: unknown) =>
      fs.writeFile(
        path.join(mig.root, '.vscode', 'settings.json'),
        `{ "prismaRollback.environments": [{ "name": "local", "urlEnv": "LOCAL_URL" }], "prismaRollback.archive.retentionDays": ${JSON.stringify(days)} }`,
      );
    const env = { LOCAL_URL: db.url };
    await history();
    await settings('soon');
    const bad = await runCli(['deploy', '--env', 'local'], mig.root, env);
    expect([bad.code, bad.err.trim()]).toEqual([
      2,
      'prismaRollback.archive.retentionDays must be a number of days ≥ 0 (0: keep forever), not "soon".',
    ]);
    await settings(30);
    const ok = await runCli(['deploy', '--env', 'local'], mig.root, env);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('archive retention (30 days): purged 1 archived object(s)');
    expect(ok.out).toContain(`    ${A}: columns of User (2 row(s), `);
    expect((await archived()).map((e) => e[0])).toEqual([C, B, D]);
  });
});
