/**
 * `prisma-rollback restore --from <pg_dump file>` on a real PostgreSQL 15, one case per way of
 * destroying data (the same ways as archive.test.ts, the same schema and seed rows): the migration is
 * deployed WITHOUT the archive (`deploy --no-archive`), rolled back (`apply-down`, the generator's
 * down.sql), then restored from a pg_dump taken before the deploy — every table's rows identical
 * to before the deploy (snapshot, test/support/data-loss.ts). Then the refusals: each one line.
 *
 * One database setup per file: the first migration and the seed rows are deployed once into a base
 * database, dumped once (custom and plain format), and each case runs on a copy (CREATE DATABASE …
 * TEMPLATE base).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { runCli } from '../support/cli';
import { INIT, SEED, snapshot, WAYS } from '../support/data-loss';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

const M = '20240201000000_change';

describe('restore --from a pg_dump: every way of destroying data (real PostgreSQL 15)', () => {
  let base: TestDatabase;
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let before: Record<string, string[]>;
  /** The backups of `base`, taken before M: custom and plain format. */
  let custom: string;
  let plain: string;
  const cli = (...args: string[]) => runCli(args, mig.root, { STAGING_URL: db.url });

  beforeAll(async () => {
    base = await createTestDatabase('restore_base');
    db = base;
    mig = await tempMigrations();
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await fs.mkdir(path.join(mig.root, '.vscode'));
    await fs.writeFile(
      path.join(mig.root, '.vscode', 'settings.json'),
      '{ "prismaRollback.environments": [{ "name": "staging", "urlEnv": "STAGING_URL" }] }',
    );
    await mig.add('20240101000000_init', INIT);
    expect((await cli('deploy', '--env', 'staging')).code).toBe(0);
    await query(base.url, SEED);
    before = await snapshot(base.url);
    const c = await cli('backup', '--env', 'staging', '--format', 'custom', '--json');
    expect(c.code).toBe(0);
    custom = c.json().file;
    plain = path.join(mig.root, 'before.sql');
    expect((await cli('backup', '--env', 'staging', '--out', plain)).code).toBe(0);
  }, 120_000);
  afterEach(async () => {
    if (db !== base) await db.drop();
    db = base;
    await mig.remove(M);
  });
  afterAll(async () => {
    await base?.drop();
    await mig?.cleanup();
  });

  /** A copy of the base database, and M = `sql` with the generator's down.sql. */
  async function prepare(sql: string) {
    db = await createTestDatabase('restore_way', base);
    await mig.add(M, sql);
    const history = (await readMigrationsFolder(mig.dir)).migrations.map((m) => ({
      name: m.name,
      sql: m.sql ?? '',
    }));
    await fs.writeFile(
      path.join(mig.dir, M, 'down.sql'),
      (await generateRollback(history, history.length - 1)).sql,
    );
  }
  const deploy = async () => expect((await cli('deploy', '--env', 'staging', '--no-archive')).code).toBe(0);
  const rollBack = async () => {
    const r = await cli('apply-down', M, '--env', 'staging');
    expect(r.code, r.err).toBe(0);
  };
  const restore = (from: string, ...more: string[]) =>
    cli('restore', '--env', 'staging', '--migration', M, '--from', from, ...more);

  /**
   * Deploy M without archive, roll back (data still lost), restore from the dump taken before:
   * every table's rows identical to before the deploy. Returns the plan lines. A migration that only
   * changes rows has an empty down.sql (apply-down refuses one): `dmlOnly` restores with M still
   * applied.
   */
  async function roundTrip(sql: string, o: { from?: string; dmlOnly?: boolean } = {}): Promise<string[]> {
    await prepare(sql);
    await deploy();
    if (!o.dmlOnly) await rollBack();
    expect(await snapshot(db.url), 'the rollback alone does not bring the data back').not.toEqual(before);
    const r = await restore(o.from ?? custom);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    if (o.dmlOnly)
      expect(r.out).toContain(
        `${M} only changed rows and is still recorded as applied: its row changes are undone, _prisma_migrations is left as it is.`,
      );
    expect(await snapshot(db.url)).toEqual(before);
    expect(
      await query(
        db.url,
        `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = '_prisma_rollback_restore'`,
      ),
      'the scratch schema is dropped',
    ).toEqual([{ n: 0 }]);
    return r.out.split('\n').filter((l) => l.startsWith('  '));
  }

  it('drop column: values come back by primary key', async () => {
    expect(await roundTrip(WAYS.dropColumn)).toEqual([
      `  "public"."User" "age", "meta": values of 4 of the backup's 4 rows written, matched by "id"`,
    ]);
  });

  it('drop table with rows: rows come back, also into a table without key (re-created empty)', async () => {
    expect(await roundTrip(WAYS.dropTable, { from: plain })).toEqual([
      `  "public"."Post": 3 of the backup's 3 rows inserted (matched by "id"; rows already there are kept)`,
      `  "public"."Log": 3 of the backup's 3 rows inserted (no key: the table is empty, every row)`,
    ]);
    // the re-created sequence was moved past the restored ids
    expect(
      await query(db.url, `INSERT INTO "Post" (title, "authorId") VALUES ('next', 1) RETURNING id`),
    ).toEqual([{ id: 4 }]);
  });

  it('lossy type change with USING: prior values come back', async () => {
    expect(await roundTrip(WAYS.usingType)).toEqual([
      `  "public"."User" "score": values of 3 of the backup's 4 rows written, matched by "id"`,
    ]);
  });

  it('UPDATE transform: the columns it assigned come back by key', async () => {
    expect(
      await roundTrip(WAYS.update, {
        dmlOnly: true,
      }),
    ).toEqual([`  "public"."User" "name": values of 2 of the backup's 4 rows written, matched by "id"`]);
  });

  it('DELETE: the deleted rows are inserted again', async () => {
    expect(await roundTrip(WAYS.delete, { dmlOnly: true })).toEqual([
      `  "public"."Post": 2 of the backup's 3 rows the migration deleted inserted again, matched by "id"`,
    ]);
  });

  it('INSERT into an existing table: exactly the rows it added are deleted, a row the application added stays', async () => {
    await prepare(WAYS.insert);
    await deploy();
    await query(db.url, `INSERT INTO "Post" (title, "authorId") VALUES ('app', 1)`);
    const r = await restore(custom);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toContain(
      `  "public"."Post": 2 rows the migration inserted deleted (keys not in the backup, values as its INSERT wrote them)`,
    );
    const after = await snapshot(db.url);
    expect(after.Post.filter((x) => !x.includes('"app"'))).toEqual(before.Post);
    expect(after.Post).toHaveLength(before.Post.length + 1);
    expect({ ...after, Post: before.Post }).toEqual(before);
  });

  it('INSERT whose values the application wrote again since the deploy: refused, nothing deleted', async () => {
    await prepare(`INSERT INTO "Post" (title, body, "authorId") VALUES ('new', 'n', 2);\n`);
    await deploy();
    await query(db.url, `INSERT INTO "Post" (title, body, "authorId") VALUES ('new', 'n', 2)`);
    const deployed = await snapshot(db.url);
    const r = await restore(custom);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `  "public"."Post": NOT restored — more rows of "public"."Post" not in the backup hold the values the migration's INSERT wrote than it inserted: its rows cannot be told from rows added since the deploy; not removed (delete them by hand).`,
    );
    expect(r.out.trim().split('\n').at(-1)).toBe('Nothing was restored on staging.');
    expect(await snapshot(db.url)).toEqual(deployed);
  });

  it("enum value removed by Prisma's type swap: the column's values come back by key", async () => {
    expect(await roundTrip(WAYS.enumSwap)).toEqual([
      `  "public"."User" "role": values of 2 of the backup's 4 rows written, matched by "id"`,
    ]);
  });

  it('rename then drop: the values of the original column come back', async () => {
    expect(await roundTrip(WAYS.renameDrop)).toEqual([
      `  "public"."User" "name": values of 3 of the backup's 4 rows written, matched by "id"`,
    ]);
  });

  it('refuses, in one line, a backup taken after the deploy, one that lacks a table, and a migration not rolled back; changes nothing', async () => {
    await prepare(`ALTER TABLE "User" DROP COLUMN "age";\nDELETE FROM "Post" WHERE "title" = 'p3';\n`);
    await deploy();
    const notYet = await restore(custom);
    expect([notYet.code, notYet.err.trim()]).toEqual([
      1,
      `${M} is applied on staging: roll ${M} back first (apply-down), then restore.`,
    ]);
    const after = path.join(mig.root, 'after.sql');
    expect((await cli('backup', '--env', 'staging', '--out', after)).code).toBe(0);
    await rollBack();
    const rolledBack = await snapshot(db.url);

    const late = await restore(after);
    expect(late.code).toBe(2);
    expect(late.err.trim().split('\n')).toHaveLength(1);
    expect(late.err).toMatch(
      new RegExp(
        `^The backup .*after\\.sql was taken after ${M} was deployed \\(its _prisma_migrations records it as applied at 2\\d{3}-.*\\): it holds the data already changed\\. Use a backup taken before the deploy\\. Nothing was changed\\.\n$`,
      ),
    );

    // a backup of this database without the Post table's rows
    const partial = path.join(mig.root, 'partial.sql');
    const text = await fs.readFile(plain, 'utf8');
    await fs.writeFile(partial, text.replace(/^COPY public\."Post" [^\n]*\n[\s\S]*?^\\\.\n/m, ''));
    const missing = await restore(partial);
    expect([missing.code, missing.err.trim()]).toEqual([
      2,
      `The backup ${partial} holds no rows of "public"."Post" (no COPY block: was it taken of this database, before ${M}, without --inserts?). Nothing was changed.`,
    ]);

    // a value the live column's type rejects: the merge fails, is rolled back, leaves no scratch schema
    const bad = path.join(mig.root, 'bad.sql');
    await fs.writeFile(bad, text.replace(/^(1\ta@x\.io\tAnn\t)31\t/m, '$1not a number\t'));
    const failed = await restore(bad);
    expect(failed.code).toBe(1);
    expect(failed.err.trim().split('\n')).toHaveLength(1);
    expect(failed.err).toContain('failed and was rolled back, nothing changed: ');
    expect(failed.err).toContain('invalid input syntax for type integer: "not a number"');
    expect(
      await query(
        db.url,
        `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = '_prisma_rollback_restore'`,
      ),
    ).toEqual([{ n: 0 }]);
    expect(await snapshot(db.url)).toEqual(rolledBack);
  });

  it('refuses the parts it cannot do safely, says which, writes the rest: INSERT … SELECT, a table without key that holds rows', async () => {
    await prepare(
      `INSERT INTO "Post" (title, "authorId") SELECT 'copy of ' || title, "authorId" FROM "Post";\nUPDATE "Log" SET "line" = upper("line");\nALTER TABLE "User" DROP COLUMN "age";\n`,
    );
    await deploy();
    await rollBack();
    const rolledBack = await snapshot(db.url);
    const r = await restore(custom);
    expect(r.code).toBe(1);
    expect(r.out.split('\n').filter((l) => l.startsWith('  '))).toEqual([
      `  "public"."Post": NOT restored — the rows INSERT … SELECT (line 1) added cannot be told from rows added since the deploy: not removed (delete them by hand).`,
      `  "public"."Log": NOT restored — "public"."Log" has no primary key or unique NOT NULL key and holds 3 row(s): the backup's rows cannot be matched with them, so it is restored only when empty (re-created by the rollback); not restored.`,
      `  "public"."User" "age": values of 3 of the backup's 4 rows written, matched by "id"`,
    ]);
    expect(r.err.trim()).toBe(
      'Not restored (see above): "public"."Post" (rows the migration inserted), "public"."Log" (rows).',
    );
    const after = await snapshot(db.url);
    expect(after.User).toEqual(before.User);
    expect({ Post: after.Post, Log: after.Log }).toEqual({ Post: rolledBack.Post, Log: rolledBack.Log });
  });
  it('refuses, by part, a backup none of whose keys is in the table (a backup of another database): nothing written, exit 1', async () => {
    await prepare('ALTER TABLE "User" DROP COLUMN "age";\nDELETE FROM "Post" WHERE "id" = 2;\n');
    await deploy();
    await rollBack();
    // The keys no longer meet the backup's: the same shape as a dump of another database.
    await query(db.url, 'UPDATE "User" SET "id" = "id" + 1000; UPDATE "Post" SET "id" = "id" + 1000');
    const renumbered = await snapshot(db.url);
    const r = await restore(custom);
    expect(r.code).toBe(1);
    const lines = r.out.split('\n').filter((l) => l.startsWith('  '));
    expect(lines).toHaveLength(2);
    expect(lines.sort()).toEqual([
      `  "public"."Post": NOT restored — none of the backup's 3 row(s) of "public"."Post" has the key ("id") of a row in the table: is the backup of this database? not restored.`,
      `  "public"."User": NOT restored — none of the backup's 4 row(s) of "public"."User" has the key ("id") of a row in the table: is the backup of this database? not restored.`,
    ]);
    expect(r.out.trim().split('\n').at(-1)).toBe('Nothing was restored on staging.');
    expect(await snapshot(db.url)).toEqual(renumbered);
  });
});
