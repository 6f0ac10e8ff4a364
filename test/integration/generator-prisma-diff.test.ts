/**
 * The `prismaDiff` generator strategy: Prisma's own migrate diff (migrations 1..N → 1..N-1, PGlite
 * as the shadow database) writes down.sql; applied on a real PostgreSQL it restores the schema of
 * the Prisma-modelled objects, and its header says what it cannot see.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDownSqlHandEdited, isDownSqlStale } from '../../src/core/generator';
import { compareSnapshots, snapshotSchema } from '../../src/core/verify/snapshot';
import { runCliLines } from '../support/cli';
import { createTestDatabase } from '../support/pg';
import { tempProject } from '../support/project';

const migrations: Record<string, string> = {
  '20240101000000_init': `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`,
  '20240102000000_posts': `CREATE TYPE "Status" AS ENUM ('DRAFT', 'PUBLISHED');
CREATE TABLE "Post" ("id" SERIAL NOT NULL, "title" VARCHAR(200) NOT NULL, "status" "Status" NOT NULL DEFAULT 'DRAFT', "authorId" INTEGER NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "User" ADD COLUMN "name" TEXT;
`,
};

let root: string;
const dirOf = (name: string) => path.join(root, 'prisma', 'migrations', name);

async function run(...argv: string[]) {
  return runCliLines(argv, root);
}

beforeAll(async () => {
  root = (await tempProject({ prefix: 'pr-prismadiff-', migrations })).root;
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('down --strategy prismaDiff', () => {
  it("writes Prisma's diff as down.sql, and it restores the schema on PostgreSQL", async () => {
    const target = '20240102000000_posts';
    const r = await run('down', target, '--migrations', 'prisma/migrations', '--strategy', 'prismaDiff');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const down = await fs.readFile(path.join(dirOf(target), 'down.sql'), 'utf8');
    expect(down).toMatch(/^-- Generator: prisma-rollback .* \(prismaDiff\)$/m);
    expect(down).toMatch(/not custom SQL/);
    expect(down).toMatch(/DROP TABLE ("public"\.)?"Post"/);
    expect(down).toMatch(/DROP TYPE ("public"\.)?"Status"/);
    expect(down).toMatch(/DROP COLUMN "name"/);
    expect(isDownSqlStale(down, migrations[target])).toBe(false);
    expect(isDownSqlHandEdited(down)).toBe(false);

    const db = await createTestDatabase('prismadiff');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(migrations['20240101000000_init']);
      const before = await snapshotSchema((q) => c.query(q));
      await c.query(migrations[target]);
      expect(compareSnapshots(before, await snapshotSchema((q) => c.query(q)))).not.toEqual([]);
      await c.query(down);
      expect(compareSnapshots(before, await snapshotSchema((q) => c.query(q)))).toEqual([]);
    } finally {
      await c.end();
      await db.drop();
    }
  });

  it('an unknown strategy is a usage error (exit 2)', async () => {
    const r = await run(
      'down',
      '20240101000000_init',
      '--migrations',
      'prisma/migrations',
      '--stdout',
      '--strategy',
      'magic',
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--strategy must be one of statements, prismaDiff/);
  });
});
