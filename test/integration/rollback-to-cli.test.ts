/**
 * `down --to`, `verify --to`, `apply-down --to` and `--dry-run` through the CLI on a real
 * PostgreSQL 15: a protected environment needs --confirm for a dry run too; a failing dry run
 * names the file and line and changes nothing; a chain with a broken link is caught and pointed
 * at; statements that cannot run in a transaction are refused unless --allow-non-transactional.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRollbackChainScripts } from '../../src/core/runbook/services';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { verifyRollbackChain } from '../../src/core/verify/chain';
import { runCliLines } from '../support/cli';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { prismaPackageJson, SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20240101000000_init';
const B = '20240102000000_post';
const C = '20240103000000_bio';
const D = '20240104000000_tag';

describe('rollback to a target through the CLI', () => {
  let prod: TestDatabase;
  let mig: TempProject;
  let env: NodeJS.ProcessEnv;

  const cli = (...argv: string[]) => runCliLines(argv, mig.root, env);
  const history = () =>
    query<{ migration_name: string; rolled_back_at: Date | null }>(
      prod.url,
      'SELECT migration_name, rolled_back_at FROM _prisma_migrations ORDER BY started_at, id',
    );
  const tables = async () =>
    (
      await query<{ t: string }>(
        prod.url,
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      )
    ).map((r) => r.t);

  beforeAll(async () => {
    prod = await createTestDatabase('rollto_cli');
    mig = await tempProject({
      packageJson: prismaPackageJson(),
      schema: SCHEMA_WITH_URL_ENV,
      settings:
        '{ "prismaRollback.environments": [ { "name": "production", "urlEnv": "PRODUCTION_DATABASE_URL", "protected": true } ] }',
      migrations: {
        [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n',
        [B]: 'CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "authorId" INTEGER NOT NULL REFERENCES "User"("id"));\n',
        [C]: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
        [D]: 'CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\n',
      },
    });
    env = { PATH: process.env.PATH, PRODUCTION_DATABASE_URL: prod.url };
    expect((await cli('deploy', '--env', 'production', '--confirm', 'production')).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await prod.drop();
    await mig.cleanup();
    await disposeEmbeddedVerifier();
  });

  it('down --to writes the missing down.sql files and keeps an existing one', async () => {
    const own = 'BEGIN;\nDROP TABLE "Tag";\nCOMMIT;\n';
    await fs.writeFile(path.join(mig.dir, D, 'down.sql'), own);
    const r = await cli('down', '--to', A);
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 down.sql written, 1 kept, for the 3 migration(s) after 20240101000000_init.');
    expect(await fs.readFile(path.join(mig.dir, D, 'down.sql'), 'utf8')).toBe(own);
    expect(await fs.readFile(path.join(mig.dir, C, 'down.sql'), 'utf8')).toContain('DROP COLUMN "bio"');
    await fs.access(path.join(mig.dir, B, 'down.sql'));
  });

  it('verify --to proves the chain, and points at a broken link', async () => {
    const ok = await cli('verify', '--to', A, '--no-cache');
    expect(ok.out).toContain(
      '✓ the rollbacks of the 3 migrations after 20240101000000_init (newest first) restore',
    );
    expect(ok.code).toBe(0);
    const good = await fs.readFile(path.join(mig.dir, C, 'down.sql'), 'utf8');
    await fs.writeFile(
      path.join(mig.dir, C, 'down.sql'),
      'BEGIN;\n-- wrong column\nALTER TABLE "User" DROP COLUMN "bioo";\nCOMMIT;\n',
    );
    try {
      const bad = await cli('verify', '--to', A, '--no-cache');
      expect(bad.code).toBe(1);
      expect(bad.out).toContain(`${C}/down.sql failed to apply: `);
      expect(bad.out).toContain(`${path.join(mig.dir, C, 'down.sql')}:3:`);
      expect(bad.out).toContain('column "bioo" of relation "User" does not exist');
    } finally {
      await fs.writeFile(path.join(mig.dir, C, 'down.sql'), good);
    }
  }, 120_000);

  it("the checklist's chain verification (verifyRollbackChainScripts) proves the range, and names a missing down.sql", async () => {
    const ok = await verifyRollbackChainScripts(mig.dir, A, { through: D });
    expect(ok.result).toBe('verified');
    expect(ok.summary).toContain(
      'Verified the 3 rollbacks (newest first): the schema is back to the one after',
    );
    const partial = await verifyRollbackChainScripts(mig.dir, B, { through: C });
    expect(partial.result).toBe('verified');
    const down = path.join(mig.dir, C, 'down.sql');
    const good = await fs.readFile(down, 'utf8');
    await fs.rm(down);
    try {
      expect(await verifyRollbackChainScripts(mig.dir, A)).toEqual({
        result: 'couldNotVerify',
        summary: `${C} has no down.sql to verify yet (step 3 writes them).`,
      });
    } finally {
      await fs.writeFile(down, good);
    }
  }, 120_000);

  it('a chain whose migration holds a DO block cannot be proven; the reason names that migration.sql and its line', async () => {
    const r = await verifyRollbackChain({
      migrations: [
        { name: 'm1', sql: 'CREATE TABLE "A" ("id" INT);\n' },
        { name: 'm2', sql: 'CREATE TABLE "B" ("id" INT);\n' },
        { name: 'm3', sql: '-- data\n\nDO $$ BEGIN PERFORM 1; END $$;\nCREATE TABLE "C" ("id" INT);\n' },
      ],
      to: 0,
      rollbacks: [
        { name: 'm2/down.sql', sql: 'BEGIN;\nDROP TABLE "B";\nCOMMIT;\n' },
        { name: 'm3/down.sql', sql: 'BEGIN;\nDROP TABLE "C";\nCOMMIT;\n' },
      ],
      noCache: true,
    });
    expect(r.kind).toBe('cannotProve');
    expect(r.kind === 'cannotProve' && r.reasons[0]).toMatch(/^m3\/migration\.sql:3: /);
  }, 120_000);

  it('a dry run needs --confirm on a protected environment, changes nothing, and reports a failure with file:line', async () => {
    const before = await history();
    const refused = await cli('apply-down', '--to', A, '--env', 'production', '--dry-run');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      'Refused: production is a protected environment and a dry run takes the same locks as the real rollback there. Pass --confirm production',
    );
    // The editor's checklist reads its progress (and, on failure, the reason) from this file.
    const progressFile = path.join(mig.root, 'progress.txt');
    env = { ...env, PRISMA_ROLLBACK_PROGRESS_FILE: progressFile };
    const dry = await cli(
      'apply-down',
      '--to',
      A,
      '--env',
      'production',
      '--dry-run',
      '--confirm',
      'production',
    );
    expect(dry.code).toBe(0);
    // Counted over the whole range: the last statement of the three rollbacks together.
    expect(await fs.readFile(progressFile, 'utf8')).toMatch(/^Statement (\d+) of \1$/);
    expect(dry.out).toContain(
      `Dry run succeeded (nothing was changed): would roll back 3 migration(s) after ${A} on production: ${D}, ${C}, ${B}`,
    );
    expect(await history()).toEqual(before);
    expect(await tables()).toEqual(['Post', 'Tag', 'User', '_prisma_migrations']);

    const good = await fs.readFile(path.join(mig.dir, C, 'down.sql'), 'utf8');
    await fs.writeFile(
      path.join(mig.dir, C, 'down.sql'),
      'BEGIN;\n-- wrong column\nALTER TABLE "User" DROP COLUMN "bioo";\nCOMMIT;\n',
    );
    try {
      const single = await cli(
        'apply-down',
        C,
        '--env',
        'production',
        '--dry-run',
        '--confirm',
        'production',
      );
      expect(single.code).toBe(1);
      expect(single.err).toContain(
        'Statement 2 of 3 failed at down.sql:3:1 — ALTER TABLE "User" DROP COLUMN "bioo"',
      );
      expect(single.err).toContain('column "bioo" of relation "User" does not exist (SQLSTATE 42703)');
      expect(single.err).toContain('Dry run: the transaction was rolled back; nothing was changed');
      const range = await cli(
        'apply-down',
        '--to',
        A,
        '--env',
        'production',
        '--dry-run',
        '--confirm',
        'production',
      );
      expect(range.code).toBe(1);
      expect(range.err).toContain(`failed at ${C}/down.sql:3:`);
      // The failure's reason is the file's last line (what the checklist step shows).
      const reason = await fs.readFile(progressFile, 'utf8');
      expect(reason).toContain(`failed at ${C}/down.sql:3:`);
      expect(reason).toContain('column "bioo" of relation "User" does not exist');
      expect(await history()).toEqual(before);
      expect(await tables()).toEqual(['Post', 'Tag', 'User', '_prisma_migrations']);
    } finally {
      await fs.writeFile(path.join(mig.dir, C, 'down.sql'), good);
      const { PRISMA_ROLLBACK_PROGRESS_FILE: _, ...rest } = env;
      env = rest;
    }
  }, 60_000);

  it('refuses statements that cannot run in a transaction, naming them, unless --allow-non-transactional', async () => {
    const good = await fs.readFile(path.join(mig.dir, D, 'down.sql'), 'utf8');
    await fs.writeFile(
      path.join(mig.dir, D, 'down.sql'),
      'DROP TABLE "Tag";\nCREATE INDEX CONCURRENTLY "User_email_idx" ON "User"("email");\n',
    );
    try {
      const r = await cli('apply-down', '--to', B, '--env', 'production', '--confirm', 'production');
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        '1 statement cannot run inside a transaction, so the 2 rollbacks cannot run as one:',
      );
      expect(r.err).toContain(`${D}/down.sql:2: CREATE INDEX CONCURRENTLY`);
      expect((await history()).every((h) => h.rolled_back_at === null)).toBe(true);
      const dry = await cli(
        'apply-down',
        '--to',
        B,
        '--env',
        'production',
        '--confirm',
        'production',
        '--dry-run',
        '--allow-non-transactional',
      );
      expect(dry.code).toBe(1);
      expect(dry.err).toContain('A dry run cannot rehearse them');
      const each = await cli(
        'apply-down',
        '--to',
        B,
        '--env',
        'production',
        '--confirm',
        'production',
        '--allow-non-transactional',
      );
      expect(each.code).toBe(0);
      expect(each.out).toContain(`Rolled back 2 migration(s) after ${B} on production: ${D}, ${C}`);
      const rolled = (await history()).filter((h) => h.rolled_back_at).map((h) => h.migration_name);
      expect(rolled.sort()).toEqual([C, D]);
      expect(await tables()).toEqual(['Post', 'User', '_prisma_migrations']);
    } finally {
      await fs.writeFile(path.join(mig.dir, D, 'down.sql'), good);
    }
  }, 60_000);
});
