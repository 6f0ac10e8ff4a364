/**
 * The one table of statements that cannot run inside a transaction block (src/core/sql/script.ts),
 * checked against a real PostgreSQL 15: every statement is run inside `BEGIN … ROLLBACK`, and the
 * server must answer SQLSTATE 25001 ("cannot run inside a transaction block") exactly when the
 * table says so. Also: script splitting on the one parser entry, and the verifier's
 * `transactionBody` built on the same table.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlParseError } from '../../src/core/sql';
import { splitScript } from '../../src/core/sql/script';
import { transactionBody } from '../../src/core/verify';
import { createTestDatabase, type TestDatabase } from '../support/pg';

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('sqlscript');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`
    CREATE TABLE t (a int);
    CREATE INDEX i ON t (a);
    CREATE TABLE p (a int) PARTITION BY LIST (a);
    CREATE TABLE c PARTITION OF p FOR VALUES IN (1);
    CREATE TYPE mood AS ENUM ('a');
    CREATE MATERIALIZED VIEW mv AS SELECT 1 AS a;
    CREATE UNIQUE INDEX mv_a ON mv (a);
  `);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** The verdict of the table for one statement: its reason, or undefined when it can run in a transaction. */
async function verdict(sql: string): Promise<string | undefined> {
  const [s] = await splitScript(sql);
  return s.notInTransaction;
}

