import { beforeAll, describe, expect, it } from 'vitest';
import {
  downSqlConflict,
  generateRollbackSync,
  isDownSqlHandEdited,
  isDownSqlStale,
  prismaWarningsOf,
} from '../../src/core/generator';
import { prismaChecksum } from '../../src/core/migrations';
import {
  implicitConstraintName,
  implicitIndexName,
  initSqlParser,
  parseMigrationSync,
  quoteIdent,
  SqlParseError,
} from '../../src/core/sql';

beforeAll(async () => {
  await initSqlParser();
});

function parseError(sql: string, file?: string): SqlParseError {
  try {
    parseMigrationSync(sql, file);
  } catch (e) {
    if (e instanceof SqlParseError) return e;
    throw e;
  }
  throw new Error('expected a parse error');
}

describe('parseMigrationSync', () => {
  it('returns each statement with its kind, text, 1-based line/column and Prisma step comment', () => {
    const sql = `-- CreateTable\nCREATE TABLE "A" ("id" INT);\n\n-- CreateIndex\n  CREATE INDEX "A_id_idx" ON "A"("id");\n`;
    const { statements } = parseMigrationSync(sql);
    expect(statements.map((s) => [s.kind, s.line, s.column, s.step, s.text])).toEqual([
      ['CreateStmt', 2, 1, 'CreateTable', 'CREATE TABLE "A" ("id" INT)'],
      ['IndexStmt', 5, 3, 'CreateIndex', 'CREATE INDEX "A_id_idx" ON "A"("id")'],
    ]);
  });

  it('maps byte offsets to characters when the file has non-ASCII text', () => {
    const sql = `-- é ü 日本\nCOMMENT ON TABLE "A" IS 'ééé';\nSELECT 1;`;
    const { statements } = parseMigrationSync(sql);
    expect(statements[0].text).toBe(`COMMENT ON TABLE "A" IS 'ééé'`);
    expect(statements[1].text).toBe('SELECT 1');
    expect(statements[1].line).toBe(3);
  });

  it('keeps dollar-quoted bodies with semicolons in one statement', () => {
    const { statements } = parseMigrationSync(
      `CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT 2;`,
    );
    expect(statements).toHaveLength(2);
    expect(statements[0].text).toContain('SELECT 1; $$');
  });

  it('reports a syntax error with file, line and column (LF and CRLF alike)', () => {
    for (const nl of ['\n', '\r\n']) {
      const e = parseError(`SELECT 1;${nl}-- x${nl}CREATE TABL "x" ();`, '20240101_x/migration.sql');
      expect(e.file).toBe('20240101_x/migration.sql');
      expect([e.line, e.column]).toEqual([3, 8]);
      expect(e.reason).toMatch(/syntax error at or near "TABL"/);
      expect(e.message).toBe('20240101_x/migration.sql:3:8: syntax error at or near "TABL"');
    }
  });

  it('counts columns in characters after non-ASCII text', () => {
    const e = parseError(`SELECT 'ééé' FROMM x;`); // the error is at "x", the 20th character
    expect([e.line, e.column]).toEqual([1, 20]);
  });

  it('a migration that does not parse stops its own rollback only', () => {
    const history = [
      { name: '1', sql: 'CREATE TABLE "A" ("id" INT);' },
      { name: '2', sql: 'CREATE TABL oops;' },
      { name: '3', sql: 'ALTER TABLE "A" ADD COLUMN "b" INT;' },
    ];
    expect(() => generateRollbackSync(history, 1)).toThrow(SqlParseError);
    const r = generateRollbackSync(history, 2);
    expect(r.historyProblems).toHaveLength(1);
    expect(r.historyProblems[0]).toMatch(/^2\/migration\.sql:1:8: syntax error/);
    expect(r.sql).toContain('DROP COLUMN "b"');
  });
});

