/**
 * Seeding from a schema snapshot and comparing row snapshots, on a real PostgreSQL 15: every
 * column type the seeder knows, foreign keys (parent first, self-reference, composite), unique
 * and check constraints, NULLs; the same schema gives the same rows.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareRows, snapshotRows } from '../../src/core/verify/rows';
import { foreignKeysOf, rowKeysOf, seedSchema } from '../../src/core/verify/seed';
import { snapshotSchema } from '../../src/core/verify/snapshot';
import { createTestDatabase, type TestDatabase } from '../support/pg';

const SCHEMA = `
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE SCHEMA auth;
CREATE TABLE auth."Account" ("id" BIGSERIAL PRIMARY KEY, "provider" TEXT NOT NULL);
CREATE TABLE "User" (
  "id" SERIAL NOT NULL,
  "uid" UUID NOT NULL,
  "email" VARCHAR(12) NOT NULL,
  "name" TEXT,
  "role" "Role" NOT NULL DEFAULT 'USER',
  "roles" "Role"[],
  "tags" TEXT[] NOT NULL,
  "scores" INTEGER[],
  "active" BOOLEAN NOT NULL,
  "balance" DECIMAL(10,2) NOT NULL,
  "ratio" DOUBLE PRECISION,
  "big" BIGINT NOT NULL,
  "small" SMALLINT,
  "born" DATE,
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "seenAt" TIMESTAMPTZ(6),
  "meta" JSONB NOT NULL,
  "raw" JSON,
  "avatar" BYTEA,
  "code" CHAR(3),
  "level" positive_int,
  "accountId" BIGINT REFERENCES auth."Account"("id"),
  "managerId" INTEGER,
  "seq" INTEGER GENERATED ALWAYS AS IDENTITY,
  "upper" TEXT GENERATED ALWAYS AS (upper("name")) STORED,
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "User_balance_check" CHECK ("balance" >= 0)
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE UNIQUE INDEX "User_uid_active_key" ON "User"("uid", "active");
ALTER TABLE "User" ADD CONSTRAINT "User_managerId_fkey" FOREIGN KEY ("managerId") REFERENCES "User"("id");
CREATE TABLE "Post" (
  "id" TEXT NOT NULL PRIMARY KEY,
  "authorId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
  "title" VARCHAR(200) NOT NULL,
  "published" BOOLEAN NOT NULL DEFAULT false,
  "views" INTEGER NOT NULL CHECK ("views" >= 3)
);
CREATE TABLE "Tag" ("name" TEXT NOT NULL, "kind" INTEGER NOT NULL, PRIMARY KEY ("name", "kind"));
CREATE TABLE "PostTag" (
  "postId" TEXT NOT NULL REFERENCES "Post"("id"),
  "tagName" TEXT NOT NULL, "tagKind" INTEGER NOT NULL,
  PRIMARY KEY ("postId", "tagName", "tagKind"),
  FOREIGN KEY ("tagName", "tagKind") REFERENCES "Tag"("name", "kind")
);
CREATE TABLE "Impossible" ("id" INT PRIMARY KEY, "x" INT NOT NULL CHECK ("x" < 0 AND "x" > 0));
CREATE TABLE "Log" ("at" TIMESTAMP(3) NOT NULL, "line" TEXT);
CREATE TABLE "Attachment" ("id" SERIAL PRIMARY KEY, "postId" TEXT REFERENCES "Post"("id"), "userId" INTEGER REFERENCES "User"("id"),
  CONSTRAINT "one_owner" CHECK (("postId" IS NULL) <> ("userId" IS NULL)));
-- rows a migration inserted: the seeder's first values collide with them
INSERT INTO auth."Account" ("id", "provider") VALUES (1, 'existing'), (2, 'existing too');
`;

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('seed');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(SCHEMA);
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const q = (sql: string) => client.query(sql);

describe('seedSchema', () => {
  it('reads foreign keys and row keys out of the snapshot', async () => {
    const schema = await snapshotSchema(q);
    expect(foreignKeysOf(schema)['"PostTag"']).toEqual(
      expect.arrayContaining([
        { columns: ['tagName', 'tagKind'], parent: '"Tag"', parentColumns: ['name', 'kind'] },
        { columns: ['postId'], parent: '"Post"', parentColumns: ['id'] },
      ]),
    );
    expect(foreignKeysOf(schema)['"User"']).toEqual(
      expect.arrayContaining([
        { columns: ['accountId'], parent: '"auth"."Account"', parentColumns: ['id'] },
        { columns: ['managerId'], parent: '"User"', parentColumns: ['id'] },
      ]),
    );
    const keys = rowKeysOf(schema);
    expect(keys['"Tag"']).toEqual(['name', 'kind']);
    expect(keys['"User"']).toEqual(['id']);
    expect(keys['"Log"']).toBeUndefined();
  });

  it('fills every table, parents first, respecting keys and checks, and says which it cannot fill', async () => {
    const schema = await snapshotSchema(q);
    await q('BEGIN');
    try {
      const report = await seedSchema(q, schema);
      expect(report.order.indexOf('"auth"."Account"')).toBeLessThan(report.order.indexOf('"User"'));
      expect(report.order.indexOf('"User"')).toBeLessThan(report.order.indexOf('"Post"'));
      expect(report.order.indexOf('"Tag"')).toBeLessThan(report.order.indexOf('"PostTag"'));
      expect(report.inserted).toEqual({
        '"auth"."Account"': 4,
        '"User"': 4,
        '"Post"': 4,
        '"Tag"': 4,
        '"PostTag"': 4,
        '"Impossible"': 0,
        '"Log"': 4,
        '"Attachment"': 4,
      });
      // one owner each (the CHECK), and the migration's rows are still there beside the seeded ones
      expect(
        (
          await q(
            `SELECT count(*)::int AS n FROM "Attachment" WHERE ("postId" IS NULL) <> ("userId" IS NULL)`,
          )
        ).rows,
      ).toEqual([{ n: 4 }]);
      expect((await q(`SELECT count(*)::int AS n FROM auth."Account"`)).rows).toEqual([{ n: 6 }]);
      expect(report.problems).toEqual([
        '"Impossible": 0 of 4 rows (new row for relation "Impossible" violates check constraint "Impossible_x_check")',
      ]);
      const users = (
        await q(
          `SELECT id, uid::text, email, name, role::text, roles::text, tags::text, active, balance::text, "accountId"::text, "managerId", level, meta::text, avatar::text, "seenAt"::text, upper FROM "User" ORDER BY id`,
        )
      ).rows;
      expect(users).toHaveLength(4);
      // every type got a value on the first rows; the last row has NULL in the nullable columns
      expect(users[0]).toMatchObject({
        id: 1,
        role: 'USER',
        active: true,
        balance: '91.12',
        managerId: null,
      });
      expect(users[1]).toMatchObject({ role: 'ADMIN', active: false, roles: '{ADMIN,USER}' });
      expect(users[0].uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
      expect(users[0].email.length).toBeLessThanOrEqual(12);
      expect(users[0].upper).toBe(users[0].name.toUpperCase());
      expect(JSON.parse(users[0].meta)).toMatchObject({ row: 1, column: 'meta' });
      expect(users[0].avatar).toMatch(/^\\x[0-9a-f]{8}$/);
      expect(users[0].accountId).not.toBeNull();
      expect(users[3]).toMatchObject({
        name: null,
        roles: null,
        accountId: null,
        managerId: null,
        level: null,
      });
      expect(new Set(users.map((u) => u.email)).size).toBe(4);
      const posts = (await q(`SELECT views FROM "Post"`)).rows;
      expect(posts.every((p) => p.views >= 3)).toBe(true);
    } finally {
      await q('ROLLBACK');
    }
  });

  it('gives the same rows for the same schema', async () => {
    const schema = await snapshotSchema(q);
    const read = async () => {
      await q('BEGIN');
      try {
        await seedSchema(q, schema);
        return await snapshotRows(q, schema);
      } finally {
        await q('ROLLBACK');
      }
    };
    const first = await read();
    const second = await read();
    expect(first['"User"'].rows).toHaveLength(4);
    expect(second).toEqual(first);
    expect(compareRows(first, second)).toEqual([]);
  });
});

describe('compareRows', () => {
  it('lists changed values, missing and extra rows, gone columns and tables in plain words', async () => {
    const schema = await snapshotSchema(q);
    await q('BEGIN');
    try {
      await seedSchema(q, schema);
      const before = await snapshotRows(q, schema);
      await q(`UPDATE "User" SET "name" = NULL WHERE id = 1`);
      await q(`DELETE FROM "PostTag" WHERE "tagKind" = (SELECT min("tagKind") FROM "PostTag")`);
      await q(`INSERT INTO "Log" VALUES ('2020-01-01', 'extra')`);
      await q(`ALTER TABLE "Tag" ADD COLUMN "color" TEXT`);
      await q(`ALTER TABLE "Post" DROP COLUMN "title"`);
      await q(`DROP TABLE "Impossible"`);
      const after = await snapshotRows(q, await snapshotSchema(q));
      const name = before['"User"'].rows[0].name ?? '';
      const tag = before['"PostTag"'].rows.find(
        (r) => r.tagKind === String(Math.min(...before['"PostTag"'].rows.map((x) => Number(x.tagKind)))),
      )!;
      expect(compareRows(before, after)).toEqual([
        '"Impossible": the table is gone (0 rows before)',
        `"Log": row (at='2020-01-01 00:00:00', line='extra') is extra or changed`,
        '"Post": column "title" is gone (it held values in 4 of 4 rows)',
        `"PostTag": row postId=${tag.postId}, tagName=${tag.tagName}, tagKind=${tag.tagKind} is missing`,
        `"User": row id=1: "name" '${name}' → NULL`,
        `"User": row id=1: "upper" '${name.toUpperCase()}' → NULL`,
      ]);
    } finally {
      await q('ROLLBACK');
    }
  });
});

describe('seedSchema and sequences', () => {
  it('moves serial and identity sequences past the seeded values, as INSERTs would', async () => {
    const schema = await snapshotSchema(q);
    await q('BEGIN');
    try {
      await seedSchema(q, schema);
      const max = (await q(`SELECT max(id)::int AS m FROM "User"`)).rows[0].m;
      expect(
        (
          await q(
            `INSERT INTO "User" ("uid", "email", "tags", "active", "balance", "big", "meta") VALUES (gen_random_uuid(), 'n@x', '{}', true, 1, 1, '{}') RETURNING id`,
          )
        ).rows,
      ).toEqual([{ id: max + 1 }]);
    } finally {
      await q('ROLLBACK');
    }
  });
});
