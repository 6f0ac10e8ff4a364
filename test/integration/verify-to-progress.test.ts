/**
 * `verify --to <m>` reports its progress with counts, as a single `verify` does: the migrations
 * replayed up to `<m>` ("Replaying migration i of m"), then each migration of the range and each
 * rollback in turn ("Applying migration k of n after <m>", "Applying rollback k of n (newest
 * first)"), in the embedded PostgreSQL (PGlite in its worker). Shapes: generated rollbacks,
 * down.sql files with their own BEGIN/COMMIT, a rollback that fails (the counts stop at it and the
 * failure names its file), --json (no progress), and a migration with its own transaction (the
 * range then runs outside the verifier's transaction, file by file: counted the same, a failure
 * still at its file and line).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearVerifyCache, disposeEmbeddedVerifier } from '../../src/core/verify';
import { verifyRollbackChain } from '../../src/core/verify/chain';
import { runCliLines } from '../support/cli';
import { adminUrl } from '../support/pg';
import { prismaPackageJson, SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20240101000000_init';
const B = '20240102000000_post';
const C = '20240103000000_bio';
const D = '20240104000000_tag';

describe('verify --to reports progress counts (embedded PostgreSQL)', () => {
  let mig: TempProject | undefined;
  afterEach(async () => {
    await mig?.cleanup();
    mig = undefined;
    await disposeEmbeddedVerifier();
  });
  async function project(migrations: Record<string, string>) {
    mig = await tempProject({ packageJson: prismaPackageJson(), schema: SCHEMA_WITH_URL_ENV, migrations });
    return mig;
  }
  const cli = (...argv: string[]) => runCliLines(argv, mig!.root, { PATH: process.env.PATH });
  const FOUR: Record<string, string> = {
    [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n',
    [B]: 'CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "authorId" INTEGER NOT NULL REFERENCES "User"("id"));\n',
    [C]: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
    [D]: 'CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\n',
  };

  it('generated rollbacks: the prefix replayed, then each migration and each rollback counted in the range', async () => {
    await project(FOUR);
    const r = await cli('verify', '--to', B, '--generate', '--no-cache');
    expect(r.code).toBe(0);
    expect(r.err.split('\n')).toEqual([
      `  Verifying the rollbacks of the 2 migrations after ${B} as one chain: replay the 2 migrations up to it, apply the 2 after it, then their rollbacks newest first`,
      '  Starting the embedded PostgreSQL',
      `  Replaying migration 1 of 2: ${A}`,
      `  Replaying migration 2 of 2: ${B}`,
      '  Replayed 2 migrations',
      `  Applying migration 1 of 2 after ${B}: ${C}`,
      `  Applying migration 2 of 2 after ${B}: ${D}`,
      `  Applying rollback 1 of 2 (newest first): ${D}/down.sql (generated)`,
      `  Applying rollback 2 of 2 (newest first): ${C}/down.sql (generated)`,
      '  Comparing schemas',
    ]);
    expect(r.out.split('\n')[0]).toMatch(
      new RegExp(
        `^✓ the rollbacks of the 2 migrations after ${B} \\(newest first\\) restore the schema after ${B} `,
      ),
    );
  }, 120_000);

  it('down.sql files with their own BEGIN/COMMIT, one migration after the target: counted the same', async () => {
    await project({
      [A]: FOUR[A],
      [B]: FOUR[B],
    });
    await fs.writeFile(path.join(mig!.dir, B, 'down.sql'), 'BEGIN;\nDROP TABLE "Post";\nCOMMIT;\n');
    const r = await cli('verify', '--to', A, '--no-cache');
    expect(r.code).toBe(0);
    expect(r.err.split('\n')).toEqual([
      `  Verifying the rollbacks of the 1 migration after ${A} as one chain: replay the 1 migration up to it, apply the one after it, then its rollback`,
      '  Starting the embedded PostgreSQL',
      `  Replaying migration 1 of 1: ${A}`,
      '  Replayed 1 migration',
      `  Applying migration 1 of 1 after ${A}: ${B}`,
      `  Applying rollback 1 of 1 (newest first): ${B}/down.sql`,
      '  Comparing schemas',
    ]);
  }, 120_000);

  it('a rollback that fails: the counts stop at it, and the failure names its file and line', async () => {
    await project(FOUR);
    await cli('down', '--to', A);
    await fs.writeFile(
      path.join(mig!.dir, C, 'down.sql'),
      'BEGIN;\n-- wrong column\nALTER TABLE "User" DROP COLUMN "bioo";\nCOMMIT;\n',
    );
    const r = await cli('verify', '--to', A, '--no-cache');
    expect(r.code).toBe(1);
    const progress = r.err.split('\n');
    expect(progress.slice(4, 8)).toEqual([
      `  Applying migration 1 of 3 after ${A}: ${B}`,
      `  Applying migration 2 of 3 after ${A}: ${C}`,
      `  Applying migration 3 of 3 after ${A}: ${D}`,
      `  Applying rollback 1 of 3 (newest first): ${D}/down.sql`,
    ]);
    expect(progress).toContain(`  Applying rollback 2 of 3 (newest first): ${C}/down.sql`);
    expect(progress).not.toContain(`  Applying rollback 3 of 3 (newest first): ${B}/down.sql`);
    expect(r.out).toContain(`${C}/down.sql failed to apply: `);
    expect(r.out).toContain(`${path.join(mig!.dir, C, 'down.sql')}:3:`);
  }, 120_000);

  it('--json prints no progress', async () => {
    await project(FOUR);
    const r = await cli('verify', '--to', C, '--generate', '--no-cache', '--json');
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toMatchObject({ to: C, chain: [D], kind: 'verified' });
  }, 120_000);

  it('a migration of the range with its own transaction (run outside ours, file by file): counted the same; a failure still names its file and line', async () => {
    await project({
      [A]: 'CREATE TYPE "Role" AS ENUM (\'A\', \'B\');\nCREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "role" "Role");\n',
      [B]: '-- AlterTable\nBEGIN;\nALTER TABLE "User" ADD COLUMN "bio" TEXT;\nCOMMIT;\n',
      [C]: FOUR[D],
    });
    const r = await cli('verify', '--to', A, '--generate', '--no-cache');
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter((l) => l.startsWith('  Applying'))).toEqual([
      `  Applying migration 1 of 2 after ${A}: ${B}`,
      `  Applying migration 2 of 2 after ${A}: ${C}`,
      `  Applying rollback 1 of 2 (newest first): ${C}/down.sql (generated)`,
      `  Applying rollback 2 of 2 (newest first): ${B}/down.sql (generated)`,
    ]);
    await fs.writeFile(path.join(mig!.dir, C, 'down.sql'), 'BEGIN;\nDROP TABLE "Tag";\nCOMMIT;\n');
    await fs.writeFile(
      path.join(mig!.dir, B, 'down.sql'),
      '-- undo\nBEGIN;\n\nALTER TABLE "User" DROP COLUMN "bioo";\nCOMMIT;\n',
    );
    const bad = await cli('verify', '--to', A, '--no-cache');
    expect(bad.code).toBe(1);
    expect(bad.err.split('\n').filter((l) => l.startsWith('  Applying'))).toEqual([
      `  Applying migration 1 of 2 after ${A}: ${B}`,
      `  Applying migration 2 of 2 after ${A}: ${C}`,
      `  Applying rollback 1 of 2 (newest first): ${C}/down.sql`,
      `  Applying rollback 2 of 2 (newest first): ${B}/down.sql`,
    ]);
    expect(bad.out).toContain(`${B}/down.sql failed to apply: `);
    expect(bad.out).toContain(`${path.join(mig!.dir, B, 'down.sql')}:4:`);
    expect(bad.out).toContain('column "bioo" of relation "User" does not exist');
  }, 120_000);

  it('a range with CREATE INDEX CONCURRENTLY (run without it inside the transaction): counted the same; a failure after it still at its file and line', async () => {
    await project({
      [A]: FOUR[A],
      [B]: '-- CreateIndex\nCREATE INDEX CONCURRENTLY "User_email_idx" ON "User"("email");\n',
      [C]: FOUR[C],
    });
    await fs.writeFile(path.join(mig!.dir, B, 'down.sql'), 'DROP INDEX CONCURRENTLY "User_email_idx";\n');
    await fs.writeFile(path.join(mig!.dir, C, 'down.sql'), 'ALTER TABLE "User" DROP COLUMN "bio";\n');
    const r = await cli('verify', '--to', A, '--no-cache');
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter((l) => l.startsWith('  Applying'))).toEqual([
      `  Applying migration 1 of 2 after ${A}: ${B}`,
      `  Applying migration 2 of 2 after ${A}: ${C}`,
      `  Applying rollback 1 of 2 (newest first): ${C}/down.sql`,
      `  Applying rollback 2 of 2 (newest first): ${B}/down.sql`,
    ]);
    await fs.writeFile(path.join(mig!.dir, B, 'down.sql'), '\nDROP INDEX CONCURRENTLY "User_emial_idx";\n');
    const bad = await cli('verify', '--to', A, '--no-cache');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`${B}/down.sql failed to apply: ${path.join(mig!.dir, B, 'down.sql')}:2:`);
  }, 120_000);

  it('on the shadow server: the same counts; a failing rollback named at its file and line', async () => {
    const migrations = [A, B, C, D].map((name) => ({ name, sql: FOUR[name] }));
    const rollbacks = [
      { name: `${B}/down.sql`, sql: 'BEGIN;\nDROP TABLE "Post";\nCOMMIT;\n' },
      { name: `${C}/down.sql`, sql: 'BEGIN;\nALTER TABLE "User" DROP COLUMN "bio";\nCOMMIT;\n' },
      { name: `${D}/down.sql`, sql: 'BEGIN;\nDROP TABLE "Tag";\nCOMMIT;\n' },
    ];
    const lines: string[] = [];
    const run = (r: typeof rollbacks) =>
      verifyRollbackChain({
        migrations,
        to: 0,
        rollbacks: r,
        engine: 'server',
        shadowDatabaseUrl: adminUrl(),
        noCache: true,
        onProgress: (m) => lines.push(m),
      });
    expect(await run(rollbacks)).toMatchObject({ kind: 'verified', engine: 'server' });
    expect(lines.filter((l) => l.startsWith('Applying'))).toEqual([
      `Applying migration 1 of 3 after ${A}: ${B}`,
      `Applying migration 2 of 3 after ${A}: ${C}`,
      `Applying migration 3 of 3 after ${A}: ${D}`,
      `Applying rollback 1 of 3 (newest first): ${D}/down.sql`,
      `Applying rollback 2 of 3 (newest first): ${C}/down.sql`,
      `Applying rollback 3 of 3 (newest first): ${B}/down.sql`,
    ]);
    lines.length = 0;
    const bad = await run([
      rollbacks[0],
      {
        name: `${C}/down.sql`,
        sql: 'BEGIN;\n-- wrong column\nALTER TABLE "User" DROP COLUMN "bioo";\nCOMMIT;\n',
      },
      rollbacks[2],
    ]);
    expect(bad.kind).toBe('differences');
    expect(bad.kind === 'differences' && bad.failure).toMatchObject({ script: `${C}/down.sql`, line: 3 });
    expect(lines.filter((l) => l.startsWith('Applying rollback'))).toEqual([
      `Applying rollback 1 of 3 (newest first): ${D}/down.sql`,
      `Applying rollback 2 of 3 (newest first): ${C}/down.sql`,
    ]);
  }, 120_000);
  it('--timeout and the on-disk replay cache apply to verify --to as to one verify (a hanging rollback is stopped and named; a second run loads the replayed prefix)', async () => {
    await project(FOUR);
    // Results of the tests above (same history, same rollbacks) are in this process's memory.
    clearVerifyCache();
    const cache = await fs.mkdtemp(path.join(mig!.root, 'cache-'));
    const env = { PATH: process.env.PATH, PRISMA_ROLLBACK_CACHE_DIR: cache };
    const first = await runCliLines(['verify', '--to', B, '--generate'], mig!.root, env);
    expect(first.code).toBe(0);
    expect(first.err).toContain(`Replaying migration 1 of 2: ${A}`);
    expect(first.err).not.toContain('from the cache');
    // Another rollback of the range (not served by the result cache), the same prefix up to B.
    await fs.writeFile(path.join(mig!.dir, D, 'down.sql'), '-- by hand\nDROP TABLE "Tag";\n');
    const second = await runCliLines(['verify', '--to', B, '--generate'], mig!.root, env);
    expect(second.code).toBe(0);
    expect(second.err).toContain('Loading the replayed state of migrations 1..2 from the cache');
    expect(second.out.split('\n')[0]).toMatch(
      new RegExp(`^✓ the rollbacks of the 2 migrations after ${B} \\(newest first\\) restore`),
    );
    await fs.writeFile(path.join(mig!.dir, D, 'down.sql'), 'SELECT pg_sleep(30);\nDROP TABLE "Tag";\n');
    const started = Date.now();
    const hung = await cli('verify', '--to', B, '--generate', '--no-cache', '--timeout', '2');
    expect(hung.code).toBe(2);
    expect(hung.out).toContain(`${D}/down.sql`);
    expect(hung.out).toContain('did not finish in 2 s');
    expect(Date.now() - started).toBeLessThan(25_000);
    expect((await cli('verify', '--to', B, '--timeout', 'soon')).err).toContain(
      '--timeout is a number of seconds.',
    );
  }, 120_000);
});
