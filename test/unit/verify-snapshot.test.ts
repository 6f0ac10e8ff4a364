import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSnapshots, type SchemaSnapshot, snapshotSchema } from '../../src/core/verify/snapshot';

const BASE = `
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" (
  "id" SERIAL PRIMARY KEY,
  "name" VARCHAR(200) DEFAULT 'anonymous',
  "role" "Role" NOT NULL DEFAULT 'USER',
  "email" TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
COMMENT ON COLUMN "User"."name" IS 'display name';
CREATE TABLE "Post" (
  "id" INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "authorId" INTEGER NOT NULL,
  "title" TEXT NOT NULL,
  "search" TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', "title")) STORED,
  CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE
);
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
CREATE VIEW "PostTitles" AS SELECT "id", "title" FROM "Post";
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER "Post_touch" BEFORE UPDATE ON "Post" FOR EACH ROW EXECUTE FUNCTION touch();
CREATE SCHEMA "audit";
CREATE TABLE "audit"."Log" ("id" BIGSERIAL PRIMARY KEY, "at" TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE DOMAIN "positive" AS INTEGER CHECK (VALUE > 0);
CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY);
`;

describe('snapshotSchema / compareSnapshots on PGlite', () => {
  let db: PGlite;
  let base: SchemaSnapshot;
  const q = (sql: string) => db.query(sql);

  beforeAll(async () => {
    db = new PGlite();
    await db.exec(BASE);
    base = await snapshotSchema(q);
  });
  afterAll(async () => {
    await db.close();
  });

  /** Applies `change` in a transaction that is rolled back, returning the differences it caused. */
  async function diffAfter(change: string): Promise<string[]> {
    await db.exec('BEGIN');
    try {
      await db.exec(change);
      return compareSnapshots(base, await snapshotSchema(q));
    } finally {
      await db.exec('ROLLBACK');
    }
  }

  it('reads the objects of the schema, without _prisma_migrations or system schemas', () => {
    expect(Object.keys(base.tables)).toEqual(['"Post"', '"User"', '"audit"."Log"']);
    expect(base.schemas).toEqual(['audit', 'public']);
    expect(base.enums['"Role"']).toEqual(['USER', 'ADMIN']);
    expect(base.tables['"User"'].columns.name).toMatchObject({
      type: 'character varying(200)',
      default: "'anonymous'::character varying",
      notNull: false,
    });
    expect(base.tables['"User"'].columns.email.collation).toBe('pg_catalog.C');
    expect(base.tables['"Post"'].columns.id.identity).toBe('always');
    expect(base.tables['"Post"'].columns.search.generated).toContain('to_tsvector');
    expect(base.indexes['"Post_authorId_idx"'].definition).toContain('USING btree ("authorId")');
    expect(base.constraints['"Post"."Post_authorId_fkey"'].definition).toContain('ON DELETE CASCADE');
    expect(base.sequences['"User_id_seq"'].ownedBy).toBe('"User"."id"');
    expect(base.sequences['"audit"."Log_id_seq"'].type).toBe('bigint');
    expect(Object.keys(base.functions)).toEqual(['"touch"()']);
    expect(Object.keys(base.triggers)).toEqual(['"Post"."Post_touch"']);
    expect(base.views['"PostTitles"']).toContain('title');
    expect(base.domains['"positive"'].constraints[0]).toContain('VALUE > 0');
    expect(base.comments['column "User"."name"']).toBe('display name');
    expect(JSON.stringify(base)).not.toContain('_prisma_migrations');
  });

  it('is deterministic and equal for the same schema', async () => {
    const again = await snapshotSchema(q);
    expect(JSON.stringify(again)).toBe(JSON.stringify(base));
    expect(compareSnapshots(base, again)).toEqual([]);
  });

  it('reports each kind of difference by name, in plain words', async () => {
    expect(await diffAfter('ALTER TABLE "User" ALTER COLUMN "name" TYPE TEXT')).toEqual([
      'column "User"."name": type is text, was character varying(200)',
    ]);
    expect(await diffAfter('DROP INDEX "Post_authorId_idx"')).toEqual([
      'index "Post_authorId_idx" is missing',
    ]);
    expect(await diffAfter('ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT')).toEqual([
      `column "User"."role": default is none, was 'USER'::"Role"`,
    ]);
    expect(await diffAfter('ALTER TABLE "User" ALTER COLUMN "email" DROP NOT NULL')).toEqual([
      'column "User"."email": is nullable, was NOT NULL',
    ]);
    expect(await diffAfter(`ALTER TYPE "Role" ADD VALUE 'GUEST'`)).toEqual([
      `enum "Role": value 'GUEST' is extra`,
    ]);
    expect(
      await diffAfter(`ALTER TYPE "Role" RENAME TO "Role_old"; CREATE TYPE "Role" AS ENUM ('USER');
        ALTER TABLE "User" ALTER "role" DROP DEFAULT, ALTER "role" TYPE "Role" USING "role"::text::"Role", ALTER "role" SET DEFAULT 'USER';
        DROP TYPE "Role_old"`),
    ).toEqual([`enum "Role": value 'ADMIN' is missing`]);
    expect(
      await diffAfter(`ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey",
        ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL`),
    ).toEqual([
      'constraint "Post_authorId_fkey" on "Post": is FOREIGN KEY ("authorId") REFERENCES "User"(id) ON DELETE SET NULL, was FOREIGN KEY ("authorId") REFERENCES "User"(id) ON DELETE CASCADE',
    ]);
    expect(
      await diffAfter('CREATE TABLE "Leftover" ("id" INT PRIMARY KEY); CREATE INDEX "l" ON "Leftover"("id")'),
    ).toEqual(['table "Leftover" is extra']);
    expect(await diffAfter('DROP TABLE "audit"."Log"')).toEqual(['table "audit"."Log" is missing']);
    expect(await diffAfter('COMMENT ON COLUMN "User"."name" IS NULL')).toEqual([
      `comment on column "User"."name" is missing: 'display name'`,
    ]);
    expect(await diffAfter('DROP TRIGGER "Post_touch" ON "Post"')).toEqual([
      'trigger "Post_touch" on "Post" is missing',
    ]);
    expect(await diffAfter('DROP VIEW "PostTitles"')).toEqual(['view "PostTitles" is missing']);
    expect(
      await diffAfter(
        'CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW."title" = NEW."title"; RETURN NEW; END $$',
      ),
    ).toEqual([
      expect.stringMatching(/^function "touch"\(\): definition differs: is .*NEW\."title" = .*, was /),
    ]);
    expect(await diffAfter('ALTER TABLE "User" ADD COLUMN "x" INT')).toEqual(['column "User"."x" is extra']);
    expect(await diffAfter(`CREATE POLICY "own_posts" ON "Post" FOR SELECT USING ("authorId" = 1)`)).toEqual([
      'policy "own_posts" on "Post" is extra',
    ]);
    expect(
      await diffAfter('CREATE MATERIALIZED VIEW "PostCount" AS SELECT count(*) AS n FROM "Post"'),
    ).toEqual(['materialized view "PostCount" is extra']);
    expect(
      await diffAfter(`CREATE TABLE "Event" ("at" DATE NOT NULL) PARTITION BY RANGE ("at");
        CREATE TABLE "Event_2024" PARTITION OF "Event" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')`),
    ).toEqual(['table "Event" is extra', 'table "Event_2024" is extra']);
    expect(await diffAfter('ALTER SEQUENCE "User_id_seq" INCREMENT BY 2')).toEqual([
      'sequence "User_id_seq": increment is 2, was 1',
    ]);
    expect(await diffAfter(`ALTER DOMAIN "positive" SET DEFAULT 1`)).toEqual([
      'domain "positive": default is 1, was none',
    ]);
    expect(await diffAfter('ALTER TABLE "User" ALTER COLUMN "email" TYPE TEXT COLLATE "POSIX"')).toEqual([
      'column "User"."email": collation is pg_catalog.POSIX, was pg_catalog.C',
    ]);
    expect(await diffAfter('CREATE SCHEMA "extra"')).toEqual(['schema "extra" is extra']);
    expect(await diffAfter('ALTER TABLE "User" ENABLE ROW LEVEL SECURITY')).toEqual([
      'table "User": row level security is on, was off',
    ]);
  });

  it('ignores column order unless asked, and never compares OIDs', async () => {
    await db.exec('BEGIN');
    try {
      await db.exec(`ALTER TABLE "User" DROP COLUMN "name"; ALTER TABLE "User" ADD COLUMN "name" VARCHAR(200) DEFAULT 'anonymous';
        COMMENT ON COLUMN "User"."name" IS 'display name';
        DROP VIEW "PostTitles"; CREATE VIEW "PostTitles" AS SELECT "id", "title" FROM "Post";`);
      const after = await snapshotSchema(q);
      expect(compareSnapshots(base, after)).toEqual([]);
      expect(compareSnapshots(base, after, { columnOrder: true })).toEqual([
        'table "User": columns are in the order id, role, email, name, were id, name, role, email',
      ]);
    } finally {
      await db.exec('ROLLBACK');
    }
  });
});
