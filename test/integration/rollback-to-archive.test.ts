/**
 * `apply-down --to <m> --generate` over a range holding data changes (UPDATE, DELETE, INSERT) on
 * a real PostgreSQL 15: with the archive `deploy` took, the generated rollbacks run and the
 * archive's restore puts every row back (byte-identical, as `apply-down` of each migration in turn
 * would); without it (`deploy --no-archive`), or with a step the archive does not cover (a DO
 * block), it is refused with one line naming the migration and each statement not covered, and
 * nothing changes. `down --to <m> --env` shows the same archive in each down.sql it writes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listArchive } from '../../src/core/archive';
import { formatDateTime } from '../../src/core/status/time';
import { runCliLines } from '../support/cli';
import { INIT, SEED, snapshot } from '../support/data-loss';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { prismaPackageJson, SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const M1 = '20240101000000_init';
const M2 = '20240102000000_fix_data';
const M3 = '20240103000000_drop_meta';
/** The middle migration: an UPDATE and a DELETE of seeded rows. */
const M2_SQL = `UPDATE "User" SET "name" = upper(coalesce("name", 'none')) WHERE "age" > 18;\nDELETE FROM "Post" WHERE "body" IS NULL OR "title" = 'p3';\n`;
/** The last one: an INSERT and a dropped column. */
const M3_SQL = `INSERT INTO "Post" (title, body, "authorId") VALUES ('new', 'n', 2);\nALTER TABLE "User" DROP COLUMN "meta";\n`;

