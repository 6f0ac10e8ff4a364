/** Locating a failing statement that PostgreSQL gives no position for, on a real server. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blankComments, locateFailure, scriptFailure } from '../../src/core/verify/failure';
import { createTestDatabase, type TestDatabase } from '../support/pg';

describe('locateFailure', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('locate');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query('CREATE TABLE "User" ("id" INT PRIMARY KEY, "x" INT)');
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('points at the statement, never at a comment that quotes the same name', async () => {
    const down = [
      '-- Step 1 (line 3), undoes:',
      '--   CREATE INDEX "Missing_idx" ON "User"("x")',
      'DROP INDEX "Missing_idx";',
      '',
    ].join('\n');
    const exec = (sql: string) => client.query(sql);
    const error = await exec(down).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { position?: string }).position).toBeUndefined();
    const f = await locateFailure(exec, down, scriptFailure(error, down, 'down.sql'));
    expect(f).toMatchObject({ script: 'down.sql', line: 3, column: 12, code: '42704' });
    expect(f.message).toBe('index "Missing_idx" does not exist');
  });

  it('blanks comments but keeps strings, quoted names and dollar-quoted bodies', () => {
    const sql = `SELECT '--not' AS "a--b"; -- gone\n/* gone\n too */ SELECT $$ -- kept $$;`;
    const blanked = blankComments(sql);
    expect(blanked).toHaveLength(sql.length);
    expect(blanked).toContain(`'--not'`);
    expect(blanked).toContain('"a--b"');
    expect(blanked).toContain('$$ -- kept $$');
    expect(blanked).not.toContain('gone');
    expect(blanked.split('\n')).toHaveLength(3);
  });
});
