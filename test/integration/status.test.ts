/**
 * The status engine against a real PostgreSQL whose states are built by Prisma's own engine
 * (applyMigrations = `migrate deploy`, markMigrationRolledBack = `migrate resolve --rolled-back`).
 * Every state is asserted both from our combined status and from Prisma's engine diagnosis.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/core/db';
import { checksumMatches, prismaChecksum } from '../../src/core/migrations';
import { computeStatus, isUpToDate, readMigrationRows } from '../../src/core/status';
import type { EnvironmentStatus } from '../../src/core/status/types';
import { deploy, markRolledBack, tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const INIT = `-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`;
const POST = `CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "authorId" INTEGER NOT NULL REFERENCES "User"("id"));\n`;
const INDEX = `CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");\n`;
const BROKEN = `ALTER TABLE "User" ADD COLUMN "name" TEXT;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n`;

function stateOf(s: EnvironmentStatus, name: string) {
  const m = s.migrations.find((x) => x.name === name);
  if (!m) throw new Error(`${name} not in status: ${s.migrations.map((x) => x.name).join(', ')}`);
  return m.state;
}

describe('status engine on a real PostgreSQL', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  const status = () => computeStatus({ environment: 'local', migrationsDir: mig.dir, url: db.url });

  beforeEach(async () => {
    db = await createTestDatabase('status');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_post', POST);
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  it('no migrations table: everything pending', async () => {
    const s = await status();
    expect(s.diagnosis.kind).toBe('noMigrationsTable');
    expect(s.migrations.map((m) => m.state)).toEqual(['pending', 'pending']);
    expect(isUpToDate(s)).toBe(false);
  });

  it('applied: up to date, with rows and a checksum that matches what Prisma wrote', async () => {
    expect(await deploy(db.url, mig.dir)).toEqual(['20240101000000_init', '20240102000000_post']);
    const s = await status();
    expect(s.diagnosis).toEqual({ kind: 'upToDate' });
    expect(s.migrations.map((m) => m.state)).toEqual(['applied', 'applied']);
    expect(s.counts.applied).toBe(2);
    expect(isUpToDate(s)).toBe(true);
    const rows = await query<{ checksum: string; migration_name: string }>(
      db.url,
      'SELECT checksum, migration_name FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows[0].checksum).toBe(prismaChecksum(INIT));
    expect(s.migrations[0].checksumMatches).toBe(true);
    expect(s.migrations[0].latest?.appliedStepsCount).toBe(1);
    expect(s.migrations[0].latest?.finishedAt).toBeInstanceOf(Date);
  });

  it('pending: a new folder after deploy', async () => {
    await deploy(db.url, mig.dir);
    await mig.add('20240103000000_index', INDEX);
    const s = await status();
    expect(s.diagnosis).toEqual({ kind: 'databaseIsBehind', unapplied: ['20240103000000_index'] });
    expect(stateOf(s, '20240103000000_index')).toBe('pending');
    expect(s.counts).toMatchObject({ applied: 2, pending: 1 });
  });

  it('failed: the engine stops on an error and the row keeps its logs', async () => {
    await mig.add('20240103000000_broken', BROKEN);
    await expect(deploy(db.url, mig.dir)).rejects.toBeTruthy();
    const s = await status();
    expect(s.engine?.failedMigrationNames).toEqual(['20240103000000_broken']);
    expect(stateOf(s, '20240103000000_broken')).toBe('failed');
    const m = s.migrations.find((x) => x.name === '20240103000000_broken')!;
    expect(m.latest?.finishedAt).toBeNull();
    expect(m.latest?.logs).toMatch(/Nope/);
    expect(isUpToDate(s)).toBe(false);
  });

  it('rolledBack: a failed migration resolved with markMigrationRolledBack, then re-applied', async () => {
    await mig.add('20240103000000_broken', BROKEN);
    await expect(deploy(db.url, mig.dir)).rejects.toBeTruthy();
    await markRolledBack(db.url, mig.dir, '20240103000000_broken');
    let s = await status();
    expect(stateOf(s, '20240103000000_broken')).toBe('rolledBack');
    expect(s.diagnosis).toEqual({ kind: 'databaseIsBehind', unapplied: ['20240103000000_broken'] });
    // Fix the migration (a failed one may be edited) and deploy: two rows, the latest applied.
    await mig.add('20240103000000_broken', 'ALTER TABLE "User" ADD COLUMN "name" TEXT;\n');
    await deploy(db.url, mig.dir);
    s = await status();
    const m = s.migrations.find((x) => x.name === '20240103000000_broken')!;
    expect(m.state).toBe('applied');
    expect(m.rows).toHaveLength(2);
    expect(m.rows[0].rolledBackAt).toBeInstanceOf(Date);
  });

  it('rolledBack: an applied migration whose row got rolled_back_at reads not applied to the engine', async () => {
    await deploy(db.url, mig.dir);
    await query(
      db.url,
      `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20240102000000_post'`,
    );
    const s = await status();
    expect(stateOf(s, '20240102000000_post')).toBe('rolledBack');
    expect(s.diagnosis).toEqual({ kind: 'databaseIsBehind', unapplied: ['20240102000000_post'] });
  });

  it('edited: the file changed after it was applied', async () => {
    await deploy(db.url, mig.dir);
    await mig.add('20240102000000_post', `${POST}-- tweaked\n`);
    const s = await status();
    expect(s.engine?.editedMigrationNames).toEqual(['20240102000000_post']);
    expect(stateOf(s, '20240102000000_post')).toBe('edited');
    expect(s.migrations[1].checksumMatches).toBe(false);
    expect(isUpToDate(s)).toBe(false);
  });

  it('missingLocally: applied in the database, folder deleted', async () => {
    await deploy(db.url, mig.dir);
    await mig.remove('20240102000000_post');
    const s = await status();
    expect(s.diagnosis).toEqual({
      kind: 'migrationsDirectoryIsBehind',
      missingLocally: ['20240102000000_post'],
    });
    expect(stateOf(s, '20240102000000_post')).toBe('missingLocally');
    expect(isUpToDate(s)).toBe(false);
  });

  it('historiesDiverge: names the last common migration', async () => {
    await deploy(db.url, mig.dir);
    await mig.remove('20240102000000_post');
    await mig.add('20240103000000_index_on_user', 'CREATE INDEX "User_idx" ON "User"("id");\n');
    const s = await status();
    expect(s.diagnosis).toEqual({
      kind: 'historiesDiverge',
      lastCommon: '20240101000000_init',
      unappliedLocal: ['20240103000000_index_on_user'],
      missingLocally: ['20240102000000_post'],
    });
    expect(stateOf(s, '20240102000000_post')).toBe('missingLocally');
    expect(stateOf(s, '20240103000000_index_on_user')).toBe('pending');
  });

  it('CRLF files: the checksum Prisma stored still matches after LF/CRLF conversion', async () => {
    await mig.add('20240101000000_init', INIT.replace(/\n/g, '\r\n'));
    await deploy(db.url, mig.dir);
    const [row] = await query<{ checksum: string }>(
      db.url,
      `SELECT checksum FROM _prisma_migrations WHERE migration_name = '20240101000000_init'`,
    );
    expect(row.checksum).toBe(prismaChecksum(INIT.replace(/\n/g, '\r\n')));
    expect(checksumMatches(row.checksum, INIT)).toBe(true);
    // A checkout that converted the file back to LF is not "edited", for Prisma nor for us.
    await mig.add('20240101000000_init', INIT);
    const s = await status();
    expect(s.engine?.editedMigrationNames).toEqual([]);
    expect(stateOf(s, '20240101000000_init')).toBe('applied');
    expect(s.migrations[0].checksumMatches).toBe(true);
  });

  it('a folder without migration.sql is reported the way Prisma reports it', async () => {
    await deploy(db.url, mig.dir);
    await fs.mkdir(path.join(mig.dir, '20240105000000_empty'));
    const s = await status();
    // Prisma's engine lists it as not applied (and `migrate deploy` then fails on it).
    expect(s.diagnosis).toEqual({ kind: 'databaseIsBehind', unapplied: ['20240105000000_empty'] });
    const m = s.migrations.find((x) => x.name === '20240105000000_empty')!;
    expect(m.state).toBe('pending');
    expect(m.local?.error).toMatch(/ENOENT/);
    expect(m.note).toMatch(/migration\.sql cannot be read/);
    await expect(deploy(db.url, mig.dir)).rejects.toBeTruthy();
  });
});

describe('status engine with a reused pool', () => {
  it("reuses Prisma's verdict only while the folder and the table are unchanged", async () => {
    const db = await createTestDatabase('memo');
    const mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_post', POST);
    await deploy(db.url, mig.dir);
    const pool = createPool(db.url);
    const lines: string[] = [];
    const status = () =>
      computeStatus({
        environment: 'local',
        migrationsDir: mig.dir,
        url: db.url,
        pool,
        log: (l) => lines.push(l),
      });
    const engineRan = () => lines.filter((l) => /diagnoseMigrationHistory local: [\d.]+ ms/.test(l)).length;
    try {
      expect((await status()).counts.applied).toBe(2);
      expect(engineRan()).toBe(1);
      expect((await status()).counts.applied).toBe(2);
      expect(engineRan()).toBe(1);
      expect(lines.some((l) => /unchanged, engine verdict reused/.test(l))).toBe(true);

      // A change in the table: the engine runs again and its verdict changes.
      await query(
        db.url,
        `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20240102000000_post'`,
      );
      let s = await status();
      expect(engineRan()).toBe(2);
      expect(stateOf(s, '20240102000000_post')).toBe('rolledBack');
      expect(s.diagnosis).toEqual({ kind: 'databaseIsBehind', unapplied: ['20240102000000_post'] });

      // A change in the folder (an edit): the engine runs again.
      await query(db.url, `UPDATE _prisma_migrations SET rolled_back_at = NULL`);
      await mig.add('20240101000000_init', `${INIT}-- edited\n`);
      s = await status();
      expect(engineRan()).toBe(3);
      expect(s.engine?.editedMigrationNames).toEqual(['20240101000000_init']);
      expect(stateOf(s, '20240101000000_init')).toBe('edited');
    } finally {
      await pool.end();
      await mig.cleanup();
      await db.drop();
    }
  });
});

describe('_prisma_migrations read on a reused pool', () => {
  // Each change a row can have (as Prisma's engine or a person writes them); after each, the rows
  // read on the reused pool must equal a read on a new pool: a fingerprint that misses one column
  // would return the previous rows.
  const CHANGES = [
    `UPDATE _prisma_migrations SET started_at = started_at + interval '1 microsecond' WHERE migration_name = '20240101000000_init'`,
    `UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = '20240102000000_post'`,
    `UPDATE _prisma_migrations SET logs = 'x' WHERE migration_name = '20240102000000_post'`,
    `UPDATE _prisma_migrations SET logs = 'y' WHERE migration_name = '20240102000000_post'`,
    `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20240102000000_post'`,
    `UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1`,
    `UPDATE _prisma_migrations SET checksum = reverse(checksum) WHERE migration_name = '20240101000000_init'`,
    `UPDATE _prisma_migrations SET migration_name = '20240102000000_post2' WHERE migration_name = '20240102000000_post'`,
    `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('z', 'c', '20240103000000_x', now(), 0)`,
    `DELETE FROM _prisma_migrations WHERE id = 'z'`,
    // Every column set to known values (the one below then is a collision of a sum of row hashes
    // linear in the columns, not a matter of chance)…
    `UPDATE _prisma_migrations SET id = CASE WHEN migration_name = '20240101000000_init' THEN 'a' ELSE 'b' END,
       migration_name = CASE WHEN migration_name = '20240101000000_init' THEN '20240101000000_init' ELSE '20240102000000_post' END,
       checksum = 'c', started_at = '2024-01-01 00:00:00+00', finished_at = NULL,
       logs = CASE WHEN migration_name = '20240101000000_init' THEN 'x7' END, rolled_back_at = NULL, applied_steps_count = 1`,
    // …then a value moved from one row to the other: the count and every column's values are the same.
    `UPDATE _prisma_migrations a SET logs = b.logs FROM _prisma_migrations b WHERE a.id <> b.id`,
  ];

  for (const mode of [
    'hash_record_extended',
    'md5 of the text form (a column type without a hash function)',
  ]) {
    it(`reads the rows again after every kind of change, and only then: ${mode}`, async () => {
      const db = await createTestDatabase('rowsfp');
      const mig = await tempMigrations();
      await mig.add('20240101000000_init', INIT);
      await mig.add('20240102000000_post', POST);
      await deploy(db.url, mig.dir);
      // json has no hash function: hash_record_extended fails with 42883 and the md5 form is used.
      if (mode.startsWith('md5'))
        await query(db.url, 'ALTER TABLE _prisma_migrations ADD COLUMN "note" json');
      const pool = createPool(db.url);
      const sent: string[] = [];
      const query0 = pool.query.bind(pool) as (sql: string) => Promise<unknown>;
      (pool as unknown as { query: (sql: string) => Promise<unknown> }).query = (sql: string) => {
        sent.push(sql);
        return query0(sql);
      };
      const fresh = async () => {
        const p = createPool(db.url);
        try {
          return await readMigrationRows(p, 'public');
        } finally {
          await p.end();
        }
      };
      const fullReads = () => sent.filter((q) => /SELECT id, checksum/.test(q)).length;
      try {
        expect(await readMigrationRows(pool, 'public')).toEqual(await fresh());
        const reads = fullReads();
        // Nothing changed: one fingerprint query, no full read, the same rows.
        const again = await readMigrationRows(pool, 'public');
        expect(fullReads()).toBe(reads);
        expect(again).toEqual(await fresh());
        expect(sent.at(-1)).toMatch(mode.startsWith('md5') ? /md5\(/ : /hash_record_extended/);
        for (const change of CHANGES) {
          await query(db.url, change);
          const before = fullReads();
          const rows = await readMigrationRows(pool, 'public');
          expect(fullReads(), change).toBe(before + 1);
          expect(rows, change).toEqual(await fresh());
        }
        // The table dropped: null; created again: read again.
        await query(db.url, 'ALTER TABLE _prisma_migrations RENAME TO _pm_away');
        expect(await readMigrationRows(pool, 'public')).toBeNull();
        await query(db.url, 'ALTER TABLE _pm_away RENAME TO _prisma_migrations');
        expect((await readMigrationRows(pool, 'public'))?.length).toBe(2);
      } finally {
        await pool.end();
        await mig.cleanup();
        await db.drop();
      }
    });
  }
});

describe('status engine with ?schema=', () => {
  it('reads _prisma_migrations and the engine diagnosis in the schema of the URL', async () => {
    const db = await createTestDatabase('schema');
    const mig = await tempMigrations();
    await query(db.url, 'CREATE SCHEMA "app"');
    const url = `${db.url}?schema=app`;
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_post', POST);
    expect(await deploy(url, mig.dir)).toHaveLength(2);
    const [where] = await query<{ schema: string }>(
      db.url,
      `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = '_prisma_migrations'`,
    );
    expect(where.schema).toBe('app');
    let s = await computeStatus({ environment: 'local', migrationsDir: mig.dir, url });
    expect(s.diagnosis).toEqual({ kind: 'upToDate' });
    expect(s.counts.applied).toBe(2);
    // The public schema has no history: without ?schema= nothing reads as applied.
    s = await computeStatus({ environment: 'local', migrationsDir: mig.dir, url: db.url });
    expect(s.diagnosis.kind).toBe('noMigrationsTable');
    // A schema that does not exist reads as "no table" too (SQLSTATE 3F000 / 42P01), on the caller's pool as well.
    const pool = createPool(db.url);
    try {
      expect(await readMigrationRows(pool, 'nosuch')).toBeNull();
      expect(await readMigrationRows(pool, 'public')).toBeNull();
      expect((await readMigrationRows(pool, 'app'))?.map((r) => r.migrationName)).toEqual([
        '20240101000000_init',
        '20240102000000_post',
      ]);
      s = await computeStatus({
        environment: 'local',
        migrationsDir: mig.dir,
        url: `${db.url}?schema=nosuch`,
        pool,
      });
      expect(s.diagnosis.kind).toBe('noMigrationsTable');
      // Any other error is not "no table": a user without rights on it.
      await query(db.url, `CREATE ROLE status_norights_${db.name} LOGIN PASSWORD 'x'`);
      const u = new URL(db.url);
      u.username = `status_norights_${db.name}`;
      u.password = 'x';
      const other = createPool(u.toString());
      await expect(readMigrationRows(other, 'app')).rejects.toMatchObject({ code: '42501' });
      await other.end();
      await query(db.url, `DROP ROLE status_norights_${db.name}`);
    } finally {
      await pool.end();
    }
    await mig.cleanup();
    await db.drop();
  });
});

describe('status engine failures', () => {
  it('unreachable: a closed port gives a reason, not an exception', async () => {
    const mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    const s = await computeStatus({
      environment: 'staging',
      migrationsDir: mig.dir,
      url: 'postgresql://u:supersecret@127.0.0.1:1/db',
    });
    await mig.cleanup();
    expect(s.diagnosis.kind).toBe('unreachable');
    if (s.diagnosis.kind === 'unreachable') {
      expect(s.diagnosis.reason).toMatch(/refused/i);
      expect(s.diagnosis.reason).not.toMatch(/supersecret/);
    }
    expect(s.migrations.map((m) => m.state)).toEqual(['pending']);
  });

  it('wrong password and missing database are named', async () => {
    const mig = await tempMigrations();
    const { adminUrl } = await import('../support/pg');
    const bad = new URL(adminUrl());
    bad.password = 'wrong-password';
    let s = await computeStatus({ environment: 'x', migrationsDir: mig.dir, url: bad.toString() });
    expect(s.diagnosis.kind).toBe('unreachable');
    if (s.diagnosis.kind === 'unreachable')
      expect(s.diagnosis.reason).toMatch(/password authentication failed/i);
    const missing = new URL(adminUrl());
    missing.pathname = '/no_such_db_here';
    s = await computeStatus({ environment: 'x', migrationsDir: mig.dir, url: missing.toString() });
    if (s.diagnosis.kind === 'unreachable') expect(s.diagnosis.reason).toMatch(/does not exist/);
    else expect.fail(`expected unreachable, got ${s.diagnosis.kind}`);
    await mig.cleanup();
  });

  it('not configured: says why', async () => {
    const mig = await tempMigrations();
    const s = await computeStatus({
      environment: 'prod',
      migrationsDir: mig.dir,
      problem: 'PROD_URL is not set',
    });
    await mig.cleanup();
    expect(s.diagnosis).toEqual({ kind: 'notConfigured', reason: 'PROD_URL is not set' });
  });
});
