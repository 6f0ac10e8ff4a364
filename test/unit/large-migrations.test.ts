/**
 * Large migrations (issue 14): a script over 16 K characters is parsed in pieces cut at
 * statement ends — with the same statements, texts and lines as a whole parse, falling back to
 * the whole script where a cut would split a statement — and down.sql shows a run of similar
 * statements with the same warning as one section.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateRollbackSync } from '../../src/core/generator';
import { initSqlParser, parseMigrationSync, SqlParseError } from '../../src/core/sql';
import { downSqlProblems } from '../../src/core/status/present-rollback';
import { unseenEffects } from '../../src/core/verify/unseen';

beforeAll(async () => {
  await initSqlParser();
});

// PIECE_CHARS in src/core/sql/parser.ts
const PIECE = 16 * 1024;

describe('parsing a large script in pieces', () => {
  it('gives every statement with its text and line, whatever quotes, comments and bodies hold', () => {
    const block = [
      `INSERT INTO "T" ("a", "b") VALUES ('semi;colon', E'it\\'s; escaped');`,
      `-- a comment; with a semicolon`,
      `/* nested /* comment; */ still; */ UPDATE "T" SET "a" = 'x' WHERE "b" = 'y''; z';`,
      `CREATE FUNCTION "f"() RETURNS trigger AS $body$ BEGIN PERFORM 1; RETURN NEW; END; $body$ LANGUAGE plpgsql;`,
      `ALTER TABLE "we;ird" ADD COLUMN "c;d" INTEGER;`,
    ].join('\n');
    const blocks = Math.ceil((3 * PIECE) / block.length);
    const sql = `${Array.from({ length: blocks }, () => block).join('\n')}\n`;
    expect(sql.length).toBeGreaterThan(3 * PIECE);
    const { statements } = parseMigrationSync(sql, 'big.sql');
    expect(statements).toHaveLength(blocks * 4);
    const last = statements.slice(-4);
    const linesPerBlock = 5;
    expect(last.map((s) => [s.kind, s.line, s.text])).toEqual([
      [
        'InsertStmt',
        (blocks - 1) * linesPerBlock + 1,
        `INSERT INTO "T" ("a", "b") VALUES ('semi;colon', E'it\\'s; escaped')`,
      ],
      ['UpdateStmt', (blocks - 1) * linesPerBlock + 3, `UPDATE "T" SET "a" = 'x' WHERE "b" = 'y''; z'`],
      [
        'CreateFunctionStmt',
        (blocks - 1) * linesPerBlock + 4,
        `CREATE FUNCTION "f"() RETURNS trigger AS $body$ BEGIN PERFORM 1; RETURN NEW; END; $body$ LANGUAGE plpgsql`,
      ],
      ['AlterTableStmt', (blocks - 1) * linesPerBlock + 5, `ALTER TABLE "we;ird" ADD COLUMN "c;d" INTEGER`],
    ]);
  });

  it('falls back to the whole script where a cut would split a BEGIN ATOMIC body', () => {
    const head = 'CREATE FUNCTION "g"() RETURNS integer LANGUAGE sql BEGIN ATOMIC SELECT 1;';
    const k = 1200;
    const filler = 'SELECT 1;\n'.repeat(k);
    // pad so that the body's inner `;` is the last statement end within the first piece
    const pad = PIECE - filler.length - 5 - head.length;
    const sql = `${filler}-- ${'x'.repeat(pad)}\n${head} SELECT 2; END;\nSELECT 3;\n`;
    expect(sql.indexOf(head) + head.length).toBeLessThanOrEqual(PIECE);
    expect(sql.indexOf('END;') + 4).toBeGreaterThan(PIECE);
    const { statements } = parseMigrationSync(sql);
    expect(statements).toHaveLength(k + 2);
    expect(statements[k].kind).toBe('CreateFunctionStmt');
    expect(statements[k].text).toBe(`${head} SELECT 2; END`);
    expect(statements[k].line).toBe(k + 2);
    expect(statements[k + 1].text).toBe('SELECT 3');
  });

  it('reports a syntax error deep in a large script at its line', () => {
    const good = 'INSERT INTO "T" ("a") VALUES (1);\n';
    const n = Math.ceil((2 * PIECE) / good.length);
    const sql = `${good.repeat(n)}CREATE TABLEX "Nope" ();\n${good.repeat(10)}`;
    let err: unknown;
    try {
      parseMigrationSync(sql, 'seed/migration.sql');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SqlParseError);
    expect((err as SqlParseError).line).toBe(n + 1);
    expect((err as SqlParseError).file).toBe('seed/migration.sql');
  });
});

