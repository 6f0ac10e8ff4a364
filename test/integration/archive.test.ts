/**
 * The archive (issue 12) on a real PostgreSQL 15 with seeded rows, through our deploy (Prisma's
 * engine applies the migrations; the archive runs around each script in its transaction) and our
 * apply-down (the generated down.sql, then the restore, in one transaction): one case per way of
 * destroying data. Each case: deploy, roll back, every table's rows identical to before the deploy;
 * deploy again and roll back again, still identical.
 *
 * The schema, its seed rows and the comparison (snapshot) are shared with restore-ways.test.ts
 * (test/support/data-loss.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listArchive } from '../../src/core/archive';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { applyDown } from '../../src/core/runbook/apply-down';
import { applyDownTo } from '../../src/core/runbook/apply-down-to';
import { RunbookError } from '../../src/core/runbook/errors';
import { deployMigrations } from '../../src/core/runbook/resolve';
import { formatDateTime } from '../../src/core/status/time';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { checkDrift } from '../../src/core/verify/drift';
import { prismaLiveDiff } from '../../src/core/verify/prisma-diff';
import { runCli } from '../support/cli';
import { INIT, SEED, snapshot, WAYS } from '../support/data-loss';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

const M = '20240201000000_change';

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

describe('archive: deploy archives, apply-down restores (real PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const clients: pg.Client[] = [];

  beforeEach(async () => {
    lines.length = 0;
    db = await createTestDatabase('archive');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    await query(db.url, SEED);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => {});
    await db.drop();
    await mig.cleanup();
  });

  /** Adds `sql` as migration M with the generator's down.sql (or `down`). */
  async function addMigration(sql: string, down?: string) {
    await mig.add(M, sql);
    const folder = await readMigrationsFolder(mig.dir);
    const history = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    const r = await generateRollback(history, history.length - 1);
    await fs.writeFile(path.join(mig.dir, M, 'down.sql'), down ?? r.sql);
  }

  /** Deploy, roll back, compare; twice. `archived`: [table, kind, rows] the deploy must archive. */
  async function roundTrip(sql: string, archived: [string, string, number][], down?: string) {
    await addMigration(sql, down);
    const before = await snapshot(db.url);
    for (const round of [1, 2]) {
      const d = await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
      expect(d.applied, `round ${round}`).toEqual([M]);
      const taken = await listArchive(await client());
      expect(
        taken.map((e) => [e.table, e.kind, e.rows]),
        `round ${round}: archive taken`,
      ).toEqual(archived);
      await applyDown({ url: db.url, environment: 'local', migrationsDir: mig.dir, migration: M, log });
      expect(await snapshot(db.url), `round ${round}: rows identical after the rollback`).toEqual(before);
      expect(
        (await listArchive(await client())).filter((e) => e.origin === 'deploy'),
        'the restore consumed the archive',
      ).toEqual([]);
    }
  }

  async function client() {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    clients.push(c);
    return c;
  }

  it('drop column: values come back by primary key', async () => {
    await roundTrip(WAYS.dropColumn, [['User', 'columns', 4]]);
  });

  it('drop table with rows: rows come back (also a table without key, archived whole)', async () => {
    await roundTrip(WAYS.dropTable, [
      ['Post', 'table', 3],
      ['Log', 'table', 3],
    ]);
    // the re-created sequence was set past the restored ids: the next insert does not collide
    expect(
      await query(db.url, `INSERT INTO "Post" (title, "authorId") VALUES ('next', 1) RETURNING id`),
    ).toEqual([{ id: 4 }]);
  });

  it('lossy type change with USING: prior values come back', async () => {
    await roundTrip(WAYS.usingType, [['User', 'columns', 4]]);
  });

  it('UPDATE transform: prior images of the rows it changed come back', async () => {
    // only the 2 rows it changed stay in the archive
    await roundTrip(WAYS.update, [['User', 'rows', 2]]);
  });

  it('DELETE: deleted rows come back', async () => {
    await roundTrip(WAYS.delete, [['Post', 'rows', 2]]);
  });

  it('INSERT into an existing table: exactly the rows it added are removed', async () => {
    await addMigration(WAYS.insert);
    const before = await snapshot(db.url);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    // the archive holds the keys of the 2 rows the migration added
    expect((await listArchive(await client())).map((e) => [e.table, e.kind, e.rows])).toEqual([
      ['Post', 'rows', 2],
    ]);
    // a row the application adds after the deploy stays
    await query(db.url, `INSERT INTO "Post" (title, "authorId") VALUES ('app', 1)`);
    await applyDown({ url: db.url, environment: 'local', migrationsDir: mig.dir, migration: M, log });
    const after = await snapshot(db.url);
    expect(after.Post).toHaveLength(before.Post.length + 1);
    expect(after.Post.filter((r) => !r.includes('"app"'))).toEqual(before.Post);
    expect(after.User).toEqual(before.User);
  });

  it("enum value removed by Prisma's type swap: prior values come back", async () => {
    await roundTrip(WAYS.enumSwap, [['User', 'columns', 4]]);
  });

  it('rename then drop: the values of the original column come back', async () => {
    await roundTrip(WAYS.renameDrop, [['User', 'columns', 4]]);
  });

  it('roll forward without loss: the rollback archives the values of the column the migration added, the next deploy puts them back', async () => {
    await addMigration('ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n');
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    await query(db.url, `UPDATE "User" SET bio = 'bio of ' || email WHERE id IN (1, 3)`);
    const withBio = await snapshot(db.url);
    await applyDown({ url: db.url, environment: 'local', migrationsDir: mig.dir, migration: M, log });
    expect(
      (await listArchive(await client())).map((e) => [e.migration, e.table, e.kind, e.origin, e.rows]),
    ).toEqual([[M, 'User', 'columns', 'rollback', 4]]);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    expect(await snapshot(db.url)).toEqual(withBio);
    expect(await listArchive(await client())).toEqual([]);
  });

  it('apply-down --to restores too', async () => {
    await addMigration('ALTER TABLE "User" DROP COLUMN "age";\n');
    const before = await snapshot(db.url);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    await applyDownTo({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      to: '20240101000000_init',
      log,
    });
    expect(await snapshot(db.url)).toEqual(before);
  });

  it('the archive is closed to PUBLIC and owned by the deploying role (the tables owner)', async () => {
    await addMigration('ALTER TABLE "User" DROP COLUMN "age";\n');
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    const acl = await query<{
      owner: string;
      public_usage: boolean;
      public_select: boolean;
      tables_owner: string;
    }>(
      db.url,
      `SELECT n.nspowner::regrole::text AS owner,
              has_schema_privilege('public', '_prisma_rollback', 'USAGE') AS public_usage,
              bool_or(has_table_privilege('public', c.oid, 'SELECT')) AS public_select,
              (SELECT tableowner FROM pg_tables WHERE tablename = 'User') AS tables_owner
         FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid
        WHERE n.nspname = '_prisma_rollback' GROUP BY n.nspowner`,
    );
    expect(acl).toEqual([
      {
        owner: acl[0].tables_owner,
        public_usage: false,
        public_select: false,
        tables_owner: acl[0].tables_owner,
      },
    ]);
    const entries = await listArchive(await client());
    expect(entries.map((e) => [e.migration, e.table, e.kind, e.rows])).toEqual([[M, 'User', 'columns', 4]]);
    expect(entries[0].bytes).toBeGreaterThan(0);
  });

  it("the archive is no drift: neither our drift check nor Prisma's engine (live diff) sees _prisma_rollback", async () => {
    await addMigration('ALTER TABLE "User" DROP COLUMN "age";\n');
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    expect((await listArchive(await client())).length).toBe(1);
    const migrations = (await readMigrationsFolder(mig.dir)).migrations.map((m) => ({
      name: m.name,
      sql: m.sql ?? '',
    }));
    expect(await checkDrift({ url: db.url, environment: 'local', migrations })).toMatchObject({
      kind: 'none',
    });
    const diff = await prismaLiveDiff(db.url, migrations);
    expect({ empty: diff.empty, script: diff.empty ? '' : diff.script }).toEqual({ empty: true, script: '' });
  });

  it('--no-archive archives nothing', async () => {
    await addMigration('ALTER TABLE "User" DROP COLUMN "age";\n');
    await deployMigrations({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      log,
      archive: { enabled: false },
    });
    expect(await listArchive(await client())).toEqual([]);
    expect(lines.some((l) => l.includes('--no-archive'))).toBe(true);
  });

  it('down --env NAME shows the archive: the header lists what apply-down restores, the covered warnings say so', async () => {
    await fs.writeFile(
      path.join(mig.root, 'package.json'),
      JSON.stringify({ name: 'app', private: true, devDependencies: { prisma: '6.19.0' } }),
    );
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await fs.mkdir(path.join(mig.root, '.vscode'));
    await fs.writeFile(
      path.join(mig.root, '.vscode', 'settings.json'),
      '{ "prismaRollback.environments": [{ "name": "local", "urlEnv": "LOCAL_URL" }] }',
    );
    const env = { LOCAL_URL: db.url };
    await addMigration(
      'ALTER TABLE "User" DROP COLUMN "age",\nADD COLUMN "nick" TEXT;\nUPDATE "Post" SET "title" = upper("title");\n',
    );
    // without an archive: the generator's own words
    const plain = await runCli(['down', M, '--stdout'], mig.root, env);
    expect(plain.out).toContain('values of "User"."age" cannot be restored from SQL');
    expect(plain.out).not.toContain('Archive on');

    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    const taken = await listArchive(await client());
    const at = (i: number) => formatDateTime(taken[i].takenAt);
    expect(taken.map((e) => [e.table, e.kind, e.rows])).toEqual([
      ['User', 'columns', 4],
      ['Post', 'rows', 3],
    ]);
    const r = await runCli(['down', M, '--env', 'local', '--stdout'], mig.root, env);
    expect(r.err).not.toMatch(/at \w+ \(/);
    const header = r.out.split('\n').filter((l) => l.startsWith('-- Archive on') || l.startsWith('--   '));
    expect(header.slice(0, 3)).toEqual([
      '-- Archive on local: apply-down --env local restores, after this script and in its transaction:',
      `--   User: columns age — 4 rows, taken at ${at(0)}`,
      `--   Post: prior rows — 3 rows, taken at ${at(1)}`,
    ]);
    // the dropped column's warning: restored; the added column's: still deleted (not archived by deploy)
    expect(r.out).toContain(
      `-- WARNING (dataNotRestored): values of "User"."age": restored from the archive of ${at(0)} (apply-down --env local restores it after this script, same transaction)`,
    );
    expect(r.out).not.toContain('values of "User"."age" cannot be restored');
    expect(r.out).toContain('values of "User"."nick" are deleted');
    // the UPDATE's IRREVERSIBLE block says the archive puts the rows back
    expect(r.out).toMatch(/-- IRREVERSIBLE: .* — restored from the archive of /);
    expect(r.out).toContain(
      '-- This step is NOT undone by this script: apply-down --env local puts the archived rows back after it.',
    );
    // --json carries the same warnings
    const j = await runCli(['down', M, '--env', 'local', '--stdout', '--json'], mig.root, env);
    expect(
      j.json().flagged.filter((w: { message: string }) => w.message.includes('restored from the archive of')),
    ).toHaveLength(2);
  });

  it('CLI: deploy reads archive.maxMegabytes; archive lists (text, --json), purges by migration and by age', async () => {
    await fs.writeFile(
      path.join(mig.root, 'package.json'),
      JSON.stringify({ name: 'app', private: true, devDependencies: { prisma: '6.19.0' } }),
    );
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await fs.mkdir(path.join(mig.root, '.vscode'));
    const settings = (mb: number) =>
      fs.writeFile(
        path.join(mig.root, '.vscode', 'settings.json'),
        `{ "prismaRollback.environments": [{ "name": "local", "urlEnv": "LOCAL_URL" }], "prismaRollback.archive.maxMegabytes": ${mb} }`,
      );
    const env = { LOCAL_URL: db.url };
    await query(db.url, `INSERT INTO "Log" SELECT repeat('x', 1000), now() FROM generate_series(1, 3000)`);
    await addMigration('ALTER TABLE "User" DROP COLUMN "age";\nDROP TABLE "Log";\n');

    await settings(1);
    const refused = await runCli(['deploy', '--env', 'local'], mig.root, env);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /The archive would copy about \d+\.\d MB .* archive\.maxMegabytes = 1\. Nothing was applied/,
    );

    await settings(0);
    const empty = await runCli(['archive', '--env', 'local'], mig.root, env);
    expect([empty.code, empty.out]).toEqual([0, 'The archive of local is empty.\n']);
    const d = await runCli(['deploy', '--env', 'local'], mig.root, env);
    expect(d.code).toBe(0);
    expect(d.out).toContain(`archive for ${M}: columns of User (age) — line 1: DROP COLUMN age`);
    const listed = await runCli(['archive', '--env', 'local', '--json'], mig.root, env);
    expect(listed.code).toBe(0);
    expect(
      listed
        .json()
        .entries.map((e: { migration: string; table: string; kind: string; rows: number }) => [
          e.migration,
          e.table,
          e.kind,
          e.rows,
        ]),
    ).toEqual([
      [M, 'Log', 'table', 3003],
      [M, 'User', 'columns', 4],
    ]);
    const text = await runCli(['archive', '--env', 'local'], mig.root, env);
    expect(text.out).toMatch(
      new RegExp(
        `^Archive of local \\(schema _prisma_rollback\\):\n  ${M}  Log  table  3003 row\\(s\\)  \\d+\\.\\d MB  ${formatDateTime(new Date(listed.json().entries[0].takenAt)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`,
      ),
    );
    const none = await runCli(['archive', '--env', 'local', '--older-than', '1'], mig.root, env);
    expect(none.out).toBe(
      'Nothing to purge on local: no archive older than 1 day(s) (`prisma-rollback archive --env local` lists what is archived).\n',
    );
    const typo = await runCli(['archive', '--env', 'local', '--purge', `${M}x`], mig.root, env);
    expect(typo.out).toBe(
      `Nothing to purge on local: no archive of ${M}x (\`prisma-rollback archive --env local\` lists what is archived).\n`,
    );
    const purged = await runCli(['archive', '--env', 'local', '--purge', M], mig.root, env);
    expect(purged.out).toMatch(/^Purged from the archive of local:\n/);
    expect(await listArchive(await client())).toEqual([]);
    const bad = await runCli(['archive', '--env', 'local', '--older-than', 'soon'], mig.root, env);
    expect([bad.code, bad.err.split('\n')[0]]).toEqual([
      2,
      '--older-than needs a number of days ≥ 0, not "soon".',
    ]);
  });

  it('size limit: refuses, says how much, applies nothing', async () => {
    await query(db.url, `INSERT INTO "Log" SELECT repeat('x', 1000), now() FROM generate_series(1, 3000)`);
    await addMigration('DROP TABLE "Log";\n');
    const e = await deployMigrations({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      log,
      archive: { enabled: true, maxMegabytes: 1 },
    }).catch((x) => x);
    expect(e).toBeInstanceOf(RunbookError);
    expect(e.message).toMatch(
      /^The archive would copy about \d+\.\d MB .* over archive\.maxMegabytes = 1\. Nothing was applied\./,
    );
    expect((await query(db.url, 'SELECT count(*)::int AS n FROM "Log"'))[0]).toEqual({ n: 3003 });
  });
});
