/**
 * The runbook's runner commands against a real PostgreSQL 15, with Prisma's real schema engine
 * (WASM) building the history and judging the outcome: deploy, apply-down (success, keep/delete,
 * failure mid-script, advisory-lock and lock_timeout timeouts, failed migrations), resolve.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_FILTERS, toMigrationList } from '../../src/core/engine';
import { readMigrationsFolder } from '../../src/core/migrations';
import { applyDown, PRISMA_ADVISORY_LOCK } from '../../src/core/runbook/apply-down';
import { runBackup } from '../../src/core/runbook/backup';
import { RunbookError } from '../../src/core/runbook/errors';
import { databaseName, resetDatabase } from '../../src/core/runbook/reset';
import { deployMigrations, resolveMigration } from '../../src/core/runbook/resolve';
import { ensureRollbackScript, verifyRollbackScript } from '../../src/core/runbook/services';
import { rollbackTables } from '../../src/core/runbook/tables';
import { tempMigrations, withEngine } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const INIT = `CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`;
const POST = `CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL, "authorId" INTEGER NOT NULL REFERENCES "User"("id"));
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
`;
const BIO = `ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n`;

const POST_DOWN_OK = `-- rollback of 20240102000000_post
BEGIN;
DROP INDEX "Post_authorId_idx";
DROP TABLE "Post";
COMMIT;
`;
// The last statement fails: nothing before it may stay applied.
const POST_DOWN_BROKEN = `BEGIN;
DROP INDEX "Post_authorId_idx";
DROP TABLE "Post";
ALTER TABLE "User"
  DROP COLUMN "nickname";
COMMIT;
`;

type Rows = {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}[];
const history = (url: string) =>
  query<Rows[number]>(
    url,
    'SELECT migration_name, finished_at, rolled_back_at, logs FROM _prisma_migrations ORDER BY started_at, id',
  );
const tables = async (url: string) =>
  (
    await query<{ t: string }>(
      url,
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
  ).map((r) => r.t);
const columns = async (url: string, table: string) =>
  (
    await query<{ c: string }>(
      url,
      'SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
      [table],
    )
  ).map((r) => r.c);

async function diagnose(url: string, dir: string) {
  const folder = await readMigrationsFolder(dir);
  return withEngine(url, (e) =>
    e.diagnoseMigrationHistory({
      migrationsList: toMigrationList(folder),
      optInToShadowDatabase: false,
      filters: NO_FILTERS,
    }),
  );
}

async function rejection(p: Promise<unknown>): Promise<RunbookError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RunbookError) return e;
    throw e;
  }
  throw new Error('expected a RunbookError, the promise resolved');
}

describe('runbook runners on a real PostgreSQL with Prisma engine', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);

  beforeEach(async () => {
    lines.length = 0;
    db = await createTestDatabase('runbook');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_post', POST);
    await mig.add('20240103000000_bio', BIO);
    const d = await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    expect(d.applied).toEqual(['20240101000000_init', '20240102000000_post', '20240103000000_bio']);
    await query(db.url, `INSERT INTO "User"(email, bio) VALUES ('a@x.io', 'hi'), ('b@x.io', NULL)`);
    await query(db.url, `INSERT INTO "Post"(title, "authorId") VALUES ('p1', 1), ('p2', 1), ('p3', 2)`);
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  it('deploy: applies pending migrations through the engine and reports none left', async () => {
    expect((await history(db.url)).map((r) => r.migration_name)).toHaveLength(3);
    const again = await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    expect(again.applied).toEqual([]);
    expect(lines.at(-1)).toBe('No pending migration to apply.');
    expect((await diagnose(db.url, mig.dir)).history).toBeNull();
  });

  it('apply-down (keep): rolls back with data in place; Prisma reads it pending and deploy re-applies it', async () => {
    await fs.writeFile(
      path.join(mig.dir, '20240103000000_bio', 'down.sql'),
      'ALTER TABLE "User" DROP COLUMN "bio";\n',
    );
    const r = await applyDown({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: '20240103000000_bio',
      after: 'keep',
      log,
    });
    expect(r).toMatchObject({
      statements: 1,
      previousState: 'applied',
      recordedBy: 'rolled_back_at on the applied row',
      folder: 'kept',
    });
    expect(await columns(db.url, 'User')).toEqual(['id', 'email']);
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM "User"')).toEqual([{ n: 2 }]);
    const h = await history(db.url);
    expect(h.find((x) => x.migration_name === '20240103000000_bio')?.rolled_back_at).toBeInstanceOf(Date);
    expect(lines.some((l) => l.includes(`pg_advisory_lock(${PRISMA_ADVISORY_LOCK})`))).toBe(true);

    const diag = await diagnose(db.url, mig.dir);
    expect(diag.history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: ['20240103000000_bio'],
    });
    expect(diag.failedMigrationNames).toEqual([]);
    const re = await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir });
    expect(re.applied).toEqual(['20240103000000_bio']);
    expect(await columns(db.url, 'User')).toEqual(['id', 'email', 'bio']);
    const rows = (await history(db.url)).filter((x) => x.migration_name === '20240103000000_bio');
    expect(rows).toHaveLength(2);
    expect(rows[0].rolled_back_at).not.toBeNull();
    expect(rows[1].rolled_back_at).toBeNull();
  });

  it('apply-down (delete): skips BEGIN/COMMIT of the file, deletes the folder; Prisma reads the history up to date', async () => {
    // Roll back the last two: bio first, then post with a script that carries its own BEGIN/COMMIT.
    await fs.writeFile(
      path.join(mig.dir, '20240103000000_bio', 'down.sql'),
      'ALTER TABLE "User" DROP COLUMN "bio";\n',
    );
    await applyDown({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: '20240103000000_bio',
      after: 'delete',
    });
    await fs.writeFile(path.join(mig.dir, '20240102000000_post', 'down.sql'), POST_DOWN_OK);
    const r = await applyDown({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: '20240102000000_post',
      after: 'delete',
      log,
    });
    expect(r.statements).toBe(2);
    expect(r.skipped).toHaveLength(2);
    expect(r.folder).toBe('deleted');
    await expect(fs.stat(path.join(mig.dir, '20240102000000_post'))).rejects.toThrow();
    expect(await tables(db.url)).toEqual(['User', '_prisma_migrations']);
    const diag = await diagnose(db.url, mig.dir);
    expect(diag.history).toBeNull();
    expect(diag.failedMigrationNames).toEqual([]);
    expect(diag.editedMigrationNames).toEqual([]);
  });

  it('apply-down: a failing last statement leaves schema, data and _prisma_migrations untouched and names the line', async () => {
    const file = path.join(mig.dir, '20240102000000_post', 'down.sql');
    await fs.writeFile(file, POST_DOWN_BROKEN);
    const before = { tables: await tables(db.url), history: await history(db.url) };
    const e = await rejection(
      applyDown({
        url: db.url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240102000000_post',
      }),
    );
    expect(e.code).toBe('statementFailed');
    // Statement 4 of the file (BEGIN counts); PostgreSQL gives no position for this error, so the statement's first line.
    expect(e.where).toMatchObject({ statement: 4, line: 4 });
    expect(e.message).toContain('Statement 4 of 5 failed at down.sql:4:');
    expect(e.message).toContain('ALTER TABLE "User"');
    expect(e.message).toContain('column "nickname" of relation "User" does not exist');
    expect(e.message).toContain('Nothing was applied');
    expect(await tables(db.url)).toEqual(before.tables);
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM "Post"')).toEqual([{ n: 3 }]);
    expect(await query(db.url, 'SELECT to_regclass(\'"Post_authorId_idx"\')::text AS i')).toEqual([
      { i: '"Post_authorId_idx"' },
    ]);
    expect(await history(db.url)).toEqual(before.history);
    expect((await diagnose(db.url, mig.dir)).history).toBeNull();
    // And the lock was released: a deploy can take it right away.
    expect(
      (await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir })).applied,
    ).toEqual([]);
  });

  it("apply-down: maps PostgreSQL's error position to the file's line and column", async () => {
    const file = path.join(mig.dir, '20240103000000_bio', 'down.sql');
    await fs.writeFile(
      file,
      '-- header\nALTER TABLE "User" DROP COLUMN "bio";\nSELECT "id",\n       "nope" FROM "User";\n',
    );
    const e = await rejection(
      applyDown({
        url: db.url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240103000000_bio',
      }),
    );
    expect(e.where).toMatchObject({ line: 4, column: 8, statement: 2 });
    expect(await columns(db.url, 'User')).toEqual(['id', 'email', 'bio']);
  });

  it('apply-down: a syntax error is reported with its line before anything runs', async () => {
    await fs.writeFile(
      path.join(mig.dir, '20240103000000_bio', 'down.sql'),
      'ALTER TABLE "User" DROP COLUMN "bio";\nDROPP TABLE "Post";\n',
    );
    const e = await rejection(
      applyDown({
        url: db.url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240103000000_bio',
      }),
    );
    expect(e.code).toBe('parse');
    expect(e.where?.line).toBe(2);
    expect(await columns(db.url, 'User')).toEqual(['id', 'email', 'bio']);
  });

  it('apply-down: refuses statements that cannot run in a transaction, and migrations that are not applied', async () => {
    await fs.writeFile(
      path.join(mig.dir, '20240103000000_bio', 'down.sql'),
      'ALTER TABLE "User" DROP COLUMN "bio";\nCREATE INDEX CONCURRENTLY "x" ON "User"("email");\n',
    );
    const e = await rejection(
      applyDown({
        url: db.url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240103000000_bio',
      }),
    );
    expect(e.code).toBe('notInTransaction');
    expect(e.message).toContain('CREATE INDEX CONCURRENTLY cannot run inside a transaction block');
    expect(await columns(db.url, 'User')).toEqual(['id', 'email', 'bio']);

    await mig.add('20240104000000_later', 'CREATE TABLE "Later" ("id" INT);\n');
    await fs.writeFile(path.join(mig.dir, '20240104000000_later', 'down.sql'), 'DROP TABLE "Later";\n');
    const p = await rejection(
      applyDown({
        url: db.url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240104000000_later',
      }),
    );
    expect(p.code).toBe('state');
    expect(p.message).toContain('was never applied to local');
  });

  it("apply-down: times out clearly when another session holds Prisma's advisory lock, and applies nothing", async () => {
    await fs.writeFile(
      path.join(mig.dir, '20240103000000_bio', 'down.sql'),
      'ALTER TABLE "User" DROP COLUMN "bio";\n',
    );
    const holder = new pg.Client({ connectionString: db.url, application_name: 'other-deploy' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
      const t = Date.now();
      const e = await rejection(
        applyDown({
          url: db.url,
          environment: 'local',
          migrationsDir: mig.dir,
          migration: '20240103000000_bio',
          advisoryLockTimeoutMs: 1500,
        }),
      );
      const waited = Date.now() - t;
      expect(waited).toBeGreaterThanOrEqual(1400);
      expect(waited).toBeLessThan(5000);
      expect(e.code).toBe('lockTimeout');
      expect(e.message).toContain('pg_advisory_lock(72707369)');
      expect(e.message).toContain('application "other-deploy"');
      expect(e.message).toContain('pooler');
      expect(await columns(db.url, 'User')).toEqual(['id', 'email', 'bio']);
      expect((await history(db.url)).every((r) => r.rolled_back_at === null)).toBe(true);
    } finally {
      await holder.end();
    }
  });

  it('apply-down: lock_timeout stops it from queueing behind a long transaction', async () => {
    await fs.writeFile(
      path.join(mig.dir, '20240103000000_bio', 'down.sql'),
      'ALTER TABLE "User" DROP COLUMN "bio";\n',
    );
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT * FROM "User"');
      const e = await rejection(
        applyDown({
          url: db.url,
          environment: 'local',
          migrationsDir: mig.dir,
          migration: '20240103000000_bio',
          lockTimeoutMs: 300,
        }),
      );
      expect(e.code).toBe('statementFailed');
      expect(e.message).toContain('SQLSTATE 55P03');
      expect(e.message).toContain('lock_timeout');
      expect(e.where?.line).toBe(1);
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }
    expect(await columns(db.url, 'User')).toEqual(['id', 'email', 'bio']);
  });

  it("failed migration: apply-down undoes its partial changes and Prisma's engine marks it rolled back", async () => {
    await mig.add(
      '20240104000000_broken',
      'ALTER TABLE "User" ADD COLUMN "name" TEXT;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n',
    );
    await expect(
      deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir }),
    ).rejects.toThrow(/Nope/);
    // The whole script ran as one query, so PostgreSQL rolled the partial change back itself; the down is then a no-op-safe script.
    expect((await diagnose(db.url, mig.dir)).failedMigrationNames).toEqual(['20240104000000_broken']);
    await fs.writeFile(
      path.join(mig.dir, '20240104000000_broken', 'down.sql'),
      'ALTER TABLE "User" DROP COLUMN IF EXISTS "name";\n',
    );
    const r = await applyDown({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: '20240104000000_broken',
      log,
    });
    expect(r.previousState).toBe('failed');
    expect(r.recordedBy).toBe("Prisma's engine (markMigrationRolledBack)");
    const diag = await diagnose(db.url, mig.dir);
    expect(diag.failedMigrationNames).toEqual([]);
    expect(diag.history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: ['20240104000000_broken'],
    });
  });

  it('resolve --rolled-back: engine for failed rows; rolled_back_at for applied ones (P3012 explained); --applied through the engine', async () => {
    // Failed → engine.
    await mig.add('20240104000000_broken', 'ALTER TABLE "Nope" ADD COLUMN "x" INT;\n');
    await expect(
      deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir }),
    ).rejects.toThrow();
    const f = await resolveMigration({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: '20240104000000_broken',
      action: 'rolledBack',
    });
    expect(f.recorded).toContain('markMigrationRolledBack');
    expect((await diagnose(db.url, mig.dir)).failedMigrationNames).toEqual([]);

    // Applied: Prisma's engine itself refuses (P3012) — the reason for our own route.
    const refused = await withEngine(db.url, (e) =>
      e.markMigrationRolledBack({ migrationName: '20240103000000_bio' }),
    ).then(
      () => 'accepted',
      (e) => String((e as { message?: string }).message ?? e),
    );
    expect(refused).toMatch(/P3012|not in a failed state/);
    const r = await resolveMigration({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: '20240103000000_bio',
      action: 'rolledBack',
      log,
    });
    expect(r.previousState).toBe('applied');
    expect(r.recorded).toContain('P3012');
    expect(lines.join('\n')).toContain('refuses (P3012');
    expect((await diagnose(db.url, mig.dir)).history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: ['20240103000000_bio', '20240104000000_broken'],
    });

    // Already rolled back: refused clearly.
    const again = await rejection(
      resolveMigration({
        url: db.url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240103000000_bio',
        action: 'rolledBack',
      }),
    );
    expect(again.message).toContain('already rolled back');

    // --applied first compares the schema with the replay of the history with it, which cannot be
    // built (the migration fails there too): refused, nothing recorded.
    const unchecked = await rejection(
      resolveMigration({
        url: db.url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240104000000_broken',
        action: 'applied',
      }),
    );
    expect(unchecked.code).toBe('config');
    expect(unchecked.message).toContain('Pass --skip-drift-check to mark it without checking.');
    // Without the check, the engine records it as applied without running it.
    await resolveMigration({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: '20240104000000_broken',
      action: 'applied',
      checkSchema: false,
    });
    const rows = (await history(db.url)).filter((x) => x.migration_name === '20240104000000_broken');
    expect(rows.at(-1)?.finished_at).toBeInstanceOf(Date);
    expect(rows.at(-1)?.rolled_back_at).toBeNull();
  });
});

describe('migrate reset (runbook Method 1) through Prisma engine', () => {
  it('is refused on a protected environment and without the typed database name; otherwise empties and re-applies', async () => {
    const db = await createTestDatabase('reset');
    const mig = await tempMigrations();
    try {
      await mig.add('20240101000000_init', INIT);
      await mig.add('20240102000000_post', POST);
      await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir });
      await query(db.url, `INSERT INTO "User"(email) VALUES ('a@x.io')`);
      await query(db.url, 'CREATE TABLE "Stray" (id int)');
      const base = { url: db.url, environment: 'local', migrationsDir: mig.dir };
      const prot = await rejection(resetDatabase({ ...base, protected: true, confirm: db.name }));
      expect(prot.message).toContain('local is protected');
      const typo = await rejection(resetDatabase({ ...base, protected: false, confirm: 'postgres' }));
      expect(typo.message).toContain(`Type the database's name (${db.name})`);
      expect(await query(db.url, 'SELECT count(*)::int AS n FROM "User"')).toEqual([{ n: 1 }]);

      const r = await resetDatabase({ ...base, protected: false, confirm: databaseName(db.url) });
      expect(r.applied).toEqual(['20240101000000_init', '20240102000000_post']);
      expect(await query(db.url, 'SELECT count(*)::int AS n FROM "User"')).toEqual([{ n: 0 }]);
      expect(await tables(db.url)).toEqual(['Post', 'User', '_prisma_migrations']);
      expect((await diagnose(db.url, mig.dir)).history).toBeNull();
    } finally {
      await db.drop();
      await mig.cleanup();
    }
  });
});

describe('checklist steps 3 and 4 over the generator and the verifier', () => {
  it('generates down.sql, keeps it when current, refuses a stale hand-edited one, and verifies it (and catches a wrong one)', async () => {
    const mig = await tempMigrations();
    try {
      await mig.add('20240101000000_init', INIT);
      await mig.add('20240102000000_post', POST);
      const down = path.join(mig.dir, '20240102000000_post', 'down.sql');
      const g = await ensureRollbackScript(mig.dir, '20240102000000_post');
      expect(g.outcome).toBe('generated');
      expect(g.summary).toMatch(/^Generated down\.sql: 2 statement\(s\), 2 inverted/);
      const sql = await fs.readFile(down, 'utf8');
      expect(sql).toContain('DROP TABLE "Post"');
      expect((await ensureRollbackScript(mig.dir, '20240102000000_post')).outcome).toBe('current');

      const v = await verifyRollbackScript(mig.dir, '20240102000000_post');
      expect(v.result).toBe('verified');
      expect(v.summary).toMatch(/^Verified against 2 migrations in [\d.]+ s \(embedded PostgreSQL/);

      // A rollback that forgets the index's table leaves a difference the verifier names.
      await fs.writeFile(down, 'DROP INDEX "Post_authorId_idx";\n');
      const bad = await verifyRollbackScript(mig.dir, '20240102000000_post');
      expect(bad.result).toBe('differences');
      expect(bad.summary).toContain('Post');
      expect((await ensureRollbackScript(mig.dir, '20240102000000_post')).outcome).toBe('handWritten');

      // migration.sql changes after generation: a generated down.sql is regenerated…
      await fs.writeFile(down, sql);
      await mig.add('20240102000000_post', `${POST}CREATE INDEX "Post_title_idx" ON "Post"("title");\n`);
      const re = await ensureRollbackScript(mig.dir, '20240102000000_post');
      expect(re.outcome).toBe('regenerated');
      // …but one edited by hand after generation is never overwritten.
      const regenerated = await fs.readFile(down, 'utf8');
      await fs.writeFile(down, `${regenerated}\n-- a note by hand\nSELECT 1;\n`);
      await mig.add('20240102000000_post', POST);
      const e = await rejection(ensureRollbackScript(mig.dir, '20240102000000_post'));
      expect(e.message).toContain('edited by hand');
      expect(await fs.readFile(down, 'utf8')).toContain('-- a note by hand');
    } finally {
      await mig.cleanup();
    }
  });
});

describe('a project in its own Postgres schema (?schema=app)', () => {
  it("apply-down runs unqualified down.sql in that schema and records it in that schema's _prisma_migrations; backup --tables-of finds its tables", async () => {
    const db = await createTestDatabase('schema');
    const mig = await tempMigrations();
    const out = path.join(mig.root, 'b.dump');
    try {
      const u = new URL(db.url);
      u.searchParams.set('schema', 'app');
      const url = u.toString();
      await mig.add('20240101000000_init', INIT);
      await mig.add('20240102000000_post', POST);
      await deployMigrations({ url, environment: 'local', migrationsDir: mig.dir });
      // A same-named table in public must not be touched.
      await query(db.url, 'CREATE TABLE public."Post" (id int)');
      expect(
        await query(db.url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'app'"),
      ).toEqual([{ n: 3 }]);
      await fs.writeFile(path.join(mig.dir, '20240102000000_post', 'down.sql'), POST_DOWN_OK);
      const tables = (await rollbackTables(mig.dir, '20240102000000_post')).tables;
      const b = await runBackup({ url, environment: 'local', out, format: 'custom', tables });
      expect(b.tables).toEqual(['"app"."Post"']);
      const lines: string[] = [];
      await applyDown({
        url,
        environment: 'local',
        migrationsDir: mig.dir,
        migration: '20240102000000_post',
        log: (l) => lines.push(l),
      });
      expect(lines.join('\n')).toContain('SET LOCAL search_path TO "app"');
      expect(
        await query(
          db.url,
          "SELECT tablename FROM pg_tables WHERE schemaname IN ('app', 'public') ORDER BY 1",
        ),
      ).toEqual([{ tablename: 'Post' }, { tablename: 'User' }, { tablename: '_prisma_migrations' }]);
      expect(await query(db.url, "SELECT schemaname FROM pg_tables WHERE tablename = 'Post'")).toEqual([
        { schemaname: 'public' },
      ]);
      const rows = await query<{ rolled_back_at: Date | null }>(
        db.url,
        `SELECT rolled_back_at FROM app._prisma_migrations WHERE migration_name = '20240102000000_post'`,
      );
      expect(rows[0].rolled_back_at).toBeInstanceOf(Date);
    } finally {
      await db.drop();
      await mig.cleanup();
    }
  });
});
