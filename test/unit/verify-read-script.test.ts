/**
 * The verifier reads each script once (issue 14: a 10 MB seed migration took seconds per parse and
 * was parsed twice): readScript gives both its transaction body and what the comparison cannot
 * see of it, the same as transactionBody and unseenEffects each reading the script on its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initSqlParser, LARGE_SCRIPT_CHARS, largeScriptNote } from '../../src/core/sql';
import { readScript, transactionBody, verifyCacheKey, verifyCacheKeyInTurns } from '../../src/core/verify';
import { readUnseen, unseenEffects } from '../../src/core/verify/unseen';

beforeAll(async () => {
  await initSqlParser();
});

const FORWARD = `BEGIN;
CREATE TABLE "T" ("id" INT);
INSERT INTO "T" VALUES (1);
DO $$ BEGIN PERFORM 1; END $$;
CREATE INDEX CONCURRENTLY "T_id_idx" ON "T"("id");
COMMIT;
`;

describe('readScript', () => {
  it('gives the transaction body and the unseen statements from one reading', () => {
    const r = readScript({ name: '1_t/migration.sql', sql: FORWARD });
    expect(r.body).toBe(
      ';\nCREATE TABLE "T" ("id" INT);\nINSERT INTO "T" VALUES (1);\nDO $$ BEGIN PERFORM 1; END $$;\nCREATE INDEX              "T_id_idx" ON "T"("id");\n',
    );
    expect(r.body).toBe(transactionBody(FORWARD));
    expect(r.unseen.result()).toEqual([
      '1_t/migration.sql:4: a DO block (its code runs at apply time and cannot be inspected)',
    ]);
    expect(r.unseen.kinds.get(3)).toBe('InsertStmt');
  });

  it('a script the parser rejects: the script as its body, one reason, no kinds', () => {
    const r = readScript({ name: 'down.sql', sql: 'CREATE TABLE "A" ("id" INT);\nDROP TABL "B";\n' });
    expect(r.body).toBe('CREATE TABLE "A" ("id" INT);\nDROP TABL "B";\n');
    expect(r.unseen.result()).toEqual([
      'down.sql: its statements cannot be read (SQL:2:6: syntax error at or near "TABL")',
    ]);
    expect(r.unseen.kinds.size).toBe(0);
  });

  it('unseenEffects from readings equals unseenEffects from the scripts', () => {
    const migration = {
      name: '2_seed/migration.sql',
      sql: 'INSERT INTO "T" VALUES (2);\nALTER TABLE "T" OWNER TO bob;\n',
    };
    const rollback = {
      name: 'down.sql',
      sql: '-- Step 1 (line 1)\n-- IRREVERSIBLE: the inserted rows stay\n-- Step 2 (line 2)\n-- IRREVERSIBLE: the owner is not restored\nSELECT 1;\n',
    };
    const fromScripts = unseenEffects(migration, rollback);
    expect(fromScripts).toEqual([
      '2_seed/migration.sql:2: ALTER TABLE … ChangeOwner (not compared)',
      'down.sql:4: a step marked IRREVERSIBLE is not undone by it: the owner is not restored',
    ]);
    expect(unseenEffects(readUnseen(migration), rollback, readUnseen(rollback))).toEqual(fromScripts);
  });
});

describe('verifyCacheKeyInTurns', () => {
  it('is verifyCacheKey, also when a turn ends inside a surrogate pair of a large script', async () => {
    // 1 M characters per turn, counted over the scripts in order: put an emoji (a surrogate
    // pair) across the first cut in the large script
    const init = 'CREATE TABLE "T" ("id" INT);';
    const big = `${'x'.repeat((1 << 20) - init.length - 1)}😀${'INSERT INTO "T" VALUES (1);\n'.repeat(50_000)}`;
    const migrations = [
      { name: '1_init', sql: init },
      { name: '2_seed', sql: big },
      { name: '3_empty', sql: '' },
    ];
    for (const index of [0, 1, 2])
      expect(await verifyCacheKeyInTurns(migrations, index, 'DROP TABLE "T";')).toBe(
        verifyCacheKey(migrations, index, 'DROP TABLE "T";'),
      );
    expect(await verifyCacheKeyInTurns(migrations, 1, '')).not.toBe(verifyCacheKey(migrations, 0, ''));
  });
});

describe('largeScriptNote', () => {
  it('says, before a long parse, which script and how large; nothing for an ordinary one', () => {
    expect(largeScriptNote('1_init/migration.sql', 'CREATE TABLE "T" ("id" INT);')).toBeUndefined();
    expect(largeScriptNote('2_seed/migration.sql', 'x'.repeat(LARGE_SCRIPT_CHARS))).toBeUndefined();
    expect(largeScriptNote('2_seed/migration.sql', 'x'.repeat(74 * 1024 * 1024))).toBe(
      'Reading 2_seed/migration.sql (74.0 MB of SQL): large scripts take about a second per MB to parse…',
    );
  });
});
