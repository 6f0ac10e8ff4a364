/**
 * Two catalog states the comparison did not read, so a rollback that left them changed was
 * "verified" (found by hand, break15): `ALTER TABLE … DISABLE TRIGGER ALL` disables the internal
 * triggers that enforce a foreign key (pg_trigger.tgisinternal, tgenabled: PostgreSQL docs, ALTER
 * TABLE, "DISABLE/ENABLE TRIGGER": "ALL … including internally generated constraint triggers"),
 * and `CLUSTER … USING` / `ALTER TABLE … CLUSTER ON` mark an index clustered (pg_index.indisclustered).
 * Both are compared now: a rollback that leaves them shows the difference; one that undoes them
 * is verified.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  clearVerifyCache,
  disposeEmbeddedVerifier,
  type VerifyMigration,
  verifyRollback,
} from '../../src/core/verify';

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

const BASE: VerifyMigration = {
  name: '20250101000000_base',
  sql: 'CREATE TABLE "t" ("id" INT PRIMARY KEY, "name" TEXT);\nCREATE TABLE "u" ("id" INT REFERENCES "t"("id"));\n',
};

async function verify(sql: string, rollbackSql: string) {
  clearVerifyCache();
  return verifyRollback({
    migrations: [BASE, { name: '20250102000000_change', sql }],
    index: 1,
    rollbackSql,
    engine: 'embedded',
    noCache: true,
  });
}

describe('states of a table the comparison reads', () => {
  it("a foreign key's triggers disabled (DISABLE TRIGGER ALL): a difference, unless the rollback enables them", async () => {
    const left = await verify('ALTER TABLE "u" DISABLE TRIGGER ALL;\n', 'SELECT 1;\n');
    expect(left.kind).toBe('differences');
    expect(left.kind === 'differences' && left.differences).toEqual([
      'constraint "u_id_fkey" on "u": is FOREIGN KEY (id) REFERENCES t(id) (its triggers disabled), was FOREIGN KEY (id) REFERENCES t(id)',
    ]);
    // on the referenced side too
    const referenced = await verify('ALTER TABLE "t" DISABLE TRIGGER ALL;\n', 'SELECT 1;\n');
    expect(referenced.kind).toBe('differences');
    expect(
      (await verify('ALTER TABLE "u" DISABLE TRIGGER ALL;\n', 'ALTER TABLE "u" ENABLE TRIGGER ALL;\n')).kind,
    ).toBe('verified');
  }, 120_000);

  it('an index marked clustered (CLUSTER … USING, ALTER TABLE … CLUSTER ON): a difference, unless the rollback unmarks it', async () => {
    const left = await verify('CLUSTER "t" USING "t_pkey";\n', 'SELECT 1;\n');
    expect(left.kind).toBe('differences');
    expect(left.kind === 'differences' && left.differences).toEqual([
      'index "t_pkey": is CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id) (clustered), was CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)',
    ]);
    expect(
      (await verify('CLUSTER "t" USING "t_pkey";\n', 'ALTER TABLE "t" SET WITHOUT CLUSTER;\n')).kind,
    ).toBe('verified');
    expect(
      (await verify('ALTER TABLE "t" CLUSTER ON "t_pkey";\n', 'ALTER TABLE "t" SET WITHOUT CLUSTER;\n')).kind,
    ).toBe('verified');
  }, 120_000);
});