describe('names', () => {
  it('quotes identifiers so that they round-trip', () => {
    expect(quoteIdent('User')).toBe('"User"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });

  it('derives the names PostgreSQL gives unnamed constraints and indexes, truncated to 63 bytes', () => {
    expect(implicitConstraintName('Post', ['authorId'], 'fkey')).toBe('Post_authorId_fkey');
    expect(implicitConstraintName('Post', [], 'pkey')).toBe('Post_pkey');
    expect(implicitConstraintName('A', ['x', 'y'], 'key')).toBe('A_x_y_key');
    expect(implicitIndexName('Post', ['score'])).toBe('Post_score_idx');
    const long = implicitConstraintName('a'.repeat(40), ['b'.repeat(40)], 'fkey');
    expect(Buffer.byteLength(long)).toBe(63);
    expect(long).toBe(`${'a'.repeat(29)}_${'b'.repeat(28)}_fkey`);
  });
});

describe('down.sql header', () => {
  const history = [
    { name: '20240101000000_init', sql: 'CREATE TABLE "A" ("id" INT);' },
    {
      name: '20240102000000_more',
      sql: '-- AddColumn\nALTER TABLE "A" ADD COLUMN "b" INT;\nUPDATE "A" SET "b" = 1;',
    },
  ];

  it('names the migration, its checksum, the generator, a summary; labels steps; marks irreversible blocks', () => {
    const r = generateRollbackSync(history, 1);
    expect(r.sql).toContain('-- Rollback of migration 20240102000000_more');
    expect(r.sql).toContain(`-- Generated from migration.sql sha256 ${prismaChecksum(history[1].sql)}`);
    expect(r.sql).toMatch(
      /-- Summary: 2 statements, 1 reversed, 0 with nothing to undo, 2 flagged \(1 data loss, 1 irreversible\), 1 irreversible/,
    );
    expect(r.sql).toMatch(
      /-- Step 1 \(line 2\) AddColumn, undoes:\n-- {3}ALTER TABLE "A" ADD COLUMN "b" INT\n-- WARNING \(dataLoss\)/,
    );
    expect(r.sql.indexOf('UPDATE')).toBeLessThan(r.sql.indexOf('DROP COLUMN'));
    expect(r.warnings.map((w) => [w.kind, w.line])).toEqual([
      ['irreversible', 3],
      ['dataLoss', 2],
    ]);
    const lines = r.sql.split('\n');
    for (const w of r.warnings) expect(lines[w.downLine! - 1]).toMatch(/WARNING|IRREVERSIBLE/);
    expect(r.sql.trimEnd().endsWith('COMMIT;')).toBe(true);
  });

  it('tells a stale down.sql (migration.sql changed) and a hand-edited one', () => {
    const r = generateRollbackSync(history, 1);
    expect(isDownSqlStale(r.sql, history[1].sql)).toBe(false);
    expect(isDownSqlStale(r.sql, history[1].sql.replace(/\n/g, '\r\n'))).toBe(false);
    const fromCrlf = generateRollbackSync(
      [history[0], { ...history[1], sql: history[1].sql.replace(/\n/g, '\r\n') }],
      1,
    );
    expect(isDownSqlStale(fromCrlf.sql, history[1].sql)).toBe(false);
    expect(fromCrlf.steps.map((s) => [s.line, s.inverse])).toEqual(r.steps.map((s) => [s.line, s.inverse]));
    expect(isDownSqlStale(r.sql, `${history[1].sql}\nSELECT 1;`)).toBe(true);
    expect(isDownSqlHandEdited(r.sql)).toBe(false);
    expect(isDownSqlHandEdited(r.sql.replace(/\n/g, '\r\n'))).toBe(false);
    expect(isDownSqlHandEdited(r.sql.replace('DROP COLUMN "b"', 'DROP COLUMN "b" CASCADE'))).toBe(true);
    expect(isDownSqlHandEdited('ALTER TABLE "A" DROP COLUMN "b";')).toBeUndefined();
  });
});

describe('existing down.sql', () => {
  const history = [
    { name: '1', sql: 'CREATE TABLE "A" ("id" INT);' },
    {
      name: '2',
      sql: `/*
  Warnings:

  - You are about to drop the column \`b\` on the \`A\` table. All the data in the column will be lost.
  - A unique constraint covering the columns \`[c]\` on the table \`A\` will be added. If there are existing
    duplicate values, this will fail.

*/
ALTER TABLE "A" ADD COLUMN "c" INT;`,
    },
  ];

  it("carries Prisma's /* Warnings */ into the header", () => {
    const r = generateRollbackSync(history, 1);
    expect(prismaWarningsOf(history[1].sql)).toEqual([
      'You are about to drop the column `b` on the `A` table. All the data in the column will be lost.',
      'A unique constraint covering the columns `[c]` on the table `A` will be added. If there are existing duplicate values, this will fail.',
    ]);
    expect(r.sql).toContain(
      '-- Prisma warned when it generated the migration:\n--   You are about to drop the column',
    );
    expect(isDownSqlHandEdited(r.sql)).toBe(false);
  });

  it('says what would be lost by overwriting', () => {
    const r = generateRollbackSync(history, 1);
    expect(downSqlConflict(r.sql, r.sql, history[1].sql)).toBeUndefined();
    expect(downSqlConflict('DROP TABLE x;', r.sql, history[1].sql)).toBe('handWritten');
    expect(downSqlConflict(`${r.sql}-- mine\n`, r.sql, history[1].sql)).toBe('handEdited');
    const older = generateRollbackSync(
      [history[0], { name: '2', sql: 'ALTER TABLE "A" ADD COLUMN "c" BIGINT;' }],
      1,
    );
    expect(downSqlConflict(older.sql, r.sql, history[1].sql)).toBe('stale');
  });
});
