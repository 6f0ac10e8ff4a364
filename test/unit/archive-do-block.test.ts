/**
 * DML inside a DO block is not archived (issue 12): the archive plan lists the block as
 * `unarchived`, and down.sql shown with an environment's archive fails closed — the DO step says
 * "data changed inside a DO block is not archived" and is never "restored from the archive", even
 * when the block writes to a table the archive holds. Real libpg-query parser and generator.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { planArchive, UNARCHIVED_DO } from '../../src/core/archive';
import { buildSchemaModelSync, generateRollback } from '../../src/core/generator';
import { initSqlParser } from '../../src/core/sql/parser';

const INIT = `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "age" INTEGER,
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
`;
const M = `ALTER TABLE "User" DROP COLUMN "age";
DO $$ BEGIN UPDATE "User" SET "email" = lower("email"); END $$;
`;
const history = [
  { name: '1_init', sql: INIT },
  { name: '2_m', sql: M },
];
const archive = {
  environment: 'production',
  entries: [
    { table: 'User', kind: 'columns' as const, columns: ['age'], rows: 4, takenAt: '1 Dec 2026, 10:00 UTC' },
  ],
};

beforeAll(async () => {
  await initSqlParser();
});

describe('a DO block and the archive', () => {
  it('the plan archives the dropped column and lists the DO block as not archived', () => {
    const p = planArchive(history[1], buildSchemaModelSync([history[0]]).model);
    expect(p.items.map((i) => [i.kind, i.table, i.columns])).toEqual([['columns', 'User', ['age']]]);
    expect(p.unarchived).toEqual([{ line: 2, what: 'data changed inside a DO block is not archived' }]);
    expect(UNARCHIVED_DO).toBe('data changed inside a DO block is not archived');
  });

  it('a migration without a DO block has no unarchived list', () => {
    const p = planArchive(
      { name: '2_m', sql: 'ALTER TABLE "User" DROP COLUMN "age";\n' },
      buildSchemaModelSync([history[0]]).model,
    );
    expect(p.unarchived).toBeUndefined();
  });

  it('down.sql with the archive: the DO step says it is not archived, never restored; the dropped column is restored', async () => {
    const r = await generateRollback(history, 1, { archive });
    const doWarning = r.warnings.find((w) => w.kind === 'irreversible');
    expect(doWarning?.message).toBe(
      'anonymous code block (DO): its effects are not known; undo them by hand or restore from the backup — data changed inside a DO block is not archived: restore it from a backup',
    );
    expect(r.sql).toContain(
      '-- Not archived (migration.sql line 2): data changed inside a DO block is not archived; apply-down does not restore it — restore it from a backup taken before the deploy.',
    );
    expect(r.sql).not.toContain('puts the archived rows back');
    expect(r.sql).toContain('-- This step is NOT undone by this script. Write its inverse here by hand,');
    expect(
      r.warnings
        .filter((w) => w.message.includes('restored from the archive'))
        .map((w) => [w.kind, w.line, w.message]),
    ).toEqual([
      [
        'dataNotRestored',
        1,
        'values of "User"."age": restored from the archive of 1 Dec 2026, 10:00 UTC (apply-down --env production restores it after this script, same transaction)',
      ],
    ]);
  });

  it('down.sql without an archive keeps its words (no archive claim either way)', async () => {
    const r = await generateRollback(history, 1);
    expect(r.sql).not.toContain('Not archived');
    expect(r.warnings.find((w) => w.kind === 'irreversible')?.message).toBe(
      'anonymous code block (DO): its effects are not known; undo them by hand or restore from the backup',
    );
  });

  it('a USING type change the archive holds reads restored, not "Restore them from the backup"; one it does not hold keeps its words', async () => {
    const h = [
      { name: '1_init', sql: INIT },
      {
        name: '2_m',
        sql: 'ALTER TABLE "User" ALTER COLUMN "age" SET DATA TYPE TEXT USING ("age" * 2)::text;\n',
      },
    ];
    const held = await generateRollback(h, 1, {
      archive: { ...archive, entries: [{ ...archive.entries[0], columns: ['age'] }] },
    });
    expect(held.warnings.find((w) => w.kind === 'dataNotRestored')?.message).toBe(
      'the migration rewrote the values of "age" (USING CAST(age * 2 AS text)): restored from the archive of 1 Dec 2026, 10:00 UTC (apply-down --env production restores it after this script, same transaction)',
    );
    expect(held.sql).not.toContain('Restore them from the backup');
    const other = await generateRollback(h, 1, {
      archive: { ...archive, entries: [{ ...archive.entries[0], columns: ['email'] }] },
    });
    expect(other.warnings.find((w) => w.kind === 'dataNotRestored')?.message).toMatch(
      /rewrote the values of "age" .*Restore them from the backup/,
    );
  });
});
