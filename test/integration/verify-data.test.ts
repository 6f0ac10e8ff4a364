/**
 * `verify --data`: in the embedded PostgreSQL (worker thread), seed every table before migration
 * N, apply N and its rollback, compare every row. A dropped column comes back empty (the values
 * are listed, exit 1); an added column round-trips (exit 0); capture/restore hooks plug an archive
 * in and make the drop round-trip.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeEmbeddedVerifier, verifyRollback } from '../../src/core/verify';
import { runCli } from '../support/cli';
import { tempProject } from '../support/project';

const migrations: Record<string, { sql: string; down?: string }> = {
  '20240101000000_init': {
    sql: `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "nickname" VARCHAR(30), "role" "Role" NOT NULL DEFAULT 'USER',
  "tags" TEXT[], "meta" JSONB, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE TABLE "Post" ("id" TEXT NOT NULL, "authorId" INTEGER NOT NULL, "title" TEXT NOT NULL, "score" INTEGER NOT NULL CHECK ("score" > 0),
  CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`,
  },
  '20240102000000_drop_nickname': {
    sql: `ALTER TABLE "User" DROP COLUMN "nickname";\n`,
    down: `ALTER TABLE "User" ADD COLUMN "nickname" VARCHAR(30);\n`,
  },
  '20240103000000_add_bio': {
    sql: `ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n`,
    down: `ALTER TABLE "User" DROP COLUMN "bio";\n`,
  },
  '20240104000000_drop_meta_two_tx': {
    sql: `BEGIN;\nALTER TABLE "User" DROP COLUMN "meta";\nCOMMIT;\nBEGIN;\nCREATE INDEX "User_role_idx" ON "User"("role");\nCOMMIT;\n`,
    down: `DROP INDEX "User_role_idx";\nALTER TABLE "User" ADD COLUMN "meta" JSONB;\n`,
  },
  '20240105000000_upper_title': {
    sql: `UPDATE "Post" SET "title" = upper("title") || '!';\n`,
    down: `-- the UPDATE cannot be inverted in SQL: the archive puts the titles back\nSELECT 1;\n`,
  },
  '20240106000000_delete_posts': {
    sql: `DELETE FROM "Post" WHERE "score" > 1;\n`,
    down: `SELECT 1;\n`,
  },
  '20240107000000_required_slug': {
    sql: `ALTER TABLE "Post" ADD COLUMN "slug" TEXT NOT NULL;\n`,
    down: `ALTER TABLE "Post" DROP COLUMN "slug";\n`,
  },
};

let root: string;
const env = () => ({ PRISMA_ROLLBACK_CACHE_DIR: process.env.PRISMA_ROLLBACK_CACHE_DIR ?? '' });

beforeAll(async () => {
  root = (await tempProject({ prefix: 'pr-verify-data-', migrations })).root;
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(root, { recursive: true, force: true });
});

const M = ['--migrations', 'prisma/migrations'];

describe('prisma-rollback verify --data', () => {
  it('with --no-archive, lists the values a rollback of a dropped column does not bring back (exit 1)', async () => {
    const r = await runCli(
      ['verify', '20240102000000_drop_nickname', '--data', '--no-archive', ...M],
      root,
      env(),
    );
    expect(r.err).not.toMatch(/at \w+ \(/);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe(
      '✗ data does not round-trip through 20240102000000_drop_nickname and prisma/migrations/20240102000000_drop_nickname/down.sql: 3 differences over 8 rows in 2 tables (no archive: these are the values the rollback does not bring back).',
    );
    // rows 1..3 had a nickname (the 4th is the NULL row); each lost value is named
    expect(lines.slice(1)).toHaveLength(3);
    for (const [i, line] of lines.slice(1).entries())
      expect(line).toMatch(
        new RegExp(`^  "User": row id=${i + 1}: "nickname" '${i + 1}-nickname-[0-9a-f]{6}' → NULL$`),
      );
    expect(r.code).toBe(1);
  }, 120_000);

  it('says the data round-trips exactly through an added column (exit 0), and --json carries the proof', async () => {
    const r = await runCli(['verify', '20240103000000_add_bio', '--data', ...M], root, env());
    expect(r.out).toMatch(
      /^✓ data round-trips exactly: 8 rows in 2 tables read the same before 20240103000000_add_bio and after it and prisma\/migrations\/20240103000000_add_bio\/down.sql \(in the embedded PostgreSQL · /,
    );
    expect(r.code).toBe(0);
    const j = await runCli(['verify', '20240103000000_add_bio', '--data', '--json', ...M], root, env());
    expect(j.json()).toMatchObject({
      kind: 'verified',
      data: { tables: 2, rows: 8, notSeeded: [], archive: false },
    });
  }, 120_000);

  it('runs a migration that cannot run in a transaction outside one, on a state restored afterwards', async () => {
    const r = await runCli(
      ['verify', '20240104000000_drop_meta_two_tx', '--data', '--no-archive', '--json', ...M],
      root,
      env(),
    );
    const j = r.json();
    expect(j.reason).toBeUndefined();
    expect(j.kind).toBe('differences');
    expect(j.differences).toHaveLength(3);
    // long values are shortened to 60 characters
    expect(j.differences[0]).toMatch(
      /^"User": row id=1: "meta" '\{"row": 1, "list": \[0, "x"\], .{20,30}…' → NULL$/,
    );
    expect(r.code).toBe(1);
    // the replayed state was restored: the next proof starts from it, unseeded
    const again = await runCli(
      ['verify', '20240103000000_add_bio', '--data', '--no-cache', ...M],
      root,
      env(),
    );
    expect(again.out).toMatch(/^✓ data round-trips exactly: 8 rows in 2 tables/);
  }, 120_000);

  it('with the archive (deploy capture, apply-down restore), a dropped column round-trips (exit 0)', async () => {
    const r = await runCli(['verify', '20240102000000_drop_nickname', '--data', '--json', ...M], root, env());
    expect(r.json()).toMatchObject({
      kind: 'verified',
      data: { tables: 2, rows: 8, notSeeded: [], archive: true },
    });
    expect(r.code).toBe(0);
    const t = await runCli(['verify', '20240102000000_drop_nickname', '--data', ...M], root, env());
    expect(t.out).toMatch(
      /^✓ data round-trips exactly: 8 rows in 2 tables read the same before 20240102000000_drop_nickname and after it and prisma\/migrations\/20240102000000_drop_nickname\/down.sql with the archive \(in the embedded PostgreSQL · /,
    );
  }, 120_000);

  it('with the archive, a migration run in two transactions (outside the fast path) round-trips too', async () => {
    const r = await runCli(
      ['verify', '20240104000000_drop_meta_two_tx', '--data', '--json', '--no-cache', ...M],
      root,
      env(),
    );
    expect(r.json()).toMatchObject({ kind: 'verified', data: { archive: true } });
    expect(r.code).toBe(0);
  }, 120_000);

  it('with the archive, an UPDATE transform round-trips; without it, each changed title is listed', async () => {
    const r = await runCli(['verify', '20240105000000_upper_title', '--data', '--json', ...M], root, env());
    expect(r.json()).toMatchObject({ kind: 'verified', data: { tables: 2, archive: true } });
    expect(r.code).toBe(0);
    const n = await runCli(
      ['verify', '20240105000000_upper_title', '--data', '--no-archive', '--json', ...M],
      root,
      env(),
    );
    const j = n.json();
    expect(j.kind).toBe('differences');
    expect(j.data.archive).toBe(false);
    expect(j.differences.length).toBeGreaterThan(0);
    for (const d of j.differences) expect(d).toMatch(/^"Post": row id=\S+: "title" '(.*)' → '\1!'$/i);
    expect(n.code).toBe(1);
  }, 120_000);

  it('with the archive, a DELETE round-trips (the deleted rows come back); without it they are missing', async () => {
    const r = await runCli(['verify', '20240106000000_delete_posts', '--data', '--json', ...M], root, env());
    expect(r.json()).toMatchObject({ kind: 'verified', data: { archive: true } });
    expect(r.code).toBe(0);
    const n = await runCli(
      ['verify', '20240106000000_delete_posts', '--data', '--no-archive', '--json', ...M],
      root,
      env(),
    );
    expect(n.json().kind).toBe('differences');
    expect(n.json().differences.join('\n')).toMatch(/"Post": row .* is missing/);
    expect(n.code).toBe(1);
  }, 120_000);

  it('a migration that fails on the seeded rows: could not check (exit 2), said as what it is — not a gap of the embedded PostgreSQL', async () => {
    const r = await runCli(['verify', '20240107000000_required_slug', '--data', ...M], root, env());
    expect(r.code).toBe(2);
    const first = r.out.trim().split('\n')[0];
    expect(first).toMatch(
      /^\? could not check the data round trip of 20240107000000_required_slug: Migration 20240107000000_required_slug failed to apply in the embedded PostgreSQL: .*migration\.sql:1:\d+: column "slug" of relation "Post" contains null values \(23502\)\. /,
    );
    expect(first).toMatch(
      /\. It fails on the seeded rows: it fails the same way on a database whose tables hold rows, so there is no round trip to check\.$/,
    );
    expect(first).not.toContain('shadowDatabaseUrl');
  }, 120_000);

  it('refuses --no-archive without --data in one line (exit 2)', async () => {
    const r = await runCli(['verify', '20240103000000_add_bio', '--no-archive', ...M], root, env());
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')[0]).toBe(
      '--no-archive goes with --data (the data proof without the archive).',
    );
  });

  it('refuses --data with --all in one line (exit 2)', async () => {
    const r = await runCli(['verify', '--all', '--data', ...M], root, env());
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^--data proves one migration at a time/m);
  });
});

describe('verifyRollback({ data }) hooks', () => {
  it('capture before N and restore after the rollback make a dropped column round-trip', async () => {
    const list = Object.entries(migrations).map(([name, m]) => ({ name, sql: m.sql }));
    const seen: string[] = [];
    const r = await verifyRollback({
      migrations: list,
      index: 1,
      rollbackSql: migrations['20240102000000_drop_nickname'].down!,
      noCache: true,
      engine: 'embedded',
      data: {
        capture: (m) => {
          seen.push(`capture ${m.name}`);
          return ['CREATE TABLE "_kept" AS SELECT "id", "nickname" FROM "User"'];
        },
        restore: (m) => {
          seen.push(`restore ${m.name}`);
          return [
            'UPDATE "User" u SET "nickname" = k."nickname" FROM "_kept" k WHERE k."id" = u."id"; DROP TABLE "_kept";',
          ];
        },
      },
    });
    expect(seen).toEqual(['capture 20240102000000_drop_nickname', 'restore 20240102000000_drop_nickname']);
    expect(r).toMatchObject({ kind: 'verified', data: { tables: 2, rows: 8, archive: true } });
  }, 120_000);

  it('a restore that fails is a difference, not a round trip', async () => {
    const list = Object.entries(migrations).map(([name, m]) => ({ name, sql: m.sql }));
    const r = await verifyRollback({
      migrations: list,
      index: 1,
      rollbackSql: migrations['20240102000000_drop_nickname'].down!,
      noCache: true,
      engine: 'embedded',
      data: { restore: () => ['UPDATE "Nowhere" SET x = 1'] },
    });
    expect(r.kind).toBe('differences');
    if (r.kind === 'differences')
      expect(r.differences).toEqual([
        `The archive's restore SQL failed after down.sql: relation "Nowhere" does not exist`,
      ]);
  }, 120_000);
});
