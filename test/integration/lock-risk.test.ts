/**
 * Issue 11, part 5: the lock and the table work of each rollback statement, with the table's size
 * on a real PostgreSQL 15 — and the rule checked against the server itself: a statement marked
 * "rewrite" changes the table's relfilenode, one marked "scan" or "catalog" does not.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLockRisk, lockRisks, measureLockRisks } from '../../src/core/verify/lock-risk';
import { createTestDatabase, type TestDatabase } from '../support/pg';

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase('locks');
  pool = new pg.Pool({ connectionString: db.url });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const setup = `CREATE TABLE "Order" ("id" INT PRIMARY KEY, "total" NUMERIC NOT NULL, "note" VARCHAR(20), "customerId" INT);
CREATE TABLE "Customer" ("id" INT PRIMARY KEY);
INSERT INTO "Customer" SELECT g FROM generate_series(1, 100) g;
INSERT INTO "Order" SELECT g, g * 1.5, 'n' || g, (g % 100) + 1 FROM generate_series(1, 20000) g;`;

describe('lock and rewrite risk of a rollback', () => {
  it('names the lock, the work and the size; a suggested alternative where one exists', async () => {
    await pool.query(setup);
    const script = [
      'ALTER TABLE "Order" ALTER COLUMN "total" SET DATA TYPE INTEGER USING "total"::integer;',
      'ALTER TABLE "Order" ALTER COLUMN "note" SET DATA TYPE TEXT;',
      'ALTER TABLE "Order" ALTER COLUMN "customerId" SET NOT NULL;',
      'ALTER TABLE "Order" ADD CONSTRAINT "Order_customer_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id");',
      'CREATE INDEX "Order_total_idx" ON "Order"("total");',
      'CREATE INDEX CONCURRENTLY "Order_note_idx" ON "Order"("note");',
      'ALTER TABLE "Order" DROP COLUMN "note";',
      'ALTER TABLE "Order" ADD CONSTRAINT "Order_total_check" CHECK ("total" > 0) NOT VALID;',
    ].join('\n');
    const { risks, error } = await measureLockRisks(pool, await lockRisks(script));
    expect(error).toBeUndefined();
    expect(risks.map((r) => [r.line, r.lock, r.work])).toEqual([
      [1, 'ACCESS EXCLUSIVE', 'rewrite'],
      [2, 'ACCESS EXCLUSIVE', 'catalog'],
      [3, 'ACCESS EXCLUSIVE', 'scan'],
      [4, 'SHARE ROW EXCLUSIVE', 'scan'],
      [5, 'SHARE', 'scan'],
    ]);
    expect(risks.every((r) => (r.bytes ?? 0) > 500_000)).toBe(true);
    const line = describeLockRisk(risks[0]);
    expect(line).toMatch(
      /^line 1: rewrites "Order" \(\d+\.\d MB\) under ACCESS EXCLUSIVE — ALTER COLUMN "total" TYPE int4\. Instead: add a new column/,
    );
    expect(describeLockRisk(risks[4])).toContain('CREATE INDEX CONCURRENTLY');

    // The rule agrees with the server: only the statement marked "rewrite" gives the table a new file.
    const file = async () =>
      (await pool.query(`SELECT relfilenode FROM pg_class WHERE relname = 'Order'`)).rows[0].relfilenode;
    const statements = script.split('\n');
    for (const [i, marked] of [
      [0, 'rewrite'],
      [1, 'catalog'],
      [2, 'scan'],
    ] as const) {
      const before = await file();
      await pool.query(statements[i]);
      expect((await file()) !== before, statements[i]).toBe(marked === 'rewrite');
    }
  });

  it('a table that is not on the target has no size; a bad connection is said, not thrown', async () => {
    const risks = await lockRisks('ALTER TABLE "Nope" ALTER COLUMN "x" SET NOT NULL;');
    const measured = await measureLockRisks(pool, risks);
    expect(measured.risks[0].bytes).toBeUndefined();
    const broken = {
      query: () =>
        Promise.reject(Object.assign(new Error('permission denied for function'), { code: '42501' })),
    };
    const r = await measureLockRisks(broken as unknown as pg.Pool, risks);
    expect(r.error).toMatch(/permission denied/i);
    expect(r.risks).toEqual(risks);
  });
});