describe('down.sql groups a run of similar statements', () => {
  it('writes one section for rows inserted into a table the migration creates', () => {
    const rows = Array.from({ length: 5 }, (_, i) => `INSERT INTO "Seed" ("id") VALUES (${i});`).join('\n');
    const r = generateRollbackSync(
      [{ name: '1_seed', sql: `CREATE TABLE "Seed" ("id" INTEGER NOT NULL);\n${rows}\n` }],
      0,
    );
    expect(r.summary).toMatchObject({ statements: 6, noop: 5, inverted: 1 });
    expect(r.sql).toContain(
      `-- Steps 2–6 (lines 2–6), 5 statements like the first: nothing to undo — INSERT into "Seed", which this migration creates: the rollback's DROP TABLE removes these rows\n--   INSERT INTO "Seed" ("id") VALUES (0)\n--   … and 4 more like it\n`,
    );
    expect(r.sql).not.toContain('VALUES (4)');
    expect(r.sql.match(/^-- Steps? /gm)).toHaveLength(2);
    // every grouped step points at its section
    const section = r.sql.split('\n').findIndex((l) => l.startsWith('-- Steps 2–6')) + 1;
    expect(r.steps.slice(1).map((s) => s.downLine)).toEqual([section, section, section, section, section]);
  });

  it('writes one IRREVERSIBLE block and one warning for a run of UPDATEs of an existing table', () => {
    const updates = Array.from({ length: 4 }, (_, i) => `UPDATE "T" SET "a" = ${i} WHERE "id" = ${i};`).join(
      '\n',
    );
    const r = generateRollbackSync(
      [
        { name: '1_t', sql: 'CREATE TABLE "T" ("id" INTEGER, "a" INTEGER);' },
        { name: '2_fix', sql: `${updates}\n` },
      ],
      1,
    );
    expect(r.summary.irreversible).toBe(4);
    expect(r.irreversible).toHaveLength(4);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({
      kind: 'irreversible',
      line: 1,
      group: { count: 4, lastLine: 4 },
      message:
        '4 UPDATEs (lines 1–4): data change (UPDATE): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration',
    });
    expect(r.sql.match(/={20,} IRREVERSIBLE/g)).toHaveLength(1);
    expect(r.sql).toContain('-- IRREVERSIBLE (all 4 statements): data change (UPDATE)');
    expect(r.sql).toContain('-- These steps are NOT undone by this script.');
    expect(r.sql.split('\n')[r.warnings[0].downLine! - 1]).toContain('IRREVERSIBLE (all 4 statements)');
    // the editor's Problems read the grouped block, and the verifier knows it only changes rows
    expect(downSqlProblems(r.sql).filter((p) => p.code === 'irreversible')).toEqual([
      expect.objectContaining({ line: r.warnings[0].downLine! - 1 }),
    ]);
    expect(unseenEffects({ name: '2_fix', sql: `${updates}\n` }, { name: 'down.sql', sql: r.sql })).toEqual(
      [],
    );
  });

  it('keeps runs shorter than three, and statements of other kinds, apart', () => {
    const r = generateRollbackSync(
      [
        { name: '1_t', sql: 'CREATE TABLE "A" ("id" INTEGER);' },
        {
          name: '2_rows',
          sql: 'INSERT INTO "A" VALUES (1);\nINSERT INTO "A" VALUES (2);\nUPDATE "A" SET "id" = 3;\nINSERT INTO "A" VALUES (3);\nDELETE FROM "A";\n',
        },
      ],
      1,
    );
    expect(r.warnings).toHaveLength(5);
    expect(r.warnings.every((w) => w.group === undefined)).toBe(true);
    expect(r.sql.match(/^-- Step \d+ /gm)).toHaveLength(5);
  });
});
