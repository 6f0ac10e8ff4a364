/**
 * Issue 10, kind 6 — wrong or lossy messages. The CLI on a real PostgreSQL 15, with Prisma's real
 * engine: each message must name what happened (failed migration, PostgreSQL's own error) and the
 * next step. The `../shared/cases` folders named in the issue are replayed when present; the same
 * shapes are also built inline so the test stands without them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const CASES = path.resolve(__dirname, '..', '..', '..', 'shared', 'cases');

/** Copies a shared case's migrations into `mig` (never into the project). False when absent. */
async function fromCase(name: string, mig: TempProject): Promise<boolean> {
  const src = path.join(CASES, name, 'migrations');
  const names = await fs.readdir(src).catch(() => null);
  if (!names) return false;
  for (const n of names.sort()) {
    const sql = await fs.readFile(path.join(src, n, 'migration.sql'), 'utf8').catch(() => null);
    if (sql !== null) await mig.add(n, sql);
  }
  return true;
}

describe('messages that name what happened', () => {
  let db: TestDatabase;
  let mig: TempProject;

  beforeEach(async () => {
    db = await createTestDatabase('msg');
    mig = await tempProject({ schema: SCHEMA_WITH_URL_ENV, dotenv: { DATABASE_URL: db.url } });
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  const shapes: {
    name: string;
    build: () => Promise<void>;
    failing: string;
    code: string;
    says: RegExp[];
  }[] = [
    {
      name: 'case deploy-failure-log-keeps-db-error: unique index over duplicated data',
      build: async () => {
        if (await fromCase('deploy-failure-log-keeps-db-error', mig)) return;
        await mig.add(
          '20250701000000_create_author',
          'CREATE TABLE "author" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL);\n' +
            "INSERT INTO \"author\" VALUES (1, 'paul'), (2, 'paul'), (3, 'rita');\n",
        );
        await mig.add(
          '20250702000000_unique_name_with_post',
          'CREATE TABLE "post" ("id" INTEGER PRIMARY KEY);\n\n' +
            'ALTER TABLE "author" ADD COLUMN "email" TEXT;\n\n' +
            'CREATE UNIQUE INDEX "author_name_key" ON "author"("name");\n',
        );
      },
      failing: '20250702000000_unique_name_with_post',
      code: '23505',
      says: [/could not create unique index/, /\(name\)=\(paul\)/],
    },
    {
      name: 'a column added NOT NULL without a default to a table with rows',
      build: async () => {
        await mig.add(
          '20250801000000_t',
          'CREATE TABLE "t" ("id" INTEGER PRIMARY KEY);\nINSERT INTO "t" VALUES (1);\n',
        );
        await mig.add(
          '20250802000000_add_col',
          '-- AlterTable\nALTER TABLE "t" ADD COLUMN "c" TEXT NOT NULL;\n',
        );
      },
      failing: '20250802000000_add_col',
      code: '23502',
      says: [/column "c" of relation "t" contains null values/],
    },
    {
      name: 'a statement on a table that does not exist',
      build: async () => {
        await mig.add('20250901000000_a', 'CREATE TABLE "a" ("id" INTEGER);\n');
        await mig.add(
          '20250902000000_b',
          'CREATE TABLE "b" ("id" INTEGER);\nALTER TABLE "nope" ADD COLUMN "x" INT;\n',
        );
      },
      failing: '20250902000000_b',
      code: '42P01',
      says: [/relation "nope" does not exist/],
    },
  ];

  for (const shape of shapes) {
    it(`deploy failure keeps SQLSTATE, message and detail, names the migration, its line and the next step — ${shape.name}`, async () => {
      await shape.build();
      const r = await runCli(['deploy', '--env', 'local'], mig.root);
      expect(r.code).not.toBe(0);
      const said = r.out + r.err;
      expect(said).toContain(shape.failing);
      expect(said).toContain(`SQLSTATE ${shape.code}`);
      for (const re of shape.says) expect(said).toMatch(re);
      expect(said).toMatch(new RegExp(`${shape.failing}/migration\\.sql:\\d+:\\d+`));
      expect(said).toMatch(/resolve --rolled-back/);
      expect(said).not.toMatch(/^\s+at /m);
      // The migrations before it were applied and stay applied: the output says which.
      const before = (await fs.readdir(mig.dir)).filter((n) => /^\d/.test(n) && n < shape.failing).sort();
      expect(before.length).toBeGreaterThan(0);
      for (const n of before) expect(r.out).toContain(`  applied ${n}`);
      expect(r.out).toContain(`${before.length} migration(s) applied before ${shape.failing} failed.`);
      // The log Prisma stored keeps PostgreSQL's own error too, and nothing of the migration stays applied.
      const rows = await query(
        db.url,
        `SELECT logs, finished_at FROM _prisma_migrations WHERE migration_name = '${shape.failing}'`,
      );
      expect(rows[0].finished_at).toBeNull();
      expect(String(rows[0].logs)).toContain(`Database error code: ${shape.code}`);
      for (const re of shape.says) expect(String(rows[0].logs)).toMatch(re);

      const status = await runCli(['status', '--json'], mig.root);
      expect(status.code).toBe(1);
      expect(status.json().diagnosis).toMatchObject({ kind: 'failedMigrations', failed: [shape.failing] });
    });
  }

  it('a pending migration PostgreSQL cannot parse: deploy and restore name file:line:column in one line; deploy applies nothing', async () => {
    await mig.add('20251001000000_a', 'CREATE TABLE "a" ("id" INTEGER PRIMARY KEY, "name" TEXT);\n');
    await mig.add(
      '20251002000000_bad',
      '-- comment\nALTER TABLE "a" DROP COLUMN "name";\nCREATE INDEX ON "a" ("id" ;\n',
    );
    const r = await runCli(['deploy', '--env', 'local'], mig.root);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      `${path.join(mig.dir, '20251002000000_bad', 'migration.sql')}:3:27: syntax error at or near ";". Nothing was applied: deploy reads every pending migration to plan its archive before it applies any. Fix the migration (or deploy with --no-archive: Prisma's engine then applies the migrations before it and records this one as failed).`,
    ]);
    expect(await query(db.url, `SELECT to_regclass('_prisma_migrations') IS NULL AS none`)).toEqual([
      { none: true },
    ]);

    const dump = path.join(mig.root, 'empty.sql');
    await fs.writeFile(dump, '-- PostgreSQL database dump\n');
    const restore = await runCli(
      ['restore', '--env', 'local', '--migration', '20251002000000_bad', '--from', dump],
      mig.root,
    );
    expect(restore.code).toBe(2);
    expect(restore.err.trim().split('\n')).toEqual([
      `${path.join(mig.dir, '20251002000000_bad', 'migration.sql')}:3:27: syntax error at or near ";"`,
    ]);
  });

  it('case status-failed-migration-summary: the summary names the failed migration, never "up to date"', async () => {
    if (!(await fromCase('status-failed-migration-summary', mig))) {
      await mig.add(
        '20240401090000_create_member',
        'CREATE TABLE "member" ("id" SERIAL PRIMARY KEY, "handle" TEXT);\n' +
          'INSERT INTO "member" ("handle") VALUES (\'sam\'), (\'sam\');\n',
      );
      await mig.add(
        '20240402090000_unique_handle',
        'CREATE UNIQUE INDEX "member_handle_key" ON "member"("handle");\n',
      );
    }
    expect((await runCli(['deploy', '--env', 'local'], mig.root)).code).not.toBe(0);
    const text = await runCli(['status', '--env', 'local'], mig.root);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/failed\s+20240402090000_unique_handle/);
    expect(text.out).not.toMatch(/up to date/i);
    expect(text.out).toContain('1 migration failed: 20240402090000_unique_handle');
    const json = await runCli(['status', '--env', 'local', '--json'], mig.root);
    expect(json.code).toBe(1);
    expect(json.json().diagnosis.kind).toBe('failedMigrations');
    expect(json.json().diagnosis.message).not.toMatch(/up to date/i);
  });

  it('case rollback-as-forward-migration: verify does not list the rollback migration as a dependent; deploy applies it; status is clean', async () => {
    const second = '20250502000000_add_profile_bio';
    if (!(await fromCase('rollback-as-forward-migration', mig))) {
      await mig.add(
        '20250501000000_create_profile',
        'CREATE TABLE "profile" ("id" TEXT PRIMARY KEY, "email" TEXT NOT NULL);\n',
      );
      await mig.add(
        second,
        'ALTER TABLE "profile" ADD COLUMN "bio" TEXT;\nCREATE INDEX "profile_bio_idx" ON "profile"("bio");\n',
      );
    }
    const names = (await fs.readdir(mig.dir)).filter((n) => /^\d/.test(n)).sort();
    const target = names[1];
    expect((await runCli(['deploy', '--env', 'local'], mig.root)).code).toBe(0);
    const down = await runCli(['down', target, '--as-migration'], mig.root);
    expect(down.code).toBe(0);
    const rollbackName = (await fs.readdir(mig.dir)).find((n) => n.includes('_rollback_'));
    expect(rollbackName).toMatch(/^\d{14}_rollback_/);
    const verify = await runCli(['verify', target, '--json'], mig.root);
    expect(verify.code).toBe(0);
    expect(verify.json().kind).toBe('verified');
    expect(verify.json().rollback).toContain(rollbackName);
    expect(verify.json().dependents).toEqual([]);
    const text = await runCli(['verify', target], mig.root);
    expect(text.out).not.toContain('later migration');
    expect((await runCli(['deploy', '--env', 'local'], mig.root)).out).toContain(`applied ${rollbackName}`);
    const status = await runCli(['status', '--env', 'local', '--json'], mig.root);
    expect(status.code).toBe(0);
    expect(status.json().diagnosis.kind).toBe('upToDate');
  });

  it('case column-type-using-down: the rollback restores the type, and verify says the values are not restored', async () => {
    if (!(await fromCase('column-type-using-down', mig))) {
      await mig.add(
        '20250601000000_create_store',
        'CREATE TABLE "store" ("id" TEXT PRIMARY KEY, "platform_fee" DECIMAL(65,30) NOT NULL DEFAULT 0.05);\n',
      );
      await mig.add(
        '20250602000000_fee_in_basis_points',
        'ALTER TABLE "store" ALTER COLUMN "platform_fee" DROP DEFAULT, ALTER COLUMN "platform_fee" SET DATA TYPE INTEGER USING (ROUND("platform_fee" * 100)::INTEGER), ALTER COLUMN "platform_fee" SET DEFAULT 5;\n',
      );
    }
    const second = (await fs.readdir(mig.dir)).filter((n) => /^\d/.test(n)).sort()[1];
    const down = await runCli(['down', second], mig.root);
    expect(down.code).toBe(0);
    const sql = await fs.readFile(path.join(mig.dir, second, 'down.sql'), 'utf8');
    expect(sql).toMatch(
      /WARNING \(dataNotRestored\): the migration rewrote the values of "platform_fee" \(USING /,
    );
    const verify = await runCli(['verify', second], mig.root);
    expect(verify.code).toBe(0);
    expect(verify.out).toMatch(/^✓ /);
    expect(verify.out).toMatch(/ {2}schema only: .*down\.sql:\d+: .*rewrote the values of "platform_fee"/);
  });
});