describe('apply-down --to --generate with the archive (real PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: TempProject;
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]) => runCliLines(argv, mig.root, env);
  const rolledBack = async () =>
    (
      await query<{ migration_name: string }>(
        db.url,
        'SELECT migration_name FROM _prisma_migrations WHERE rolled_back_at IS NOT NULL ORDER BY 1',
      )
    ).map((r) => r.migration_name);

  /** M1 deployed and seeded; M2 and M3 (middle: `m2`) deployed with `deployArgs`; the rows before them. */
  async function deployed(m2: string, deployArgs: string[] = []) {
    mig = await tempProject({
      packageJson: prismaPackageJson(),
      schema: SCHEMA_WITH_URL_ENV,
      settings: '{ "prismaRollback.environments": [{ "name": "local", "urlEnv": "LOCAL_URL" }] }',
      migrations: { [M1]: INIT },
    });
    env = { PATH: process.env.PATH, LOCAL_URL: db.url };
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    await query(db.url, SEED);
    const before = await snapshot(db.url);
    await mig.add(M2, m2);
    await mig.add(M3, M3_SQL);
    const d = await cli('deploy', '--env', 'local', ...deployArgs);
    expect(d.err).toBe('');
    expect(d.code).toBe(0);
    expect(await snapshot(db.url)).not.toEqual(before);
    return before;
  }

  beforeEach(async () => {
    db = await createTestDatabase('rollto_arch');
  });
  afterEach(async () => {
    await db?.drop();
    await mig?.cleanup();
  });

  it('the archive covers the UPDATE and DELETE: the range rolls back and every row comes back byte-identical', async () => {
    const before = await deployed(M2_SQL);
    const after = await snapshot(db.url);
    const taken = await deployArchive(db.url);
    expect(taken.map((e) => [e.migration, e.table, e.kind, e.rows])).toEqual([
      [M2, 'Post', 'rows', 2],
      [M2, 'User', 'rows', 2],
      [M3, 'User', 'columns', 4],
      [M3, 'Post', 'rows', 1],
    ]);

    // A dry run rehearses it all, restore included, and changes nothing.
    const dry = await cli('apply-down', '--to', M1, '--env', 'local', '--generate', '--dry-run');
    expect(dry.err).toBe('');
    expect(dry.out).toContain(`would roll back 2 migration(s) after ${M1} on local: ${M3}, ${M2}`);
    expect(await snapshot(db.url)).toEqual(after);
    expect(await rolledBack()).toEqual([]);

    const r = await cli('apply-down', '--to', M1, '--env', 'local', '--generate');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${M2}  (${M2}/down.sql (generated), 0 statement(s))`);
    expect(r.out).toContain(
      `  restored from the archive of ${formatDateTime(taken[1].takenAt)}: rows of User (2 row(s))`,
    );
    expect(r.out).toContain(`Rolled back 2 migration(s) after ${M1} on local: ${M3}, ${M2}`);
    expect(await snapshot(db.url)).toEqual(before);
    expect(await rolledBack()).toEqual([M2, M3]);
    // The restore consumed the archives of the deploy.
    expect(await deployArchive(db.url)).toEqual([]);
  }, 120_000);

  it('deployed with --no-archive: refused in one line naming the migration and each statement not covered; nothing changes', async () => {
    await deployed(M2_SQL, ['--no-archive']);
    const after = await snapshot(db.url);
    for (const extra of [[], ['--dry-run']]) {
      const r = await cli('apply-down', '--to', M1, '--env', 'local', '--generate', ...extra);
      expect(r.err).toBe(
        `The generated rollbacks cannot undo from SQL, and the archive on local does not cover: ${M3}/migration.sql:1 INSERT INTO "Post" (title, body, "authorId") VALUES ('new', 'n', 2) (local has no archive of ${M3}: deployed with --no-archive, purged, or taken by an earlier deploy); ${M2}/migration.sql:1 UPDATE "User" SET "name" = upper(coalesce("name", 'none')) WHERE "age" > 18, ${M2}/migration.sql:2 DELETE FROM "Post" WHERE "body" IS NULL OR "title" = 'p3' (local has no archive of ${M2}: deployed with --no-archive, purged, or taken by an earlier deploy). Write those down.sql by hand (prisma-rollback down --to ${M1} --env local writes the missing ones; edit them), or restore those rows from a backup (prisma-rollback restore --migration NAME --from FILE). Nothing was run.`,
      );
      expect(r.code).toBe(2);
      expect(await snapshot(db.url)).toEqual(after);
      expect(await rolledBack()).toEqual([]);
    }
  }, 120_000);

  it('an archive taken by an earlier deploy (stale) covers nothing: refused for that migration alone; nothing changes', async () => {
    await deployed(M2_SQL);
    // M2's archive now records another deploy than the row _prisma_migrations holds for it
    await query(
      db.url,
      `UPDATE _prisma_rollback.archive SET deploy_id = 'an-earlier-deploy' WHERE migration = '${M2}'`,
    );
    const after = await snapshot(db.url);
    const r = await cli('apply-down', '--to', M1, '--env', 'local', '--generate');
    expect(r.err).toBe(
      `The generated rollbacks cannot undo from SQL, and the archive on local does not cover: ${M2}/migration.sql:1 UPDATE "User" SET "name" = upper(coalesce("name", 'none')) WHERE "age" > 18, ${M2}/migration.sql:2 DELETE FROM "Post" WHERE "body" IS NULL OR "title" = 'p3' (local has no archive of ${M2}: deployed with --no-archive, purged, or taken by an earlier deploy). Write that down.sql by hand (prisma-rollback down --to ${M1} --env local writes the missing ones; edit them), or restore those rows from a backup (prisma-rollback restore --migration NAME --from FILE). Nothing was run.`,
    );
    expect(r.code).toBe(2);
    expect(await snapshot(db.url)).toEqual(after);
    expect(await rolledBack()).toEqual([]);
  }, 120_000);

  it('a step the archive does not cover (a DO block) is named; the covered ones are not; nothing changes', async () => {
    await deployed(`${M2_SQL}DO $$ BEGIN UPDATE "User" SET "age" = "age" + 1; END $$;\n`);
    const after = await snapshot(db.url);
    const r = await cli('apply-down', '--to', M1, '--env', 'local', '--generate');
    expect(r.err).toBe(
      `The generated rollbacks cannot undo from SQL, and the archive on local does not cover: ${M2}/migration.sql:3 DO $$ BEGIN UPDATE "User" SET "age" = "age" + 1; END $$ (not in its archive on local). Write that down.sql by hand (prisma-rollback down --to ${M1} --env local writes the missing ones; edit them), or restore those rows from a backup (prisma-rollback restore --migration NAME --from FILE). Nothing was run.`,
    );
    expect(r.code).toBe(2);
    expect(await snapshot(db.url)).toEqual(after);
    expect(await rolledBack()).toEqual([]);
  }, 120_000);

  it('down --to --env shows each migration’s archive in the down.sql it writes, like down <m> --env; apply-down --to with them restores', async () => {
    const before = await deployed(M2_SQL);
    const taken = await deployArchive(db.url);
    const at = (m: string, table: string) =>
      formatDateTime(taken.find((e) => e.migration === m && e.table === table)!.takenAt);
    // without --env: the generator's own words, no archive
    const plain = await cli('down', '--to', M1);
    expect(plain.out).not.toContain('archive on');
    expect(await fs.readFile(path.join(mig.dir, M3, 'down.sql'), 'utf8')).toContain(
      'values of "User"."meta" cannot be restored from SQL',
    );
    expect(await fs.readFile(path.join(mig.dir, M2, 'down.sql'), 'utf8')).not.toContain('Archive on');
    await fs.rm(path.join(mig.dir, M2, 'down.sql'));
    await fs.rm(path.join(mig.dir, M3, 'down.sql'));

    const r = await cli('down', '--to', M1, '--env', 'local');
    expect(r.err).toBe('');
    expect(r.code).toBe(1); // the UPDATE and DELETE are IRREVERSIBLE from SQL (the archive puts them back)
    expect(r.out.split('\n')).toEqual([
      `  ${M2}: wrote ${path.relative(mig.root, path.join(mig.dir, M2, 'down.sql'))} (2 statements, 2 IRREVERSIBLE, 2 warning(s); archive on local of ${at(M2, 'Post')}: apply-down --env local restores it)`,
      `  ${M3}: wrote ${path.relative(mig.root, path.join(mig.dir, M3, 'down.sql'))} (2 statements, 1 IRREVERSIBLE, 2 warning(s); archive on local of ${at(M3, 'User')}: apply-down --env local restores it)`,
      `2 down.sql written, 0 kept, for the 2 migration(s) after ${M1}.`,
    ]);
    const m2 = await fs.readFile(path.join(mig.dir, M2, 'down.sql'), 'utf8');
    // the same text as down <m> --env writes for that migration
    const single = await cli('down', M2, '--env', 'local', '--stdout');
    expect(m2).toBe(`${single.out.split('\nRollback of')[0]}\n`);
    const lines = m2.split('\n');
    const header = lines.indexOf(
      '-- Archive on local: apply-down --env local restores, after this script and in its transaction:',
    );
    expect(lines.slice(header + 1, header + 4)).toEqual([
      `--   Post: prior rows — 2 rows, taken at ${at(M2, 'Post')}`,
      `--   User: prior rows — 2 rows, taken at ${at(M2, 'User')}`,
      '-- Review every WARNING before running this script; it undoes the migration statement by statement, last first.',
    ]);
    expect(m2).toContain(
      `-- IRREVERSIBLE: data change (DELETE): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration — restored from the archive of ${at(M2, 'Post')} (apply-down --env local restores it after this script, same transaction)`,
    );
    expect(m2).toContain(
      `-- IRREVERSIBLE: data change (UPDATE): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration — restored from the archive of ${at(M2, 'User')} (apply-down --env local restores it after this script, same transaction)`,
    );
    const m3 = await fs.readFile(path.join(mig.dir, M3, 'down.sql'), 'utf8');
    expect(m3).toContain(
      `-- WARNING (dataNotRestored): values of "User"."meta": restored from the archive of ${at(M3, 'User')} (apply-down --env local restores it after this script, same transaction)`,
    );
    // kept files: the terminal still says what the archive restores
    const again = await cli('down', '--to', M1, '--env', 'local');
    expect(again.out).toContain(
      `  ${M2}: down.sql exists, kept; archive on local of ${at(M2, 'Post')}: apply-down --env local restores it`,
    );
    // and the files written run: apply-down --to (no --generate) restores every row
    const applied = await cli('apply-down', '--to', M1, '--env', 'local');
    expect(applied.err).toBe('');
    expect(applied.code).toBe(0);
    expect(await snapshot(db.url)).toEqual(before);
  }, 120_000);
});

/** The archive on `url` (origin `deploy`: what deploy took), oldest first. */
async function deployArchive(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await listArchive(c)).filter((e) => e.origin === 'deploy');
  } finally {
    await c.end();
  }
}
