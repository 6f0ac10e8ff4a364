import { describe, expect, it } from 'vitest';
import { createPool, describeDbError, hostLabel, maskUrl, readOnly } from '../../src/core/db';
import { adminUrl } from '../support/pg';

describe('connections', () => {
  it('logs every query once, on pool.query and inside a read-only transaction, without the password', async () => {
    const lines: string[] = [];
    const pool = createPool(adminUrl(), {
      onQuery: (label, ms) => lines.push(`${label} ${ms >= 0 ? 'ok' : ''}`),
    });
    await pool.query('SELECT 1 AS one');
    const rows = await readOnly(pool, async (c) => (await c.query('SELECT 2 AS two')).rows);
    await expect(readOnly(pool, (c) => c.query('CREATE TABLE should_fail (id int)'))).rejects.toThrow(
      /read-only/,
    );
    await pool.end();
    expect(rows).toEqual([{ two: 2 }]);
    expect(lines.filter((l) => l.startsWith('SELECT 1 AS one'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('SELECT 2 AS two'))).toHaveLength(1);
    expect(lines).toContain('BEGIN TRANSACTION READ ONLY ok');
    expect(lines.some((l) => l.startsWith('CREATE TABLE should_fail (id int) (failed)'))).toBe(true);
    expect(lines.join('\n')).not.toContain(new URL(adminUrl()).password);
  });

  it('a statement timeout applies to every query', async () => {
    const pool = createPool(adminUrl(), { statementTimeoutMs: 200 });
    const err = await pool.query('SELECT pg_sleep(2)').catch((e) => e);
    await pool.end();
    expect(err.code).toBe('57014');
    expect(describeDbError(err)).toMatch(/statement timeout/);
  });

  it('masks secrets', () => {
    expect(maskUrl('postgresql://u:p%40ss@db.example:5432/app?sslmode=require&password=x')).toBe(
      'postgresql://u:***@db.example:5432/app?sslmode=require&password=***',
    );
    expect(hostLabel('postgresql://u:p@db.example:6543/app')).toBe('db.example:6543/app');
    expect(maskUrl('not a url')).not.toContain('not a url');
  });
});
