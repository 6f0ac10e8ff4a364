/** `prisma-rollback impact`: read-only counts of what a rollback would destroy in an environment. */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prismaChecksum } from '../../src/core/migrations';
import { runCliLines } from '../support/cli';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, tempProject } from '../support/project';

let root: string;
let db: TestDatabase;

const INIT = 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n';
const WIDGETS = `CREATE TABLE "WidgetInstall" ("id" SERIAL PRIMARY KEY, "userId" INT NOT NULL);
ALTER TABLE "User" ADD COLUMN "nickname" TEXT;
`;
const WIDGETS_DOWN = `DROP TABLE "WidgetInstall";\nALTER TABLE "User" DROP COLUMN "nickname";\n`;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCliLines(argv, root, { DATABASE_URL: db.url });
}

beforeAll(async () => {
  db = await createTestDatabase('impact');
  root = (
    await tempProject({
      prefix: 'pr-impact-',
      schema: SCHEMA_WITH_URL_ENV,
      migrations: {
        '20240101000000_init': INIT,
        '20240102000000_widgets': { sql: WIDGETS, down: WIDGETS_DOWN },
        '20240103000000_pending': {
          sql: 'CREATE TABLE "Later" ("id" INT);\n',
          down: 'DROP TABLE "Later";\n',
        },
      },
    })
  ).root;
  await query(
    db.url,
    `${INIT}${WIDGETS}
     INSERT INTO "User" ("email", "nickname") SELECT 'u' || i || '@x', CASE WHEN i % 2 = 0 THEN 'n' END FROM generate_series(1, 40) i;
     INSERT INTO "WidgetInstall" ("userId") SELECT i FROM generate_series(1, 1234) i;
     CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
       "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
       "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
     INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name") VALUES
       ('1', 'x', now(), '20240101000000_init'), ('2', '${prismaChecksum(WIDGETS)}', now(), '20240102000000_widgets');`,
  );
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await db.drop();
});

describe('prisma-rollback impact', () => {
  it('counts what down.sql would destroy there (exit 1), without changing anything', async () => {
    const r = await run('impact', 'widgets');
    expect(r.code).toBe(1);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^Environment \S+ · postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/impact_/);
    expect(r.out).not.toContain('test-secret-pw');
    expect(lines.slice(1)).toEqual([
      'down.sql would delete 1,234 rows of "WidgetInstall" and the values of 1 column (20 non-null values)',
      '  down.sql:1: drops table "WidgetInstall": 1,234 rows',
      '  down.sql:2: drops column "User"."nickname": 20 non-null values',
    ]);
    expect(await query(db.url, 'SELECT count(*)::int AS n FROM "WidgetInstall"')).toEqual([{ n: 1234 }]);
  });

  it('prints JSON with estimates above --exact-limit', async () => {
    const r = await run('impact', 'widgets', '--json', '--exact-limit', '100');
    const j = JSON.parse(r.out);
    expect(j.migration).toEqual({ name: '20240102000000_widgets', state: 'applied' });
    expect(j.steps[0]).toMatchObject({ kind: 'dropTable', table: '"WidgetInstall"', rows: { exact: false } });
    expect(j.steps[0].rows.count).toBeGreaterThan(100);
    expect(j.steps[1]).toMatchObject({ kind: 'dropColumn', values: { count: 20, exact: true } });
  });

  it('refuses a migration that is not applied there (exit 2)', async () => {
    const r = await run('impact', 'pending');
    expect(r.code).toBe(2);
    expect(r.out).toContain(
      '✗ 20240103000000_pending is not applied in this database (it is pending): there is nothing to roll back.',
    );
  });
});
