/** The live pre-check on a real PostgreSQL with rows in the affected tables: exact counts, estimates, read-only. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precheckRollback } from '../../src/core/verify/precheck';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('precheck');
  await query(
    db.url,
    `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN', 'GUEST');
     CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "name" TEXT, "bio" TEXT, "nick" TEXT, "role" "Role" NOT NULL DEFAULT 'USER');
     INSERT INTO "User" ("name", "bio", "nick", "role")
       SELECT 'user number ' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'bio' END, NULL,
              (CASE WHEN i % 10 = 0 THEN 'GUEST' WHEN i % 3 = 0 THEN 'ADMIN' ELSE 'USER' END)::"Role"
         FROM generate_series(1, 200) i;
     CREATE TABLE "WidgetInstall" ("id" SERIAL PRIMARY KEY, "userId" INT);
     INSERT INTO "WidgetInstall" ("userId") SELECT i % 200 FROM generate_series(1, 12345) i;
     ANALYZE "WidgetInstall";
     CREATE TABLE "Log" ("id" SERIAL PRIMARY KEY, "level" TEXT NOT NULL);
     INSERT INTO "Log" ("level") SELECT CASE WHEN i % 5 = 0 THEN 'debug' ELSE 'info' END FROM generate_series(1, 500) i;
     CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
       "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
       "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
     INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name") VALUES ('1', 'x', now(), '20240102000000_widgets');`,
  );
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const DOWN = `-- rollback of 20240102000000_widgets
DROP TABLE "WidgetInstall";
ALTER TABLE "User" DROP COLUMN "bio",
DROP COLUMN "nick";
DELETE FROM "Log" WHERE "level" = 'debug';
CREATE TYPE "Role_new" AS ENUM ('USER', 'ADMIN');
ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
ALTER TABLE "User" ALTER COLUMN "name" TYPE VARCHAR(14);
DROP TABLE IF EXISTS "NotThere";
`;

describe('precheckRollback', () => {
  it('counts exactly what each destructive step would destroy, read-only', async () => {
    const r = await precheckRollback(pool, DOWN, { migrationName: '20240102000000_widgets' });
    expect(r.migration).toEqual({ name: '20240102000000_widgets', state: 'applied' });
    expect(r.refused).toBeUndefined();
    const by = (kind: string, column?: string) =>
      r.steps.find((s) => s.kind === kind && s.columnName === column);
    expect(by('dropTable')).toMatchObject({
      table: '"WidgetInstall"',
      rows: { count: 12345, exact: true },
      line: 2,
      column: 1,
    });
    expect(by('dropColumn', 'bio')).toMatchObject({
      table: '"User"',
      values: { count: 150, exact: true },
      line: 3,
    });
    expect(by('dropColumn', 'nick')).toMatchObject({ values: { count: 0, exact: true } });
    expect(by('delete')).toMatchObject({ table: '"Log"', rows: { count: 100, exact: true }, line: 5 });
    expect(by('removeEnumValues', 'role')).toMatchObject({
      removedValues: ['GUEST'],
      rows: { count: 20, exact: true },
    });
    expect(by('alterColumnType', 'name')).toMatchObject({
      values: { count: 200, exact: true },
      tooLong: { count: 101, exact: true },
    });
    expect(r.steps.find((s) => s.table === '"NotThere"')?.note).toBe('"NotThere" does not exist there');
    expect(r.summary).toBe(
      'down.sql would fail on 20 rows of "User"."role" holding GUEST, a value "Role_new" lacks: PostgreSQL rejects the cast on exactly those rows (the rollback stops and changes nothing) — change or delete them first (e.g. UPDATE "User" SET "role" = <a value "Role_new" has> WHERE "role" IN (\'GUEST\')). Once they are changed, it would delete 12,345 rows of "WidgetInstall", 100 rows of "Log", the values of 1 column (150 non-null values) and cut or reject 101 values of "User"."name" that do not fit the new type',
    );
    // nothing was changed
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM "WidgetInstall"')).toEqual([{ n: 12345 }]);
    expect(await query(db.url, `SELECT count(*)::int AS n FROM "Log" WHERE "level" = 'debug'`)).toEqual([
      { n: 100 },
    ]);
  });

  it("gives the planner's estimate, marked as such, above the exact limit", async () => {
    const r = await precheckRollback(pool, 'DROP TABLE "WidgetInstall";', { exactLimit: 1000 });
    const step = r.steps[0];
    expect(step.rows?.exact).toBe(false);
    expect(step.rows?.count).toBeGreaterThan(12000);
    expect(step.rows?.count).toBeLessThan(13000);
    expect(r.summary).toMatch(
      /^down\.sql would delete about 12,\d{3} \(planner estimate\) rows of "WidgetInstall"$/,
    );
  });

  it('refuses to roll back a migration that is not applied there', async () => {
    const r = await precheckRollback(pool, DOWN, { migrationName: '20240109000000_pending' });
    expect(r.migration?.state).toBe('notApplied');
    expect(r.refused).toBe(
      '20240109000000_pending is not applied in this database (it is pending): there is nothing to roll back.',
    );
  });

  it('notes a count cut by the statement timeout, and goes on with the others', async () => {
    const r = await precheckRollback(
      pool,
      `DELETE FROM "Log" WHERE pg_sleep(0.5) IS NOT NULL;\nDROP TABLE "Log";`,
      { statementTimeoutMs: 200 },
    );
    expect(r.steps[0].note).toBe('could not count: A query was cancelled by the statement timeout.');
    expect(r.steps[1].rows).toEqual({ count: 500, exact: true });
  });

  it('says when nothing would be destroyed', async () => {
    const r = await precheckRollback(pool, 'CREATE INDEX "x" ON "Log"("level");', {
      rollbackName: '20240110_rollback_x',
    });
    expect(r.steps).toEqual([]);
    expect(r.summary).toBe('20240110_rollback_x would destroy no data there');
  });
});
