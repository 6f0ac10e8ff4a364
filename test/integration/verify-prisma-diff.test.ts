/**
 * The second oracle: Prisma's own engine (`migrate diff --from-migrations --to-migrations`) on
 * PGlite shadow databases agrees with the catalog comparison — empty for a correct rollback,
 * the missing change for a wrong one.
 */
import { describe, expect, it } from 'vitest';
import type { VerifyMigration } from '../../src/core/verify';
import { verifyRollback } from '../../src/core/verify';
import { prismaDiffRollback, secondOpinion } from '../../src/core/verify/prisma-diff';

const migrations: VerifyMigration[] = [
  {
    name: '20240101000000_init',
    sql: `CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" CITEXT NOT NULL, "name" VARCHAR(200), "role" "Role" NOT NULL DEFAULT 'USER', CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" TEXT NOT NULL, "authorId" INTEGER NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
CREATE INDEX "Post_title_idx" ON "Post"("title");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`,
  },
  {
    name: '20240102000000_changes',
    sql: `DROP INDEX "Post_title_idx";
ALTER TABLE "User" ALTER COLUMN "name" SET DATA TYPE TEXT;
CREATE TABLE "Profile" ("id" SERIAL NOT NULL, "userId" INTEGER NOT NULL, CONSTRAINT "Profile_pkey" PRIMARY KEY ("id"));
ALTER TABLE "Profile" ADD CONSTRAINT "Profile_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`,
  },
];

const DOWN = `DROP TABLE "Profile";
ALTER TABLE "User" ALTER COLUMN "name" SET DATA TYPE VARCHAR(200);
CREATE INDEX "Post_title_idx" ON "Post"("title");
`;

describe("Prisma's engine diff as a second oracle (PGlite shadow databases)", () => {
  it('is empty for a rollback the catalog comparison verifies', async () => {
    expect((await verifyRollback({ migrations, index: 1, rollbackSql: DOWN, noCache: true })).kind).toBe(
      'verified',
    );
    const diff = await prismaDiffRollback({ migrations, index: 1, rollbackSql: DOWN });
    expect(diff.empty).toBe(true);
  });

  it('names what a wrong rollback misses, as the catalog comparison does', async () => {
    const wrong = DOWN.replace('CREATE INDEX "Post_title_idx" ON "Post"("title");\n', '').replace(
      'VARCHAR(200)',
      'TEXT',
    );
    const ours = await verifyRollback({ migrations, index: 1, rollbackSql: wrong, noCache: true });
    expect(ours.kind === 'differences' && ours.differences).toEqual([
      'column "User"."name": type is text, was character varying(200)',
      'index "Post_title_idx" is missing',
    ]);
    const diff = await prismaDiffRollback({ migrations, index: 1, rollbackSql: wrong });
    expect(diff.empty).toBe(false);
    expect(diff.script).toContain('CREATE INDEX "Post_title_idx"');
    expect(diff.script).toContain('SET DATA TYPE VARCHAR(200)');
  });

  it('secondOpinion asks after a cached verdict too; agreement keeps it', async () => {
    await verifyRollback({ migrations, index: 1, rollbackSql: DOWN });
    const cached = await verifyRollback({ migrations, index: 1, rollbackSql: DOWN });
    expect(cached).toMatchObject({ kind: 'verified', cached: true });
    const agrees = await secondOpinion(cached, { migrations, index: 1, rollbackSql: DOWN });
    expect(agrees.outcome).toBe('agrees');
    expect(agrees.result).toBe(cached);
  });

  it("secondOpinion: a disagreement adds Prisma's line to the differences", async () => {
    const wrong = DOWN.replace('CREATE INDEX "Post_title_idx" ON "Post"("title");\n', '');
    const ours = await verifyRollback({ migrations, index: 1, rollbackSql: wrong, noCache: true });
    const disagrees = await secondOpinion(ours, { migrations, index: 1, rollbackSql: wrong });
    expect(disagrees.outcome).toBe('disagrees');
    expect(disagrees.result.kind === 'differences' && disagrees.result.differences).toEqual([
      'index "Post_title_idx" is missing',
      expect.stringMatching(
        /^Prisma's migrate diff still sees a difference: it would run CREATE INDEX "Post_title_idx"/,
      ),
    ]);
  });
});
