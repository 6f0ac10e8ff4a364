/**
 * Every row of the generator's table, proven on a real PostgreSQL: apply the earlier migrations,
 * snapshot the catalog, apply the migration and its generated down.sql, snapshot again, and
 * require the two snapshots to be equal (src/core/verify/snapshot.ts); then the migration must
 * apply again on the rolled-back schema.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRollbacks, roundTripOk } from '../../scripts/lib/roundtrip';
import { generateRollback, type RollbackResult } from '../../src/core/generator';
import { initSqlParser } from '../../src/core/sql';
import { compareSnapshots, snapshotSchema } from '../../src/core/verify/snapshot';
import { createTestDatabase, type TestDatabase } from '../support/pg';

const dbs: TestDatabase[] = [];

beforeAll(async () => {
  await initSqlParser();
});
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

async function withClient<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const db = await createTestDatabase('gst');
  dbs.push(db);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  c.on('notice', () => {});
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

/** Round-trips the last migration of `migrations` (each a migration.sql); returns its rollback. */
async function roundTrip(migrations: string[], setup?: string): Promise<RollbackResult> {
  return withClient(async (c) => {
    if (setup) await c.query(setup);
    const history = migrations.map((sql, i) => ({ name: `2024010100000${i}_m${i}`, sql }));
    const [o] = (await checkRollbacks((q) => c.query(q), history)).slice(-1);
    const detail = o.applyError ?? o.downError ?? o.reapplyError ?? o.differences.join('\n');
    expect(roundTripOk(o), `${detail}\n--- down.sql ---\n${o.rollback?.sql}`).toBe(true);
    return o.rollback!;
  });
}

const kinds = (r: RollbackResult) => [...new Set(r.warnings.map((w) => w.kind))].sort();

const base = `-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" VARCHAR(100),
    "role" "Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "authorId" INTEGER,
    "tags" TEXT[],
    "score" DECIMAL(65,30) NOT NULL DEFAULT 0,
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Post_authorId_title_idx" ON "Post"("authorId", "title" DESC);

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
`;

describe('tables', () => {
  it('CREATE TABLE → DROP TABLE, flagged: rows are deleted', async () => {
    const r = await roundTrip([
      base,
      `CREATE TABLE "Tag" ("id" SERIAL NOT NULL, "name" TEXT NOT NULL, CONSTRAINT "Tag_pkey" PRIMARY KEY ("id"));`,
    ]);
    expect(r.sql).toContain('DROP TABLE "Tag";');
    expect(kinds(r)).toEqual(['dataLoss']);
  });

  it('DROP TABLE → CREATE TABLE with columns, defaults, serial, indexes, constraints and the foreign keys that pointed at it', async () => {
    const r = await roundTrip([
      base,
      `-- DropForeignKey
ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";

-- DropTable
DROP TABLE "User";`,
    ]);
    expect(r.sql).toMatch(/CREATE TABLE "User"/);
    expect(r.sql).toContain('CREATE UNIQUE INDEX "User_email_key"');
    expect(kinds(r)).toContain('dataNotRestored');
  });

  it('DROP TABLE … CASCADE also restores the foreign keys of other tables', async () => {
    const r = await roundTrip([base, `DROP TABLE "User" CASCADE;`]);
    expect(r.sql).toContain('ADD CONSTRAINT "Post_authorId_fkey"');
  });

  it('DROP TABLE of several tables at once, referencing each other', async () => {
    await roundTrip([base, `DROP TABLE "Post", "User";`]);
  });

  it('CREATE TABLE IF NOT EXISTS of an existing table has nothing to undo', async () => {
    const r = await roundTrip([base, `CREATE TABLE IF NOT EXISTS "User" ("x" int);`]);
    expect(r.steps[0].noop).toMatch(/already existed/);
    expect(r.sql).not.toContain('DROP TABLE');
  });

  it('RENAME table and column, in both orders', async () => {
    await roundTrip([
      base,
      `ALTER TABLE "Post" RENAME TO "Article";
ALTER TABLE "Article" RENAME COLUMN "authorId" TO "writerId";
ALTER TABLE "Article" RENAME CONSTRAINT "Post_pkey" TO "Article_pkey";
ALTER INDEX "Post_authorId_title_idx" RENAME TO "Article_writerId_title_idx";
ALTER TABLE "Article" RENAME CONSTRAINT "Post_authorId_fkey" TO "Article_writerId_fkey";`,
    ]);
  });
});

