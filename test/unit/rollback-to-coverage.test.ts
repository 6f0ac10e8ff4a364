/**
 * `apply-down --to --generate` runs a generated rollback with steps SQL cannot undo only when the
 * environment's archive covers each of them (stepsNotCovered, on RollbackWarning.archived set by the
 * generator's archive coverage): a run of grouped statements, a table the archive does not hold,
 * a statement no archive can cover (ALTER SEQUENCE, a DO block). Real libpg-query parser and
 * generator; archive notes built from the real archive plan, as deploy would take it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planArchive } from '../../src/core/archive';
import { buildSchemaModelSync, generateRollback, type RollbackArchiveNote } from '../../src/core/generator';
import { stepsNotCovered } from '../../src/core/runbook/apply-down-to';
import { initSqlParser } from '../../src/core/sql/parser';

const INIT = `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "age" INTEGER,
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
`;

/** The archive deploy would take of `sql`, restricted to the tables `keep` accepts. */
function archiveOf(sql: string, keep: (table: string) => boolean = () => true): RollbackArchiveNote {
  const p = planArchive({ name: '2_m', sql }, buildSchemaModelSync([{ name: '1_init', sql: INIT }]).model);
  return {
    environment: 'production',
    entries: p.items
      .filter((i) => keep(i.table))
      .map((i) => ({ table: i.table, kind: i.kind, columns: i.columns, rows: 1, takenAt: 'then' })),
  };
}

async function uncovered(sql: string, archive?: RollbackArchiveNote): Promise<string[]> {
  const r = await generateRollback(
    [
      { name: '1_init', sql: INIT },
      { name: '2_m', sql },
    ],
    1,
    { archive },
  );
  return stepsNotCovered(r);
}

describe('stepsNotCovered', () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  it('an UPDATE, a DELETE and an INSERT the archive holds: none left; without an archive: each, by line and statement', async () => {
    const sql = `UPDATE "User" SET "age" = 1;\nDELETE FROM "Post" WHERE "title" IS NULL;\nINSERT INTO "Post" ("title") VALUES ('x');\n`;
    expect(await uncovered(sql, archiveOf(sql))).toEqual([]);
    expect(await uncovered(sql)).toEqual([
      'migration.sql:1 UPDATE "User" SET "age" = 1',
      'migration.sql:2 DELETE FROM "Post" WHERE "title" IS NULL',
      `migration.sql:3 INSERT INTO "Post" ("title") VALUES ('x')`,
    ]);
  });

  it('a run of grouped UPDATEs (one section of down.sql) is covered as a whole, or each statement named', async () => {
    const sql = Array.from({ length: 5 }, (_, i) => `UPDATE "User" SET "age" = ${i} WHERE "id" = ${i};`).join(
      '\n',
    );
    expect(await uncovered(sql, archiveOf(sql))).toEqual([]);
    expect(await uncovered(sql)).toEqual(
      Array.from(
        { length: 5 },
        (_, i) => `migration.sql:${i + 1} UPDATE "User" SET "age" = ${i} WHERE "id" = ${i}`,
      ),
    );
  });

  it('the archive of another table covers nothing here; ALTER SEQUENCE and a DO block are never covered', async () => {
    const sql = `UPDATE "User" SET "age" = 1;\nDELETE FROM "Post";\n`;
    expect(
      await uncovered(
        sql,
        archiveOf(sql, (t) => t === 'Post'),
      ),
    ).toEqual(['migration.sql:1 UPDATE "User" SET "age" = 1']);
    const other = `ALTER SEQUENCE "User_id_seq" RESTART WITH 100;\nDO $$ BEGIN DELETE FROM "Post"; END $$;\n`;
    expect(await uncovered(other, archiveOf(`DELETE FROM "Post";\n`))).toEqual([
      'migration.sql:1 ALTER SEQUENCE "User_id_seq" RESTART WITH 100',
      'migration.sql:2 DO $$ BEGIN DELETE FROM "Post"; END $$',
    ]);
  });
});
