/**
 * `verify --data --no-archive`: "(no archive: …)" is said only of differences that are values an
 * archive would have kept (rows missing, extra or changed). A rollback that fails loses no value
 * (it changes nothing), and a column the rollback leaves behind is the schema's difference: neither
 * gets the words. Real embedded PostgreSQL (worker thread), real CLI.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { compareRowsDetailed } from '../../src/core/verify/rows';
import { runCli } from '../support/cli';
import { tempProject } from '../support/project';

const migrations: Record<string, { sql: string; down?: string }> = {
  '20240101000000_init': {
    sql: `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "nickname" VARCHAR(30),
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
`,
  },
  '20240102000000_bad_down': {
    sql: `ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n`,
    down: `ALTER TABLE "User" DROP COLUMN "nope";\n`,
  },
  '20240103000000_leaves_column': {
    sql: `ALTER TABLE "User" ADD COLUMN "flag" BOOLEAN NOT NULL DEFAULT true;\n`,
    down: `SELECT 1;\n`,
  },
  '20240104000000_mixed': {
    sql: `ALTER TABLE "User" DROP COLUMN "nickname";\nALTER TABLE "User" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;\n`,
    down: `ALTER TABLE "User" ADD COLUMN "nickname" VARCHAR(30);\n`,
  },
};

let root: string;
const env = () => ({ PRISMA_ROLLBACK_CACHE_DIR: process.env.PRISMA_ROLLBACK_CACHE_DIR ?? '' });
const M = ['--migrations', 'prisma/migrations', '--no-archive'];

beforeAll(async () => {
  root = (await tempProject({ prefix: 'pr-verify-data-suffix-', migrations })).root;
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(root, { recursive: true, force: true });
});

describe('verify --data: the "no archive" words', () => {
  it('a rollback that fails: one difference, the failure, no "no archive" words (exit 1)', async () => {
    const r = await runCli(['verify', '20240102000000_bad_down', '--data', ...M], root, env());
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe(
      '✗ data does not round-trip through 20240102000000_bad_down and prisma/migrations/20240102000000_bad_down/down.sql: 1 difference over 4 rows in 1 table.',
    );
    expect(lines[1]).toMatch(
      /^ {2}down\.sql failed to apply: .*column "nope" of relation "User" does not exist/,
    );
    expect(r.code).toBe(1);
    const j = await runCli(['verify', '20240102000000_bad_down', '--data', '--json', ...M], root, env());
    expect(j.json().data.valueDifferences ?? 0).toBe(0);
  }, 120_000);

  it('a column the rollback leaves behind is a difference of the schema: no "no archive" words', async () => {
    const r = await runCli(['verify', '20240103000000_leaves_column', '--data', ...M], root, env());
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^✗ data does not round-trip .*: \d+ differences? over 4 rows in 1 table\.$/);
    expect(lines).toContain('  "User": column "flag" is new and holds values');
    expect(r.code).toBe(1);
  }, 120_000);

  it('values lost beside a schema difference: says how many of the differences are values', async () => {
    const r = await runCli(['verify', '20240104000000_mixed', '--data', ...M], root, env());
    const lines = r.out.trim().split('\n');
    const lost = lines.filter((l) => /^ {2}"User": row id=\d+: "nickname" '.*' → NULL$/.test(l));
    expect(lost.length).toBe(3);
    expect(lines).toContain('  "User": column "active" is new and holds values');
    expect(lines[0]).toBe(
      `✗ data does not round-trip through 20240104000000_mixed and prisma/migrations/20240104000000_mixed/down.sql: ${lines.length - 1} differences over 4 rows in 1 table (no archive: 3 of them are values the rollback does not bring back).`,
    );
    expect(r.code).toBe(1);
  }, 120_000);
});

describe('compareRowsDetailed', () => {
  const table = (columns: string[], rows: Record<string, string | null>[]) => ({
    columns,
    key: ['id'],
    rows,
  });
  it('counts the lines that are values, the "… and N more" line of values included; a column gone is not one', () => {
    const ids = Array.from({ length: 12 }, (_, i) => String(i + 1));
    const before = {
      '"A"': table(
        ['id', 'v'],
        ids.map((id) => ({ id, v: 'x' })),
      ),
      '"B"': table(['id', 'v', 'w'], [{ id: '1', v: 'a', w: 'k' }]),
    };
    const after = {
      '"A"': table(
        ['id', 'v'],
        ids.map((id) => ({ id, v: 'y' })),
      ),
      '"B"': table(['id', 'v'], [{ id: '1', v: 'b' }]),
    };
    const r = compareRowsDetailed(before, after);
    expect(r.lines).toEqual([
      ...ids.slice(0, 10).map((id) => `"A": row id=${id}: "v" 'x' → 'y'`),
      '"A": … and 2 more',
      '"B": column "w" is gone (it held values in 1 of 1 rows)',
      `"B": row id=1: "v" 'a' → 'b'`,
    ]);
    expect(r.values).toBe(12);
  });
});