describe('columns', () => {
  it('ADD COLUMN → DROP COLUMN, flagged: values are deleted', async () => {
    const r = await roundTrip([
      base,
      `ALTER TABLE "User" ADD COLUMN "bio" TEXT, ADD COLUMN "age" INTEGER NOT NULL DEFAULT 0;`,
    ]);
    expect(r.sql).toContain('DROP COLUMN "bio"');
    expect(kinds(r)).toEqual(['dataLoss']);
  });

  it('DROP COLUMN → ADD COLUMN with type, default, nullability, and the indexes and constraints that used it', async () => {
    const r = await roundTrip([
      base,
      `ALTER TABLE "User" DROP COLUMN "email", DROP COLUMN "role", DROP COLUMN "createdAt";
ALTER TABLE "Post" DROP COLUMN "authorId";`,
    ]);
    expect(r.sql).toContain('CREATE UNIQUE INDEX "User_email_key"');
    expect(r.sql).toContain('ADD CONSTRAINT "Post_authorId_fkey"');
    expect(kinds(r)).toEqual(['dataNotRestored', 'needsBackfill']);
  });

  it('DROP COLUMN of a NOT NULL column without default on a table with rows fails as flagged (needsBackfill)', async () => {
    await withClient(async (c) => {
      await c.query(base);
      await c.query(`INSERT INTO "User" ("email") VALUES ('a@b.c')`);
      const history = [
        { name: '1', sql: base },
        { name: '2', sql: `ALTER TABLE "User" DROP COLUMN "email";` },
      ];
      const r = await generateRollback(history, 1);
      expect(r.warnings.map((w) => w.kind)).toContain('needsBackfill');
      await c.query(history[1].sql);
      await expect(c.query(r.sql)).rejects.toThrow(/contains null values/);
    });
  });

  it('DROP COLUMN of a serial column brings back the column and its sequence', async () => {
    await roundTrip([base, `ALTER TABLE "User" DROP CONSTRAINT "User_pkey" CASCADE, DROP COLUMN "id";`]);
  });

  it('ALTER COLUMN TYPE / SET, DROP NOT NULL / SET, DROP DEFAULT → the previous ones (with USING)', async () => {
    const r = await roundTrip([
      base,
      `ALTER TABLE "User" ALTER COLUMN "name" SET DATA TYPE TEXT,
ALTER COLUMN "name" SET NOT NULL,
ALTER COLUMN "email" DROP NOT NULL,
ALTER COLUMN "createdAt" DROP DEFAULT,
ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(6);
ALTER TABLE "Post" ALTER COLUMN "authorId" SET DATA TYPE BIGINT, ALTER COLUMN "score" SET DEFAULT 1.5, ALTER COLUMN "title" TYPE VARCHAR(20);`,
    ]);
    expect(r.sql).toContain('TYPE varchar(100) USING "name"::varchar(100)');
    expect(kinds(r)).toEqual(['mayFail', 'needsBackfill']);
  });

  it('Prisma column rename written as DROP + ADD, with a hint to move the values back', async () => {
    const r = await roundTrip([
      base,
      `ALTER TABLE "User" DROP COLUMN "name", ADD COLUMN "fullName" VARCHAR(100);`,
    ]);
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(
      /if "fullName" replaced "name" \(Prisma writes a rename as DROP \+ ADD\)/,
    );
  });

  it('identity and generated columns', async () => {
    await roundTrip([
      `CREATE TABLE "T" ("id" INT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "a" INT, "b" INT GENERATED ALWAYS AS ("a" * 2) STORED);`,
      `ALTER TABLE "T" DROP COLUMN "b"; ALTER TABLE "T" DROP COLUMN "id";`,
    ]);
  });
});

