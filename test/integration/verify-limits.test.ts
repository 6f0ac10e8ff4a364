/**
 * Every way to verify honours the verifier's two promises, not only `verify <m>`: the time limit
 * per step (`--timeout`, the setting prismaRollback.verify.timeoutSeconds) and the on-disk replay
 * cache shared by the CLI and the editor. Found by hand (break15): `verify --to` ran a migration
 * that never ends for the default 120 s whatever `--timeout` said, and replayed its whole history
 * on every run; the checklist's Verify steps (one migration, Roll Back to Here's chain) did the
 * same with the setting and the cache. And a step of a `verify --to` range that does not finish is
 * named by its own file and line, not by the joined range.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyRollbackChainScripts, verifyRollbackScript } from '../../src/core/runbook/services';
import { clearVerifyCache, disposeEmbeddedVerifier } from '../../src/core/verify';
import { runCliLines } from '../support/cli';
import { prismaPackageJson, SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20240101000000_init';
const B = '20240102000000_hang';
const C = '20240103000000_tag';
const HANG = 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n-- never ends\nDO $$ BEGIN LOOP END LOOP; END $$;\n';

let cache: string;
beforeAll(async () => {
  cache = await fs.mkdtemp(path.join(os.tmpdir(), 'verify-limits-cache-'));
});
afterAll(async () => {
  await fs.rm(cache, { recursive: true, force: true });
});

describe('the time limit and the replay cache, on every way to verify', () => {
  let mig: TempProject | undefined;
  afterEach(async () => {
    await mig?.cleanup();
    mig = undefined;
    await disposeEmbeddedVerifier();
    clearVerifyCache();
  });
  async function project(migrations: Record<string, string | { sql: string; down?: string }>) {
    mig = await tempProject({ packageJson: prismaPackageJson(), schema: SCHEMA_WITH_URL_ENV, migrations });
    return mig;
  }
  const cli = (...argv: string[]) =>
    runCliLines(argv, mig!.root, { PATH: process.env.PATH, PRISMA_ROLLBACK_CACHE_DIR: cache });

  it('verify --to: --timeout limits each step, and the step that does not finish is named by its file and line', async () => {
    await project({
      [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n',
      [B]: { sql: HANG, down: 'ALTER TABLE "User" DROP COLUMN "bio";\n' },
      [C]: { sql: 'CREATE TABLE "Tag" ("id" INTEGER);\n', down: 'DROP TABLE "Tag";\n' },
    });
    const started = performance.now();
    const r = await cli('verify', '--to', A, '--timeout', '8');
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(r.code).toBe(2);
    expect(r.out.split('\n')[0]).toBe(
      `? could not verify the rollbacks of the 2 migrations after ${A} (newest first): ${B}/migration.sql (line 3: DO $$ BEGIN LOOP END LOOP; END $$) did not finish in 8 s (the limit is the setting prismaRollback.verify.timeoutSeconds, or --timeout).`,
    );
  }, 120_000);

  it('verify --to: a rollback that does not finish is named by its down.sql and line', async () => {
    await project({
      [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n',
      [B]: { sql: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n', down: `DROP TABLE "nope";\n` },
      [C]: {
        sql: 'CREATE TABLE "Tag" ("id" INTEGER);\n',
        down: 'DROP TABLE "Tag";\n\nDO $$ BEGIN LOOP END LOOP; END $$;\n',
      },
    });
    const r = await cli('verify', '--to', A, '--timeout', '8');
    expect(r.code).toBe(2);
    expect(r.out.split('\n')[0]).toBe(
      `? could not verify the rollbacks of the 2 migrations after ${A} (newest first): ${C}/down.sql (line 3: DO $$ BEGIN LOOP END LOOP; END $$) did not finish in 8 s (the limit is the setting prismaRollback.verify.timeoutSeconds, or --timeout).`,
    );
  }, 120_000);

  it('verify --to: the replayed history is kept in the replay cache, and the next run loads it', async () => {
    await project({
      [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n',
      [B]: { sql: 'CREATE TABLE "Post" ("id" INTEGER);\n', down: 'DROP TABLE "Post";\n' },
      [C]: {
        sql: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
        down: 'ALTER TABLE "User" DROP COLUMN "bio";\n',
      },
    });
    const first = await cli('verify', '--to', B);
    expect(first.code).toBe(0);
    // Replayed here; the state is saved after the result, before the process lets the worker go.
    expect(first.err.split('\n')).toContain(`  Replaying migration 1 of 2: ${A}`);
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const second = await cli('verify', '--to', B);
    expect(second.code).toBe(0);
    const lines = second.err.split('\n');
    expect(lines).toContain('  Loading the replayed state of migrations 1..2 from the cache');
    expect(lines.filter((l) => l.startsWith('  Replaying'))).toEqual([]);
  }, 120_000);

  it("the checklist's Verify steps (one migration, and a chain) honour the time limit given", async () => {
    await project({
      [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n',
      [B]: { sql: HANG, down: 'ALTER TABLE "User" DROP COLUMN "bio";\n' },
    });
    const started = performance.now();
    const one = await verifyRollbackScript(mig!.dir, B, { timeoutMs: 8000 });
    expect(one).toEqual({
      result: 'couldNotVerify',
      summary: `Could not verify: ${B}/migration.sql (line 3: DO $$ BEGIN LOOP END LOOP; END $$) did not finish in 8 s (the limit is the setting prismaRollback.verify.timeoutSeconds, or --timeout).`,
    });
    const chain = await verifyRollbackChainScripts(mig!.dir, A, { timeoutMs: 8000 });
    expect(chain.result).toBe('couldNotVerify');
    expect(chain.summary).toContain(
      `${B}/migration.sql (line 3: DO $$ BEGIN LOOP END LOOP; END $$) did not finish in 8 s`,
    );
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it('a limit beyond what a timer holds (over 24.8 days, Infinity) is no limit, not an immediate time-out', async () => {
    await project({
      [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n',
      [B]: {
        sql: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
        down: 'ALTER TABLE "User" DROP COLUMN "bio";\n',
      },
    });
    for (const seconds of ['3000000', 'Infinity']) {
      const r = await cli('verify', B, '--timeout', seconds, '--no-cache');
      expect(r.out).toMatch(/^✓ /);
      expect(r.code).toBe(0);
    }
  }, 120_000);

  it("the checklist's Verify step keeps and loads replayed states in the replay cache", async () => {
    await project({
      [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n',
      [B]: 'CREATE TABLE "Post" ("id" INTEGER);\n',
      [C]: {
        sql: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
        down: 'ALTER TABLE "User" DROP COLUMN "bio";\n',
      },
    });
    const replayCacheDir = path.join(cache, 'checklist');
    const run = async () => {
      const lines: string[] = [];
      const r = await verifyRollbackScript(mig!.dir, C, { replayCacheDir, onProgress: (m) => lines.push(m) });
      await disposeEmbeddedVerifier();
      clearVerifyCache();
      return { r, lines };
    };
    const first = await run();
    expect(first.r.result).toBe('verified');
    // Replayed here; the state is saved after the result (disposing waits for it).
    expect(first.lines).toContain(`Replaying migration 1 of 2: ${A}`);
    const second = await run();
    expect(second.r.result).toBe('verified');
    expect(second.lines).toContain('Loading the replayed state of migrations 1..2 from the cache');
    expect(second.lines.filter((l) => l.startsWith('Replaying'))).toEqual([]);
  }, 120_000);
});
