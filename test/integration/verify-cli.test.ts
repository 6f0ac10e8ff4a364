/** `prisma-rollback verify`: exit 0 verified, 1 differences, 2 could not verify; text and JSON output. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliLines } from '../support/cli';
import { adminUrl } from '../support/pg';
import { tempProject } from '../support/project';

let root: string;
const migrations: Record<string, { sql: string; down?: string }> = {
  '20240101000000_init': {
    sql: `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n`,
  },
  '20240102000000_add_name': {
    sql: `ALTER TABLE "User" ADD COLUMN "name" VARCHAR(100);\nCREATE INDEX "User_name_idx" ON "User"("name");\n`,
    down: `DROP INDEX "User_name_idx";\nALTER TABLE "User" DROP COLUMN "name";\n`,
  },
  '20240103000000_drop_email_key': {
    sql: `DROP INDEX "User_email_key";\n`,
    down: `-- forgot to re-create the unique index\nSELECT 1;\n`,
  },
  '20240107000000_links': {
    sql: `CREATE EXTENSION IF NOT EXISTS dblink;\nCREATE TABLE "Link" ("id" INT);\n`,
    down: `DROP TABLE "Link";\nDROP EXTENSION dblink;\n`,
  },
  '20240104000000_rename_name': {
    sql: `ALTER TABLE "User" RENAME COLUMN "name" TO "full_name";\n`,
    down: `ALTER TABLE "User" RENAME COLUMN "full_name" TO "name";\n`,
  },
  '20240105000000_no_down': { sql: `ALTER TABLE "User" ADD COLUMN "age" INT;\n` },
  '20240106000000_rollback_no_down': { sql: `ALTER TABLE "User" DROP COLUMN "age";\n` },
};

async function run(
  env: NodeJS.ProcessEnv,
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  return runCliLines(argv, root, env);
}

beforeAll(async () => {
  root = (await tempProject({ prefix: 'pr-verify-', migrations })).root;
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('prisma-rollback verify', () => {
  const M = ['--migrations', 'prisma/migrations'];

  it('exits 0 for a verified down.sql', async () => {
    const r = await run({}, 'verify', 'add_name', ...M);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(
      /^✓ prisma\/migrations\/20240102000000_add_name\/down\.sql restores the schema before 20240102000000_add_name \(verified against 2 migrations in the embedded PostgreSQL · [\d.]+ s\)\.$/,
    );
    // Progress on stderr: the replay, or its state loaded from the shared replay cache (another test
    // of this run may have replayed the same history first).
    expect(r.err).toMatch(
      /Replaying migration 1 of 1: 20240101000000_init|Loading the replayed state of migrations 1\.\.1 from the cache/,
    );
  });

  it('exits 1 and lists the differences', async () => {
    const r = await run({}, 'verify', '20240103000000_drop_email_key', ...M);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      '✗ prisma/migrations/20240103000000_drop_email_key/down.sql does not restore the schema before 20240103000000_drop_email_key: 1 difference.',
      '  index "User_email_key" is missing',
    ]);
  });

  it('notes later migrations that depend on the one rolled back', async () => {
    const r = await run({}, 'verify', 'add_name', ...M);
    expect(r.out.split('\n').slice(1)).toEqual([
      '  note: 1 later migration touches what 20240102000000_add_name created or changed; rolling it back while it is applied breaks it:',
      '    20240104000000_rename_name: line 1: renames column "User"."name", which 20240102000000_add_name added or changed',
    ]);
  });

  it('prints JSON', async () => {
    const r = await run({}, 'verify', 'drop_email_key', ...M, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      migration: '20240103000000_drop_email_key',
      kind: 'differences',
      differences: ['index "User_email_key" is missing'],
      replayed: 2,
    });
  });

  it('exits 2 when an extension is missing, and verifies on the shadow server from the environment', async () => {
    const r = await run({}, 'verify', 'links', ...M);
    expect(r.code).toBe(2);
    expect(r.out).toContain('extension "dblink" is not available in the embedded PostgreSQL');
    const s = await run({ PRISMA_ROLLBACK_SHADOW_DATABASE_URL: adminUrl() }, 'verify', 'links', ...M);
    expect(s.out).toContain('on the shadow server');
    expect(s.code).toBe(0);
    expect(`${s.out}\n${s.err}`).not.toContain('test-secret-pw');
  });

  it('finds a later _rollback_ migration, and --rollback FILE', async () => {
    const r = await run({}, 'verify', '20240105000000_no_down', ...M);
    expect(r.code).toBe(0);
    expect(r.out).toContain('20240106000000_rollback_no_down/migration.sql restores the schema');
    await fs.writeFile(path.join(root, 'wrong.sql'), 'SELECT 1;\n');
    const w = await run({}, 'verify', '20240105000000_no_down', ...M, '--rollback', 'wrong.sql');
    expect(w.code).toBe(1);
    expect(w.out).toContain('column "User"."age" is extra');
  });

  it('explains a migration without a rollback and a wrong name (exit 2)', async () => {
    const r = await run({}, 'verify', 'init', ...M);
    expect(r.code).toBe(2);
    expect(r.err).toContain('20240101000000_init has no rollback: no down.sql in its folder');
    expect((await run({}, 'verify', 'nope', ...M)).err).toContain('No migration "nope"');
  });

  it("asks Prisma's engine for a second opinion with --prisma-diff: its diff adds a difference", async () => {
    const r = await run({}, 'verify', 'drop_email_key', ...M, '--prisma-diff');
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'does not restore the schema before 20240103000000_drop_email_key: 2 differences.',
    );
    expect(r.out).toContain(
      '  Prisma\'s migrate diff still sees a difference: it would run CREATE UNIQUE INDEX "User_email_key" ON',
    );
    expect(r.out).toContain("  the script Prisma's migrate diff would run:\n");
  });

  it("--prisma-diff --json: the verdict with Prisma's line, and what Prisma answered", async () => {
    const j = JSON.parse((await run({}, 'verify', 'drop_email_key', ...M, '--prisma-diff', '--json')).out);
    expect(j.kind).toBe('differences');
    expect(j.differences).toHaveLength(2);
    expect(j.prismaDiff).toMatchObject({
      empty: false,
      script: expect.stringContaining('CREATE UNIQUE INDEX'),
    });
  });

  it("keeps a verified result when Prisma's engine cannot diff the history, and says so (exit 0)", async () => {
    // dblink: verified on the shadow server; Prisma's diff runs on PGlite, which lacks dblink.
    const r = await run(
      { PRISMA_ROLLBACK_SHADOW_DATABASE_URL: adminUrl() },
      'verify',
      'links',
      ...M,
      '--prisma-diff',
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^✓ .*down\.sql restores the schema before 20240107000000_links .*on the shadow server/m,
    );
    expect(r.out).toMatch(
      /^\? Prisma's migrate diff could not run: .*extension "dblink" is not available.*\. The result rests on the catalog comparison alone\.$/m,
    );
  });

  it('--all verifies every rollback on one replayed history; --generate fills the missing ones', async () => {
    const r = await run(
      { PRISMA_ROLLBACK_SHADOW_DATABASE_URL: adminUrl() },
      'verify',
      '--all',
      ...M,
      '--json',
    );
    const j = JSON.parse(r.out);
    expect(j.migrations.map((m: { migration: string; kind: string }) => `${m.migration} ${m.kind}`)).toEqual([
      '20240101000000_init noRollback',
      '20240102000000_add_name verified',
      '20240103000000_drop_email_key differences',
      '20240104000000_rename_name verified',
      '20240105000000_no_down verified',
      '20240107000000_links verified',
    ]);
    expect(j.summary).toMatchObject({ verified: 4, differences: 1, couldNotVerify: 0, noRollback: 1 });
    expect(r.code).toBe(1);
    const g = await run({}, 'verify', '--all', '--generate', '--no-cache', ...M);
    expect(g.out.split('\n')[0]).toBe('✓ 20240101000000_init');
    expect(g.out).toContain('✗ 20240103000000_drop_email_key\n    index "User_email_key" is missing');
    expect(g.out).toContain('? 20240107000000_links: Cannot verify here: extension "dblink"');
    expect(g.out.split('\n').at(-1)).toMatch(
      /^4 verified, 1 with differences, 0 cannot be proven, 1 could not be verified, 0 without a rollback · [\d.]+ s$/,
    );
    expect(g.code).toBe(2);
  });
});

describe('verify --all / --to name each migration without a rollback, and why', () => {
  let p: Awaited<ReturnType<typeof tempProject>>;
  const A = '20250101000000_a';
  const BAD = '20250102000000_bad';
  const NODOWN = '20250103000000_no_down';
  beforeAll(async () => {
    p = await tempProject({
      migrations: {
        [A]: 'CREATE TABLE "a" ("id" INTEGER PRIMARY KEY, "name" TEXT);\n',
        [BAD]: '-- comment\nALTER TABLE "a" ADD COLUMN "x" TEXT;\nCREATE INDEX ON "a" ("id" ;\n',
        [NODOWN]: 'ALTER TABLE "a" ADD COLUMN "y" TEXT;\n',
      },
    });
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  it('prints a line per migration without a rollback; with --generate, the parser error that kept it from being generated', async () => {
    const file = path.join(p.dir, BAD, 'migration.sql');
    const plain = await runCliLines(['verify', '--all', '--migrations', p.dir], p.root, {});
    expect(plain.code).toBe(1);
    expect(plain.out.split('\n').slice(0, 3)).toEqual([
      `✗ ${A}: no rollback (no down.sql in its folder and no later *_rollback_a migration)`,
      `✗ ${BAD}: no rollback (no down.sql in its folder and no later *_rollback_bad migration)`,
      `✗ ${NODOWN}: no rollback (no down.sql in its folder and no later *_rollback_no_down migration)`,
    ]);

    const g = await runCliLines(['verify', '--all', '--generate', '--migrations', p.dir], p.root, {});
    // 2: the later migration cannot be verified either (its history does not replay)
    expect(g.code).toBe(2);
    expect(g.out.split('\n')).toContain(
      `✗ ${BAD}: no rollback (it cannot be generated: ${file}:3:27: syntax error at or near ";")`,
    );
    const j = JSON.parse(
      (await runCliLines(['verify', '--all', '--generate', '--json', '--migrations', p.dir], p.root, {})).out,
    );
    expect(j.migrations.find((m: { migration: string }) => m.migration === BAD)).toEqual({
      migration: BAD,
      rollback: null,
      kind: 'noRollback',
      reason: `it cannot be generated: ${file}:3:27: syntax error at or near ";"`,
    });

    const to = await runCliLines(['verify', '--to', A, '--generate', '--migrations', p.dir], p.root, {});
    expect(to.code).toBe(2);
    expect(to.err).toBe(
      `No rollback for ${BAD} (it cannot be generated: ${file}:3:27: syntax error at or near ";"): fix the migration, or write its down.sql.`,
    );
  }, 180_000);
});