describe('constraints and indexes', () => {
  it('ADD CONSTRAINT / DROP CONSTRAINT (foreign key with actions, unique, check, primary key)', async () => {
    await roundTrip([
      base,
      `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE "Post" ADD CONSTRAINT "Post_title_check" CHECK (char_length("title") > 0);
ALTER TABLE "User" ADD CONSTRAINT "User_name_key" UNIQUE ("name");
ALTER TABLE "Post" DROP CONSTRAINT "Post_pkey", ADD CONSTRAINT "Post_pkey" PRIMARY KEY ("id", "title");`,
    ]);
  });

  it('ADD PRIMARY KEY makes a column NOT NULL; the rollback makes it nullable again', async () => {
    await roundTrip([`CREATE TABLE "K" ("id" TEXT, "v" INT);`, `ALTER TABLE "K" ADD PRIMARY KEY ("id");`]);
  });

  it('unnamed constraints get the names PostgreSQL derives (older Prisma: ADD FOREIGN KEY)', async () => {
    const r = await roundTrip([
      `CREATE TABLE "A" ("id" INT PRIMARY KEY, "code" TEXT UNIQUE, "n" INT CHECK ("n" > 0));
CREATE TABLE "B" ("id" INT PRIMARY KEY, "aId" INT);`,
      `ALTER TABLE "B" ADD FOREIGN KEY ("aId") REFERENCES "A"("id") ON DELETE CASCADE;
ALTER TABLE "A" DROP CONSTRAINT "A_code_key";
ALTER TABLE "A" DROP CONSTRAINT "A_n_check";`,
    ]);
    expect(r.sql).toContain('DROP CONSTRAINT "B_aId_fkey"');
  });

  it('CREATE [UNIQUE] INDEX (partial, expression, method, opclass) / DROP INDEX / ALTER INDEX RENAME', async () => {
    await roundTrip([
      base,
      `CREATE UNIQUE INDEX "Post_title_lower_key" ON "Post"(lower("title")) WHERE "authorId" IS NOT NULL;
CREATE INDEX "Post_tags_idx" ON "Post" USING GIN ("tags" array_ops);
CREATE INDEX ON "Post"("score");
DROP INDEX "User_email_key";
DROP INDEX "Post_authorId_title_idx";
ALTER INDEX "Post_tags_idx" RENAME TO "Post_tags_gin";
CREATE INDEX IF NOT EXISTS "Post_tags_gin" ON "Post"("title");`,
    ]);
  });

  it('CREATE INDEX CONCURRENTLY: the rollback runs outside a transaction', async () => {
    const r = await roundTrip([base, `CREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");`]);
    expect(r.transactional).toBe(false);
    expect(r.sql).toContain('DROP INDEX CONCURRENTLY "Post_title_idx";');
    expect(r.sql).not.toMatch(/^BEGIN;/m);
  });
});

describe('enums and types', () => {
  it('CREATE TYPE … AS ENUM / DROP TYPE', async () => {
    await roundTrip([base, `CREATE TYPE "Color" AS ENUM ('red', 'green');`]);
    await roundTrip([base, `CREATE TYPE "Color" AS ENUM ('red', 'green'); DROP TYPE "Color";`]);
    await roundTrip([`${base}CREATE TYPE "Old" AS ENUM ('a', 'b''c');`, `DROP TYPE "Old";`]);
  });

  it('ALTER TYPE … ADD VALUE → type swap without the value, columns and defaults re-pointed, flagged', async () => {
    const r = await roundTrip([
      `${base}ALTER TABLE "Post" ADD COLUMN "roles" "Role"[] DEFAULT ARRAY['USER']::"Role"[];`,
      `ALTER TYPE "Role" ADD VALUE 'MODERATOR' BEFORE 'ADMIN';
ALTER TYPE "Role" ADD VALUE IF NOT EXISTS 'GUEST';`,
    ]);
    expect(kinds(r)).toContain('enumValue');
  });

  it("Prisma's own enum swap → the swap back to the previous labels", async () => {
    const r = await roundTrip([
      base,
      `/*
  Warnings:

  - The values [ADMIN] on the enum \`Role\` will be removed. If these variants are still used in the database, this will fail.

*/
-- AlterEnum
BEGIN;
CREATE TYPE "Role_new" AS ENUM ('USER', 'OWNER');
ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';
COMMIT;`,
    ]);
    expect(kinds(r)).toContain('enumValue');
  });

  it('RENAME of an enum value and of a type', async () => {
    await roundTrip([
      base,
      `ALTER TYPE "Role" RENAME VALUE 'ADMIN' TO 'SUPERUSER'; ALTER TYPE "Role" RENAME TO "UserRole";`,
    ]);
  });
});

