/**
 * The schema, seed rows and row comparison shared by the tests of each way of destroying data
 * (test/integration/archive.test.ts: the archive; restore-ways.test.ts: restore --from a pg_dump).
 */
import { query } from './pg';

/** The first migration: an enum, a keyed table with every common column type, a child, a table without key. */
export const INIT = `CREATE TYPE "Role" AS ENUM ('ADMIN', 'USER', 'GUEST');
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "age" INTEGER,
    "score" NUMERIC(10,2),
    "role" "Role" NOT NULL DEFAULT 'USER',
    "tags" TEXT[],
    "meta" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT,
    "authorId" INTEGER NOT NULL,
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE TABLE "Log" ("line" TEXT, "at" TIMESTAMP(3));
`;

/**
 * The eight ways a migration destroys data (issue 12's acceptance), over INIT and SEED: the same
 * migrations for the archive's round trip (archive.test.ts) and for `restore --from` a backup
 * (restore-ways.test.ts).
 */
export const WAYS = {
  dropColumn: 'ALTER TABLE "User" DROP COLUMN "age",\nDROP COLUMN "meta";\n',
  dropTable:
    'ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";\nDROP TABLE "Post";\nDROP TABLE "Log";\n',
  usingType: 'ALTER TABLE "User" ALTER COLUMN "score" SET DATA TYPE INTEGER USING round("score")::integer;\n',
  update: `UPDATE "User" SET "name" = upper(coalesce("name", 'none')) WHERE "age" > 18;\n`,
  delete: `DELETE FROM "Post" WHERE "body" IS NULL OR "title" = 'p3';\n`,
  insert: `INSERT INTO "Post" (title, body, "authorId") VALUES ('new', 'n', 2), ('new2', NULL, 4);\n`,
  enumSwap: `-- AlterEnum
BEGIN;
CREATE TYPE "Role_new" AS ENUM ('ADMIN', 'USER');
ALTER TABLE "User" ALTER COLUMN "role" DROP DEFAULT;
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role_new" USING (CASE WHEN "role"::text = 'GUEST' THEN 'USER' ELSE "role"::text END::"Role_new");
ALTER TYPE "Role" RENAME TO "Role_old";
ALTER TYPE "Role_new" RENAME TO "Role";
DROP TYPE "Role_old";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';
COMMIT;
`,
  renameDrop:
    'ALTER TABLE "User" RENAME COLUMN "name" TO "fullName";\nALTER TABLE "User" DROP COLUMN "fullName";\n',
};

/** Rows of every table of INIT (NULLs, quotes, arrays, jsonb, duplicates in the table without key). */
export const SEED = `INSERT INTO "User" (email, name, age, score, role, tags, meta, "createdAt") VALUES
  ('a@x.io', 'Ann', 31, 10.50, 'ADMIN', '{a,b}', '{"k": 1}', '2024-01-01 10:00:00.123'),
  ('b@x.io', NULL, 17, NULL, 'GUEST', NULL, NULL, '2024-02-01 11:00:00'),
  ('c@x.io', 'Cé "quoted"', NULL, 3.14, 'GUEST', '{}', '[1, "x"]', '2024-03-01 12:00:00'),
  ('d@x.io', 'Dan', 44, 1234.56, 'USER', '{"with space"}', '{"nested": {"a": null}}', '2024-04-01 00:00:00');
INSERT INTO "Post" (title, body, "authorId") VALUES ('p1', 'body one', 1), ('p2', NULL, 1), ('p3', 'three', 3);
INSERT INTO "Log" VALUES ('l1', '2024-01-01'), ('l1', '2024-01-01'), (NULL, NULL);
`;

/**
 * Every table's rows of the schema `public` (but `_prisma_migrations`), per table: each row as
 * `to_jsonb(row)::text`, ordered by that text — the values' own text representations, by column
 * name (a column the rollback re-adds comes back last: its position is schema, not data).
 */
export async function snapshot(url: string): Promise<Record<string, string[]>> {
  const tables = await query<{ t: string }>(
    url,
    "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1",
  );
  const out: Record<string, string[]> = {};
  for (const { t } of tables)
    out[t] = (
      await query<{ r: string }>(
        url,
        `SELECT to_jsonb(x)::text AS r FROM "${t.replace(/"/g, '""')}" x ORDER BY 1`,
      )
    ).map((x) => x.r);
  return out;
}