/** What PostgreSQL says when the statement runs inside a transaction block: its SQLSTATE, or 'ok'. */
async function serverVerdict(sql: string): Promise<string> {
  await client.query('BEGIN');
  try {
    await client.query(sql);
    return 'ok';
  } catch (e) {
    return (e as { code?: string }).code ?? 'error';
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('statements that cannot run inside a transaction block', () => {
  // [statement, the table's reason (undefined: can run in a transaction)]
  const cases = (dbName: string): [string, string | undefined][] => [
    [
      'CREATE INDEX CONCURRENTLY i2 ON t (a)',
      'CREATE INDEX CONCURRENTLY cannot run inside a transaction block',
    ],
    ['DROP INDEX CONCURRENTLY i', 'DROP INDEX CONCURRENTLY cannot run inside a transaction block'],
    ['REINDEX TABLE CONCURRENTLY t', 'REINDEX CONCURRENTLY cannot run inside a transaction block'],
    ['REINDEX (CONCURRENTLY) TABLE t', 'REINDEX CONCURRENTLY cannot run inside a transaction block'],
    ['REINDEX SCHEMA public', 'REINDEX SCHEMA cannot run inside a transaction block'],
    [`REINDEX DATABASE "${dbName}"`, 'REINDEX DATABASE cannot run inside a transaction block'],
    ['VACUUM', 'VACUUM cannot run inside a transaction block'],
    ['VACUUM (ANALYZE) t', 'VACUUM cannot run inside a transaction block'],
    ['CLUSTER', 'CLUSTER without a table cannot run inside a transaction block'],
    ['CREATE DATABASE never_created', 'CREATE DATABASE cannot run inside a transaction block'],
    ['DROP DATABASE never_created', 'DROP DATABASE cannot run inside a transaction block'],
    [
      `ALTER DATABASE "${dbName}" SET TABLESPACE pg_default`,
      'ALTER DATABASE … SET TABLESPACE cannot run inside a transaction block',
    ],
    [
      "CREATE TABLESPACE never_created LOCATION '/nonexistent'",
      'CREATE TABLESPACE cannot run inside a transaction block',
    ],
    ['DROP TABLESPACE never_created', 'DROP TABLESPACE cannot run inside a transaction block'],
    ["ALTER SYSTEM SET work_mem = '4MB'", 'ALTER SYSTEM cannot run inside a transaction block'],
    ['DISCARD ALL', 'DISCARD ALL cannot run inside a transaction block'],
    [
      "CREATE SUBSCRIPTION s CONNECTION 'dbname=none' PUBLICATION pub",
      'CREATE SUBSCRIPTION (creating a replication slot) cannot run inside a transaction block',
    ],
    [
      'ALTER TABLE p DETACH PARTITION c CONCURRENTLY',
      'ALTER TABLE … DETACH PARTITION CONCURRENTLY cannot run inside a transaction block',
    ],
    // can run in a transaction
    ['CREATE INDEX i3 ON t (a)', undefined],
    ['DROP INDEX i', undefined],
    ['REINDEX TABLE t', undefined],
    ['ANALYZE t', undefined],
    ['CLUSTER t USING i', undefined],
    ["ALTER TYPE mood ADD VALUE 'b'", undefined],
    ['DISCARD PLANS', undefined],
    [`ALTER DATABASE "${dbName}" SET work_mem = '8MB'`, undefined],
    ['ALTER TABLE p DETACH PARTITION c', undefined],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY mv', undefined],
    ["CREATE SUBSCRIPTION s2 CONNECTION 'dbname=none' PUBLICATION pub WITH (connect = false)", undefined],
  ];

  it('the table agrees with PostgreSQL 15 on every statement', async () => {
    const rows: string[] = [];
    for (const [sql, reason] of cases(db.name)) {
      const table = await verdict(sql);
      const server = await serverVerdict(sql);
      rows.push(`${sql} → table: ${table ?? 'can'}; server: ${server}`);
      expect(table, sql).toBe(reason);
      if (reason) expect(server, sql).toBe('25001');
      else expect(server, sql).not.toBe('25001');
    }
    expect(rows).toHaveLength(cases(db.name).length);
  });

  it('names the subscription statements it cannot prove here (they need a subscription)', async () => {
    expect(await verdict('DROP SUBSCRIPTION s')).toBe(
      'DROP SUBSCRIPTION cannot run inside a transaction block when the subscription has a replication slot',
    );
    expect(await verdict('ALTER SUBSCRIPTION s REFRESH PUBLICATION')).toBe(
      'ALTER SUBSCRIPTION … REFRESH PUBLICATION cannot run inside a transaction block',
    );
    expect(await verdict('ALTER SUBSCRIPTION s SET PUBLICATION pub')).toBe(
      'ALTER SUBSCRIPTION … PUBLICATION (with refresh) cannot run inside a transaction block',
    );
    expect(await verdict('ALTER SUBSCRIPTION s SET PUBLICATION pub WITH (refresh = false)')).toBeUndefined();
  });
});

describe('splitScript (the one parser entry)', () => {
  it('gives each statement its text, line and column, after comments, CRLF and non-ASCII text', async () => {
    const sql =
      "-- header\r\nBEGIN;\r\n/* note */ UPDATE t SET a = 1 WHERE 'é' <> 'è';\r\n  VACUUM;\r\nCOMMIT;\r\n";
    const s = await splitScript(sql);
    expect(
      s.map((x) => [x.index, x.kind, x.line, x.column, x.text, x.transaction, x.notInTransaction]),
    ).toEqual([
      [1, 'TransactionStmt', 2, 1, 'BEGIN', 'begin', undefined],
      [2, 'UpdateStmt', 3, 12, "UPDATE t SET a = 1 WHERE 'é' <> 'è'", undefined, undefined],
      [3, 'VacuumStmt', 4, 3, 'VACUUM', undefined, 'VACUUM cannot run inside a transaction block'],
      [4, 'TransactionStmt', 5, 1, 'COMMIT', 'commit', undefined],
    ]);
    expect(sql.slice(s[1].offset, s[1].offset + s[1].text.length)).toBe(s[1].text);
  });

  it('a script that does not parse: SqlParseError with line and column', async () => {
    const e = await splitScript('SELECT 1;\nALTER TABLE t ADD COLUM b int;').catch((x) => x);
    expect(e).toBeInstanceOf(SqlParseError);
    expect([e.line, e.column, e.reason]).toEqual([2, 27, 'syntax error at or near "int"']);
  });
});

describe("the verifier's transaction body uses the same table", () => {
  it('blanks CONCURRENTLY (every offset kept) where the plain form leaves the same schema, and runs the rest on its own', () => {
    // the body starts after BEGIN (its `;` stays: an empty statement)
    expect(transactionBody('BEGIN;\nCREATE INDEX CONCURRENTLY i2 ON t (a);\nCOMMIT;\n')).toBe(
      ';\nCREATE INDEX              i2 ON t (a);\n',
    );
    expect(transactionBody('REINDEX (CONCURRENTLY) TABLE t;')).toBe('REINDEX                TABLE t;');
    expect(transactionBody('REINDEX (VERBOSE, CONCURRENTLY) TABLE t;')).toBeUndefined();
    expect(transactionBody('ALTER TABLE p DETACH PARTITION c CONCURRENTLY;')).toBe(
      'ALTER TABLE p DETACH PARTITION c             ;',
    );
    expect(transactionBody('ANALYZE t;')).toBe('ANALYZE t;');
    expect(transactionBody('DISCARD ALL;')).toBeUndefined();
    expect(transactionBody('SELECT 1;\nCOMMIT;')).toBeUndefined();
  });
});
