/**
 * The archive plan (src/core/archive/plan.ts) read from the generator's per-statement analysis,
 * and the pure SQL builders (src/core/archive/sql.ts), with the real libpg-query parser.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { captureSql, planArchive, restoreFromCatalogSql, restoreSql } from '../../src/core/archive';
import { buildSchemaModelSync } from '../../src/core/generator';
import { initSqlParser } from '../../src/core/sql/parser';

const INIT = `CREATE TYPE "Role" AS ENUM ('A', 'B');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "name" TEXT, "role" "Role" NOT NULL,
  "full" TEXT GENERATED ALWAYS AS ("email" || "name") STORED,
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Tag" ("slug" TEXT NOT NULL, "label" TEXT);
CREATE UNIQUE INDEX "Tag_slug_key" ON "Tag"("slug");
CREATE TABLE "Log" ("line" TEXT);
`;

const model = () => buildSchemaModelSync([{ name: '1_init', sql: INIT }]).model;
const plan = (sql: string) => planArchive({ name: '2_m', sql }, model());

beforeAll(async () => {
  await initSqlParser();
});

describe('planArchive', () => {
  it('rename then drop archives the original column, by primary key', () => {
    const p = plan(
      'ALTER TABLE "User" RENAME COLUMN "name" TO "n2";\nALTER TABLE "User" DROP COLUMN "n2";\n',
    );
    expect(p.items.map((i) => [i.kind, i.table, i.columns, i.key])).toEqual([
      ['columns', 'User', ['name'], ['id']],
    ]);
    expect(p.items[0].reasons).toEqual(['line 2: DROP COLUMN name (n2 was name)']);
  });

  it('a unique index on a NOT NULL column is the key; a table with no key is archived whole, said so', () => {
    const p = plan('ALTER TABLE "Tag" DROP COLUMN "label";\nALTER TABLE "Log" DROP COLUMN "line";\n');
    expect(p.items.map((i) => [i.kind, i.table, i.key])).toEqual([
      ['columns', 'Tag', ['slug']],
      ['table', 'Log', undefined],
    ]);
    expect(p.items[1].note).toMatch(/no primary key or unique NOT NULL key: archived whole/);
  });

  it("Prisma's enum swap is a type change of the enum's columns; tables and columns the migration creates are never archived", () => {
    const p = plan(`CREATE TYPE "Role_new" AS ENUM ('A');
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
CREATE TABLE "New" ("id" INT PRIMARY KEY);
INSERT INTO "New" VALUES (1);
ALTER TABLE "User" ADD COLUMN "x" INT;
ALTER TABLE "User" DROP COLUMN "x";
DROP TABLE "New";
`);
    expect(p.items.map((i) => [i.kind, i.table, i.columns])).toEqual([['columns', 'User', ['role']]]);
  });

  it('UPDATE / INSERT: prior images keyed by primary key, with the names after the migration for the diff', () => {
    const p = plan(
      `ALTER TABLE "User" RENAME COLUMN "email" TO "mail";\nUPDATE "User" SET "name" = 'x';\nINSERT INTO "User" ("mail", "role") VALUES ('m', 'A');\n`,
    );
    expect(p.items).toHaveLength(1);
    expect(p.items[0]).toMatchObject({
      kind: 'rows',
      table: 'User',
      key: ['id'],
      writable: ['id', 'email', 'name', 'role'],
    });
    expect(p.items[0].after?.columns).toContainEqual({ before: 'email', after: 'mail' });
    // an INSERT may re-add a key its statements deleted: every column is written back
    expect(p.items[0].updated).toBeUndefined();
  });

  it('UPDATE: the columns its SET assigns, in names before the migration, across statements', () => {
    const p = plan(
      `UPDATE "User" SET "name" = 'x';\nALTER TABLE "User" RENAME COLUMN "email" TO "mail";\nUPDATE "User" SET "mail" = 'm', "role" = 'B';\nDELETE FROM "User" WHERE "id" = 3;\n`,
    );
    expect(p.items.map((i) => [i.kind, i.updated])).toEqual([['rows', ['name', 'email', 'role']]]);
  });

  it('json, json[] and a domain over json are json columns (kept as text, cast back to their type); jsonb is not', () => {
    const m = buildSchemaModelSync([
      {
        name: '1_init',
        sql: `CREATE DOMAIN "Doc" AS json;\nCREATE DOMAIN "Doc2" AS "Doc";\nCREATE TABLE "J" ("id" INTEGER PRIMARY KEY, "a" JSON, "b" pg_catalog.json, "c" JSON[], "d" "Doc", "e" "Doc2", "f" JSONB, "g" TEXT);\n`,
      },
    ]).model;
    const p = planArchive({ name: '2_m', sql: 'DROP TABLE "J";\n' }, m);
    expect(p.items[0].jsonColumns).toEqual({
      a: 'pg_catalog.json',
      b: 'pg_catalog.json',
      c: 'pg_catalog.json[]',
      d: '"Doc"',
      e: '"Doc2"',
    });
  });
});

describe('SQL builders', () => {
  it('restoreSql of a columns item: one UPDATE joined on the typed key, key and values read back with jsonb_populate_record', () => {
    const [item] = plan('ALTER TABLE "User" DROP COLUMN "name";\n').items;
    expect(restoreSql(item, 'd1')).toEqual([
      `UPDATE "User" x SET "name" = r."name" FROM "_prisma_rollback"."d1" a CROSS JOIN LATERAL jsonb_populate_record(NULL::"User", a.k || a.v) r WHERE x."id" = r."id"`,
    ]);
  });

  it('restoreSql of a rows item: delete the added keys, update and re-insert by the typed key', () => {
    const [item] = plan('UPDATE "User" SET "name" = \'x\';\n').items;
    expect(restoreSql(item, 'd1')).toEqual([
      `DELETE FROM "User" x USING "_prisma_rollback"."d1" a CROSS JOIN LATERAL jsonb_populate_record(NULL::"User", a.k) k WHERE a.op = 'added' AND x."id" = k."id"`,
      `UPDATE "User" x SET "name" = r."name" FROM "_prisma_rollback"."d1" a CROSS JOIN LATERAL jsonb_populate_record(NULL::"User", a.v) r WHERE a.op = 'prior' AND x."id" = r."id"`,
      `INSERT INTO "User" ("id", "email", "name", "role") OVERRIDING SYSTEM VALUE SELECT r."id", r."email", r."name", r."role" FROM "_prisma_rollback"."d1" a CROSS JOIN LATERAL jsonb_populate_record(NULL::"User", a.v) r WHERE a.op = 'prior' AND NOT EXISTS (SELECT 1 FROM "User" x WHERE x."id" = r."id")`,
    ]);
  });

  it('json columns: captured as their text, restored by a cast to their type (not through jsonb)', () => {
    const m = buildSchemaModelSync([
      { name: '1_init', sql: `CREATE TABLE "J" ("id" INTEGER PRIMARY KEY, "j" JSON, "n" INTEGER);\n` },
    ]).model;
    const [dropped] = planArchive({ name: '2_m', sql: 'DROP TABLE "J";\n' }, m).items;
    expect(captureSql({ migration: '2_m', items: [dropped], order: [] }).before).toContainEqual(
      expect.stringMatching(
        /SELECT .*\(to_jsonb\(x\) \|\| jsonb_build_object\('j', x\."j"::text\)\) FROM "J" x$/,
      ),
    );
    expect(restoreSql(dropped, 'd1')[1]).toBe(
      `INSERT INTO "J" ("id", "j", "n") OVERRIDING SYSTEM VALUE SELECT r."id", (a.v ->> 'j')::pg_catalog.json, r."n" FROM "_prisma_rollback"."d1" a CROSS JOIN LATERAL jsonb_populate_record(NULL::"J", a.v) r WHERE a.op = 'prior'`,
    );
    const [column] = planArchive({ name: '2_m', sql: 'ALTER TABLE "J" DROP COLUMN "j";\n' }, m).items;
    expect(restoreSql(column, 'd1')).toEqual([
      `UPDATE "J" x SET "j" = (a.v ->> 'j')::pg_catalog.json FROM "_prisma_rollback"."d1" a CROSS JOIN LATERAL jsonb_populate_record(NULL::"J", a.k || a.v) r WHERE x."id" = r."id"`,
    ]);
  });

  it('restoreFromCatalogSql turns nested loops off for the restore only (this transaction), then back', () => {
    const sql = restoreFromCatalogSql('2_m');
    expect(sql).toContain(`nl text := current_setting('enable_nestloop')`);
    expect(sql.indexOf(`set_config('enable_nestloop', 'off', true)`)).toBeLessThan(sql.indexOf('EXECUTE s'));
    expect(sql.indexOf(`set_config('enable_nestloop', nl, true)`)).toBeGreaterThan(
      sql.indexOf('END LOOP;\nPERFORM'),
    );
  });

  it('restoreSql of a dropped table leaves generated columns out and keeps identity values', () => {
    const [item] = plan('DROP TABLE "User";\n').items;
    expect(restoreSql(item, 'd1')[1]).toBe(
      `INSERT INTO "User" ("id", "email", "name", "role") OVERRIDING SYSTEM VALUE SELECT r."id", r."email", r."name", r."role" FROM "_prisma_rollback"."d1" a CROSS JOIN LATERAL jsonb_populate_record(NULL::"User", a.v) r WHERE a.op = 'prior'`,
    );
  });

  it('captureSql closes the schema and every data table to PUBLIC and records the restore in the catalog', () => {
    const c = captureSql(plan('ALTER TABLE "User" DROP COLUMN "name";\n'));
    expect(c.before).toContain('REVOKE ALL ON SCHEMA "_prisma_rollback" FROM PUBLIC');
    expect(c.before).toContain(`REVOKE ALL ON "_prisma_rollback"."${c.dataTables[0]}" FROM PUBLIC`);
    expect(c.before.at(-1)).toMatch(/^INSERT INTO "_prisma_rollback"\."archive" .*'columns'/);
    expect(c.after).toHaveLength(1);
    expect(c.dataTables[0]).toMatch(/^2_m_0_[0-9a-f]{8}$/);
  });
});