describe('other objects', () => {
  it('CREATE SCHEMA / SEQUENCE / VIEW / FUNCTION / TRIGGER → DROP (schemas flagged as shared)', async () => {
    const r = await roundTrip([
      base,
      `CREATE SCHEMA "audit";
CREATE SEQUENCE "audit"."Ticket_seq" START 100 INCREMENT 5;
CREATE VIEW "UserEmails" AS SELECT "id", "email" FROM "User";
CREATE MATERIALIZED VIEW "PostCount" AS SELECT "authorId", count(*) AS n FROM "Post" GROUP BY "authorId";
CREATE FUNCTION "touch"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW."createdAt" := now(); -- a comment; with a semicolon
  RETURN NEW;
END;
$$;
CREATE TRIGGER "User_touch" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION "touch"();`,
    ]);
    expect(kinds(r)).toEqual(['shared']);
  });

  it('CREATE EXTENSION → DROP EXTENSION, flagged as shared', async () => {
    const available = await withClient(
      async (c) => (await c.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto'`)).rowCount,
    );
    if (!available) return;
    const r = await roundTrip([base, `CREATE EXTENSION IF NOT EXISTS "pgcrypto";`]);
    expect(kinds(r)).toEqual(['shared']);
  });

  it('DROP or CREATE OR REPLACE of VIEW / FUNCTION / TRIGGER → the previous definition', async () => {
    const earlier = `${base}
CREATE VIEW "UserEmails" AS SELECT "id", "email" FROM "User";
CREATE OR REPLACE FUNCTION "add"(a integer, b integer) RETURNS integer AS $$ SELECT a + b $$ LANGUAGE sql;
CREATE FUNCTION "touch"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER "User_touch" BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION "touch"();`;
    await roundTrip([
      earlier,
      `CREATE OR REPLACE VIEW "UserEmails" AS SELECT "id", "email", "name" FROM "User";
CREATE OR REPLACE FUNCTION "add"(a integer, b integer) RETURNS integer AS $$ SELECT a + b + 0 $$ LANGUAGE sql;
DROP TRIGGER "User_touch" ON "User";
CREATE TRIGGER "User_touch" AFTER INSERT ON "User" FOR EACH ROW EXECUTE FUNCTION "touch"();`,
    ]);
    await roundTrip([
      earlier,
      `DROP VIEW "UserEmails"; DROP TRIGGER "User_touch" ON "User"; DROP FUNCTION "touch"(); DROP FUNCTION "add";`,
    ]);
  });

  it("a view that selects * comes back with the columns it had, not the tables' current ones", async () => {
    const r = await roundTrip([
      `${base}CREATE VIEW "PostView" AS SELECT p.*, u."email" FROM "Post" p LEFT JOIN "User" u ON u."id" = p."authorId";`,
      `ALTER TABLE "Post" ADD COLUMN "views" INTEGER NOT NULL DEFAULT 0;
DROP VIEW "PostView";
CREATE VIEW "PostView" AS SELECT p.*, u."email" FROM "Post" p LEFT JOIN "User" u ON u."id" = p."authorId";`,
    ]);
    expect(r.warnings.map((w) => w.kind)).not.toContain('mayFail');
    // a star over a subquery cannot be expanded from the model: flagged
    const sub = await roundTrip([
      `${base}CREATE VIEW "Sub" AS SELECT s.* FROM (SELECT "id" FROM "Post") s;`,
      `DROP VIEW "Sub";`,
    ]);
    expect(sub.warnings.map((w) => w.message).join()).toMatch(/selects \*/);
  });

  it('COMMENT ON → the previous comment; GRANT → REVOKE', async () => {
    const r = await roundTrip([
      `${base}COMMENT ON TABLE "User" IS 'people';`,
      `COMMENT ON TABLE "User" IS 'accounts';
COMMENT ON COLUMN "User"."email" IS 'login';
GRANT SELECT ON "User" TO PUBLIC;`,
    ]);
    expect(r.sql).toContain(`COMMENT ON TABLE "User" IS 'people';`);
    expect(r.sql).toMatch(/^REVOKE SELECT ON "User" FROM PUBLIC( RESTRICT)?;$/m);
  });
});

describe('row level security (Supabase)', () => {
  it('ENABLE ROW LEVEL SECURITY and CREATE POLICY → DISABLE and DROP POLICY; DROP POLICY → the previous policy', async () => {
    await roundTrip([
      base,
      `ALTER TABLE "User" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own rows" ON "User" FOR SELECT USING ("email" = current_user);`,
    ]);
    await roundTrip([
      `${base}ALTER TABLE "User" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own rows" ON "User" FOR SELECT USING ("email" = current_user);`,
      `DROP POLICY "own rows" ON "User";
ALTER TABLE "User" DISABLE ROW LEVEL SECURITY;`,
    ]);
  });

  it('DROP TABLE brings back its row level security and policies', async () => {
    await roundTrip([
      `${base}ALTER TABLE "User" ENABLE ROW LEVEL SECURITY;
CREATE POLICY "own rows" ON "User" FOR SELECT USING ("email" = current_user);`,
      `DROP TABLE "User" CASCADE;`,
    ]);
  });
});

describe('names PostgreSQL derives', () => {
  it('unnamed expression indexes and table-level CHECK constraints', async () => {
    const r = await roundTrip([
      base,
      `CREATE INDEX ON "User" (lower("email"));
CREATE INDEX ON "User" (("name"::text));
ALTER TABLE "Post" ADD CHECK ("score" >= 0);
ALTER TABLE "Post" ADD CHECK ("score" >= 0 AND "title" <> '');`,
    ]);
    expect(r.sql).toContain('DROP INDEX "User_lower_idx"');
    expect(r.sql).toContain('DROP INDEX "User_name_idx"');
    expect(r.sql).toContain('DROP CONSTRAINT "Post_score_check"');
    expect(r.sql).toContain('DROP CONSTRAINT "Post_check"');
  });
});

describe('data changes and unknown statements are never skipped silently', () => {
  it('INSERT / UPDATE / DELETE / DO become marked IRREVERSIBLE blocks (the schema still round-trips)', async () => {
    const r = await roundTrip([
      base,
      `ALTER TABLE "User" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
INSERT INTO "User" ("email") VALUES ('admin@example.com');
UPDATE "User" SET "active" = false WHERE "email" LIKE '%@old.example';
DELETE FROM "Post" WHERE "title" = '';
DO $$ BEGIN PERFORM 1; END $$;`,
    ]);
    expect(r.irreversible.map((s) => s.kind)).toEqual(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'DoStmt']);
    expect(r.sql.match(/={5,} IRREVERSIBLE ={5,}/g)).toHaveLength(4);
    expect(r.summary.irreversible).toBe(4);
  });

  it('rows written only into tables the same migration creates go with its DROP TABLE: not irreversible', async () => {
    const r = await roundTrip(
      [
        base,
        `CREATE TABLE "Seed" ("id" INT PRIMARY KEY, "v" TEXT);
CREATE TABLE "app"."Flag" ("k" TEXT PRIMARY KEY);
INSERT INTO "Seed" VALUES (1, 'a'), (2, 'b');
INSERT INTO "Seed" SELECT "id" + 10, "email" FROM "User";
UPDATE "Seed" SET "v" = 'z' WHERE "id" = 1;
DELETE FROM "Seed" WHERE "id" = 2;
INSERT INTO "app"."Flag" VALUES ('on');
TRUNCATE "Seed";`,
      ],
      'CREATE SCHEMA "app"',
    );
    expect(r.irreversible).toEqual([]);
    expect(r.summary.irreversible).toBe(0);
    expect(r.summary.noop).toBe(6);
    expect(r.sql).not.toMatch(/IRREVERSIBLE/);
    expect(r.sql).toContain('DROP TABLE "Seed"');
  });

  it('rows written into existing tables, through a data-modifying WITH, or into a new table with a trigger stay irreversible', async () => {
    const r = await roundTrip([
      base,
      `CREATE TABLE "Seed" ("id" TEXT PRIMARY KEY);
INSERT INTO "User" ("email") VALUES ('x@y.z');
WITH moved AS (DELETE FROM "Post" RETURNING "id") INSERT INTO "Seed" SELECT "id" FROM moved;
CREATE TABLE "Audit" ("id" INT);
CREATE FUNCTION "audit"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE "User" SET "name" = 'x'; RETURN NEW; END $$;
CREATE TRIGGER "Audit_t" AFTER INSERT ON "Audit" FOR EACH ROW EXECUTE FUNCTION "audit"();
INSERT INTO "Audit" VALUES (1);`,
    ]);
    expect(r.irreversible.map((s) => s.kind)).toEqual(['InsertStmt', 'InsertStmt', 'InsertStmt']);
  });

  it('a type change whose USING rewrites the values is flagged dataNotRestored; a plain cast is not', async () => {
    const store = `CREATE TABLE "store" ("id" TEXT PRIMARY KEY, "fee" DECIMAL(65,30) NOT NULL DEFAULT 0.05, "code" TEXT, "n" INTEGER);`;
    const rewrites = [
      'ALTER TABLE "store" ALTER COLUMN "fee" DROP DEFAULT, ALTER COLUMN "fee" SET DATA TYPE INTEGER USING (ROUND("fee" * 100)::INTEGER), ALTER COLUMN "fee" SET DEFAULT 5;',
      'ALTER TABLE "store" ALTER COLUMN "code" TYPE TEXT USING lower("code");',
      'ALTER TABLE "store" ALTER COLUMN "n" TYPE BOOLEAN USING ("n" > 0);',
    ];
    for (const forward of rewrites) {
      const r = await roundTrip([store, forward]);
      const flagged = r.warnings.filter((w) => w.kind === 'dataNotRestored');
      expect(flagged, forward).toHaveLength(1);
      expect(flagged[0].message).toMatch(/rewrote the values of "(fee|code|n)" \(USING /);
    }
    for (const plain of [
      'ALTER TABLE "store" ALTER COLUMN "n" TYPE BIGINT USING "n"::bigint;',
      'ALTER TABLE "store" ALTER COLUMN "code" TYPE VARCHAR(50) USING "code"::text::varchar(50);',
      'ALTER TABLE "store" ALTER COLUMN "n" TYPE BIGINT;',
    ]) {
      const r = await roundTrip([store, plain]);
      expect(kinds(r), plain).not.toContain('dataNotRestored');
    }
  });

  it('an empty migration.sql (Prisma applies it) has an empty rollback', async () => {
    for (const empty of ['', '\n\n', '-- This is an empty migration.\n']) {
      const r = await generateRollback(
        [
          { name: '20240101000000_a', sql: base },
          { name: '20240102000000_empty', sql: empty },
        ],
        1,
      );
      expect(r.summary).toMatchObject({ statements: 0, irreversible: 0 });
      expect(r.historyProblems).toEqual([]);
    }
  });

  it('IF EXISTS on objects that did not exist has nothing to undo', async () => {
    const r = await roundTrip([
      base,
      `DROP TABLE IF EXISTS "Nope"; DROP INDEX IF EXISTS "nope_idx"; ALTER TABLE "User" DROP COLUMN IF EXISTS "nope";`,
    ]);
    expect(r.summary.noop).toBe(3);
  });
});

describe('identifiers round-trip', () => {
  it('mixed case, reserved words, spaces, quotes and schema-qualified names', async () => {
    const r = await roundTrip([
      `CREATE SCHEMA "My Schema";
CREATE TYPE "My Schema"."select" AS ENUM ('from', 'to');
CREATE TABLE "My Schema"."order" ("Id" SERIAL PRIMARY KEY, "user" TEXT, "group by" "My Schema"."select", "we""ird" INT);
CREATE TABLE "public"."Table" ("id" INT PRIMARY KEY, "orderId" INT);
CREATE TABLE "lower_case" ("id" INT);`,
      `ALTER TABLE "My Schema"."order" DROP COLUMN "group by", DROP COLUMN "we""ird", ADD COLUMN "Select" TEXT;
ALTER TABLE "public"."Table" ADD CONSTRAINT "Table_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "My Schema"."order"("Id");
ALTER TABLE "My Schema"."order" RENAME COLUMN "user" TO "User Name";
CREATE INDEX "Idx Name" ON "My Schema"."order"("User Name");
ALTER TABLE "Table" RENAME TO "table";
DROP TABLE lower_case;
ALTER TYPE "My Schema"."select" ADD VALUE 'where';`,
    ]);
    expect(r.sql).toContain('"My Schema"."order"');
  });
});

describe('the comparison can fail', () => {
  it('a rollback that misses a step leaves a difference the snapshot comparison reports', async () => {
    await withClient(async (c) => {
      await c.query(base);
      const before = await snapshotSchema((q) => c.query(q));
      const r = await generateRollback(
        [
          { name: '1', sql: base },
          {
            name: '2',
            sql: `ALTER TABLE "User" ADD COLUMN "bio" TEXT; CREATE INDEX "User_name_idx" ON "User"("name");`,
          },
        ],
        1,
      );
      await c.query(
        `ALTER TABLE "User" ADD COLUMN "bio" TEXT; CREATE INDEX "User_name_idx" ON "User"("name");`,
      );
      // drop the DROP INDEX line: the comparison must notice the index is still there
      await c.query(r.sql.replace(/^DROP INDEX.*$/m, ''));
      const diff = compareSnapshots(before, await snapshotSchema((q) => c.query(q)));
      expect(diff.join('\n')).toMatch(/User_name_idx/);
    });
  });
});
