/**
 * Which warnings of down.sql the environment's archive covers is decided on the structured data
 * each warning carries (RollbackWarning.data: kind, tables, columns, set by the inverse family that
 * writes it), not on the warning's words. The archive notes here are built from the real archive
 * plan (src/core/archive/plan.ts planArchive) of each migration, as deploy would take it; real
 * libpg-query parser and generator.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planArchive } from '../../src/core/archive';
import {
  buildSchemaModelSync,
  generateRollback,
  type RollbackArchiveNote,
  type RollbackWarning,
} from '../../src/core/generator';
import { statementRisks } from '../../src/core/generator/script-risk';
import { initSqlParser, parseMigrationSync } from '../../src/core/sql/parser';

const INIT = `CREATE SCHEMA "a";
CREATE SCHEMA "b";
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "age" INTEGER, "nick" TEXT,
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Log" ("line" TEXT);
CREATE TABLE "a"."Item" ("id" INTEGER NOT NULL, "note" TEXT, CONSTRAINT "Item_pkey" PRIMARY KEY ("id"));
CREATE TABLE "b"."Item" ("id" INTEGER NOT NULL, "note" TEXT, CONSTRAINT "Item_pkey" PRIMARY KEY ("id"));
CREATE TABLE users ("id" INTEGER NOT NULL, "name" TEXT, CONSTRAINT users_pkey PRIMARY KEY ("id"));
`;
const AT = '1 Dec 2026, 10:00 UTC';
const HOW = `restored from the archive of ${AT} (apply-down --env production restores it after this script, same transaction)`;

/** The archive deploy would take of `sql` (every item of its plan), as down.sql shows it. */
function archiveOf(sql: string, keep: (table: string) => boolean = () => true): RollbackArchiveNote {
  const p = planArchive({ name: '2_m', sql }, buildSchemaModelSync([{ name: '1_init', sql: INIT }]).model);
  return {
    environment: 'production',
    entries: p.items
      .map((i) => ({
        table: i.schema ? `${i.schema}.${i.table}` : i.table,
        kind: i.kind,
        columns: i.columns,
        rows: 2,
        takenAt: AT,
      }))
      .filter((e) => keep(e.table)),
  };
}

async function warnings(sql: string, archive?: RollbackArchiveNote): Promise<RollbackWarning[]> {
  const history = [
    { name: '1_init', sql: INIT },
    { name: '2_m', sql },
  ];
  return (await generateRollback(history, 1, archive ? { archive } : {})).warnings;
}

const messages = (ws: RollbackWarning[]) => ws.map((w) => [w.kind, w.message]);

beforeAll(async () => {
  await initSqlParser();
});

describe('warnings carry their data', () => {
  it('DROP COLUMN, ADD COLUMN, DROP TABLE, CREATE TABLE, UPDATE and a USING rewrite each say kind, table, columns', async () => {
    const ws = await warnings(
      `ALTER TABLE "User" DROP COLUMN "age";
ALTER TABLE "a"."Item" ADD COLUMN "extra" TEXT;
DROP TABLE "Log";
CREATE TABLE "New" ("id" INTEGER);
UPDATE users SET name = upper(name);
ALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE INTEGER USING length("title");
`,
    );
    const data = (line: number, kind: string) => ws.find((w) => w.line === line && w.kind === kind)?.data;
    expect(data(1, 'dataNotRestored')).toEqual({
      kind: 'dropColumn',
      tables: [{ schema: undefined, table: 'User' }],
      columns: ['age'],
      lead: 'values of "User"."age"',
    });
    expect(data(2, 'dataLoss')).toEqual({
      kind: 'addColumn',
      tables: [{ schema: 'a', table: 'Item' }],
      columns: ['extra'],
    });
    expect(data(3, 'dataNotRestored')).toEqual({
      kind: 'dropTable',
      tables: [{ schema: undefined, table: 'Log' }],
      lead: 'rows of "Log"',
    });
    expect(data(4, 'dataLoss')).toEqual({
      kind: 'createTable',
      tables: [{ schema: undefined, table: 'New' }],
    });
    expect(data(5, 'irreversible')).toEqual({
      kind: 'update',
      tables: [{ schema: undefined, table: 'users' }],
    });
    expect(data(6, 'dataNotRestored')).toEqual({
      kind: 'alterType',
      tables: [{ schema: undefined, table: 'Post' }],
      columns: ['title'],
      lead: 'the migration rewrote the values of "title" (USING length(title))',
    });
  });

  it("the analysis of another tool's script (script-risk.ts) carries the same data", () => {
    const [drop, trunc] = parseMigrationSync(
      'ALTER TABLE "b"."Item" DROP COLUMN "note";\nTRUNCATE "Post";\n',
    ).statements;
    expect(statementRisks(drop.node, 1).warnings.map((w) => w.data)).toEqual([
      {
        kind: 'dropColumn',
        tables: [{ schema: 'b', table: 'Item' }],
        columns: ['note'],
        lead: 'values of "b"."Item"."note"',
      },
    ]);
    expect(statementRisks(trunc.node, 2).warnings.map((w) => w.data)).toEqual([
      { kind: 'truncate', tables: [{ schema: undefined, table: 'Post' }], lead: 'rows of "Post"' },
    ]);
  });
});

