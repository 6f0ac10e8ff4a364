/**
 * planRestoreParts (what `restore --from` puts back, read from the archive planner) and
 * deployedInBackup (a backup taken after the deploy), on the real parser and schema model.
 */
import { describe, expect, it } from 'vitest';
import { buildSchemaModelSync } from '../../src/core/generator';
import { deployedInBackup } from '../../src/core/runbook/restore-dump';
import { planRestoreParts } from '../../src/core/runbook/restore-plan';
import { initSqlParser } from '../../src/core/sql/parser';

const INIT = `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "name" TEXT, "age" INTEGER, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT NOT NULL, "at" TIMESTAMP(3), CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Log" ("line" TEXT);
`;

async function parts(sql: string) {
  await initSqlParser();
  const { model } = buildSchemaModelSync([{ name: '1_init', sql: INIT }]);
  return planRestoreParts({ name: '2_change', sql }, model).map((p) => ({
    kind: p.kind,
    table: p.table,
    columns: p.columns,
    needsRollback: p.needsRollback,
    ...(p.refused ? { refused: p.refused } : {}),
    ...(p.inserted ? { inserted: p.inserted } : {}),
  }));
}

describe('planRestoreParts', () => {
  it('UPDATE: the columns its SET assigns; DELETE: the rows; neither needs the rollback', async () => {
    expect(
      await parts(
        `UPDATE "User" SET "name" = upper("name"), ("age", "name") = (1, 'x');\nDELETE FROM "Post" WHERE "id" > 2;\n`,
      ),
    ).toEqual([
      { kind: 'deleted', table: 'Post', columns: ['id', 'title', 'at'], needsRollback: false },
      { kind: 'columns', table: 'User', columns: ['name', 'age'], needsRollback: false },
    ]);
  });

  it('an UPDATE of the key is refused: its rows cannot be matched by key', async () => {
    expect((await parts(`UPDATE "User" SET "id" = "id" + 100;\n`))[0].refused).toBe(
      'its UPDATE assigns the key "id": rows cannot be matched with the backup\'s by key; not restored',
    );
  });

  it('INSERT … VALUES: its constants (DEFAULT not compared); values that are not constants are refused', async () => {
    expect(
      await parts(
        `INSERT INTO "Post" ("title", "at") VALUES ('a', '2024-01-01'::timestamp), ('b', DEFAULT);\n`,
      ),
    ).toEqual([
      {
        kind: 'added',
        table: 'Post',
        columns: ['id'],
        needsRollback: false,
        inserted: [
          {
            line: 1,
            columns: ['title', 'at'],
            rows: [
              ["'a'", "'2024-01-01'::timestamp"],
              ["'b'", undefined],
            ],
          },
        ],
      },
    ]);
    expect((await parts(`INSERT INTO "Post" ("title", "at") VALUES ('a', now());\n`))[0].refused).toBe(
      'the rows INSERT … VALUES with values that are not constants (line 1) added cannot be told from rows added since the deploy: not removed (delete them by hand)',
    );
  });

  it('dropped table and column, rename then drop, a table without key: in the names before the migration', async () => {
    expect(
      await parts(
        `ALTER TABLE "User" RENAME COLUMN "name" TO "fullName";\nALTER TABLE "User" DROP COLUMN "fullName";\nDROP TABLE "Post";\nUPDATE "Log" SET "line" = 'x';\n`,
      ),
    ).toEqual([
      { kind: 'table', table: 'Post', columns: ['id', 'title', 'at'], needsRollback: true },
      { kind: 'table', table: 'Log', columns: ['line'], needsRollback: false },
      { kind: 'columns', table: 'User', columns: ['name'], needsRollback: true },
    ]);
  });
});

describe('deployedInBackup', () => {
  const block = (rows: (string | null)[][]) => ({
    schema: 'public',
    table: '_prisma_migrations',
    columns: ['id', 'finished_at', 'migration_name', 'rolled_back_at'],
    rows,
  });
  it('names when the backup records the migration applied; not when rolled back, unfinished or absent', () => {
    expect(deployedInBackup(block([['a', '2024-05-01 10:00:00+00', '2_change', null]]), '2_change')).toBe(
      '2024-05-01 10:00:00+00',
    );
    expect(
      deployedInBackup(
        block([['a', '2024-05-01 10:00:00+00', '2_change', '2024-05-02 00:00:00+00']]),
        '2_change',
      ),
    ).toBeUndefined();
    expect(deployedInBackup(block([['a', null, '2_change', null]]), '2_change')).toBeUndefined();
    expect(deployedInBackup(block([['a', '2024-05-01', '1_init', null]]), '2_change')).toBeUndefined();
    expect(deployedInBackup(undefined, '2_change')).toBeUndefined();
  });
});