describe('the archive covers a warning by its data', () => {
  it('a dropped table reads restored; the table the migration creates under the same name keeps "are deleted"', async () => {
    const sql = 'DROP TABLE "Log";\nCREATE TABLE "Log" ("line" TEXT, "at" TIMESTAMP(3));\n';
    const ws = await warnings(sql, archiveOf(sql));
    expect(messages(ws)).toEqual([
      ['dataLoss', 'all rows of "Log" are deleted'],
      ['dataNotRestored', `rows of "Log": ${HOW}`],
    ]);
    // without the archive: the generator's own words
    expect(messages(await warnings(sql))).toEqual([
      ['dataLoss', 'all rows of "Log" are deleted'],
      ['dataNotRestored', 'the table comes back empty: rows of "Log" must be restored from the backup'],
    ]);
  });

  it("a column dropped and added again under its name: the old values are restored, the new column's values are deleted", async () => {
    const sql = 'ALTER TABLE "User" DROP COLUMN "nick",\nADD COLUMN "nick" INTEGER;\n';
    const ws = await warnings(sql, archiveOf(sql));
    expect(ws.find((w) => w.kind === 'dataLoss')?.message).toBe('values of "User"."nick" are deleted');
    expect(ws.find((w) => w.data?.kind === 'dropColumn')?.message).toBe(`values of "User"."nick": ${HOW}`);
  });

  it('an UPDATE of an unquoted table name is restored when the archive holds its prior rows, not otherwise', async () => {
    const sql = 'UPDATE users SET name = upper(name);\n';
    const covered = await warnings(sql, archiveOf(sql));
    expect(covered.map((w) => w.message)).toEqual([
      `data change (UPDATE): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration — ${HOW}`,
    ]);
    const other = await warnings(sql, { environment: 'production', entries: [] });
    expect(other.map((w) => w.message)).toEqual([
      'data change (UPDATE): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration',
    ]);
  });

  it('an UPDATE whose WITH also inserts into another table is not restored (the archive does not hold those rows)', async () => {
    const sql =
      'WITH moved AS (INSERT INTO "Post" ("title") SELECT "email" FROM "User" RETURNING "id")\nUPDATE "User" SET "nick" = NULL;\n';
    const archive = archiveOf(sql);
    expect(archive.entries.map((e) => [e.table, e.kind])).toEqual([['User', 'rows']]);
    const [w] = await warnings(sql, archive);
    expect(w.data).toEqual({
      kind: 'update',
      tables: [
        { schema: undefined, table: 'User' },
        { schema: undefined, table: 'Post' },
      ],
    });
    expect(w.message).not.toContain('restored from the archive');
  });

  it('the same table name in another schema is not covered', async () => {
    const sql = 'ALTER TABLE "a"."Item" DROP COLUMN "note";\n';
    const archive = archiveOf(sql);
    expect(archive.entries.map((e) => e.table)).toEqual(['a.Item']);
    expect((await warnings(sql, archive))[0].message).toBe(`values of "a"."Item"."note": ${HOW}`);
    const elsewhere = { ...archive, entries: archive.entries.map((e) => ({ ...e, table: 'b.Item' })) };
    expect((await warnings(sql, elsewhere))[0].message).toMatch(
      /^values of "a"\."Item"\."note" cannot be restored from SQL/,
    );
  });

  it('a run of UPDATEs grouped into one section is restored only when the archive holds every table of the run', async () => {
    const sql =
      'UPDATE "User" SET "nick" = NULL;\nUPDATE "Post" SET "title" = NULL;\nUPDATE "User" SET "age" = 1;\n';
    const all = await warnings(sql, archiveOf(sql));
    expect(all).toHaveLength(1);
    expect(all[0].message).toBe(
      `3 UPDATEs (lines 1–3): data change (UPDATE): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration — ${HOW}`,
    );
    const onlyUser = await warnings(
      sql,
      archiveOf(sql, (t) => t === 'User'),
    );
    expect(onlyUser[0].message).not.toContain('restored from the archive');
  });

  it('several dropped columns of one table: each warning is restored on its own', async () => {
    const sql =
      'ALTER TABLE "User" DROP COLUMN "age";\nALTER TABLE "User" DROP COLUMN "age2";\nALTER TABLE "User" DROP COLUMN "age3";\n';
    const init = INIT.replace('"nick" TEXT,', '"nick" TEXT, "age2" INTEGER, "age3" INTEGER,');
    const history = [
      { name: '1_init', sql: init },
      { name: '2_m', sql },
    ];
    const p = planArchive(history[1], buildSchemaModelSync([history[0]]).model);
    const archive: RollbackArchiveNote = {
      environment: 'production',
      entries: p.items.map((i) => ({
        table: i.table,
        kind: i.kind,
        columns: i.columns,
        rows: 2,
        takenAt: AT,
      })),
    };
    const r = await generateRollback(history, 1, { archive });
    expect(r.warnings.filter((w) => w.kind === 'dataNotRestored').map((w) => w.message)).toEqual([
      `values of "User"."age3": ${HOW}`,
      `values of "User"."age2": ${HOW}`,
      `values of "User"."age": ${HOW}`,
    ]);
  });
});
