/**
 * The editor's warm-up (issue 14: Verify in the editor after the background warm-up ≤ 300 ms):
 * `warmVerifierFor` brings the verifier's worker to the state before the last migration (replayed,
 * or loaded from the replay cache) with its catalogs read and the SQL parser loaded, so the first
 * verification of the last migration only applies it and its rollback. The replayed state is saved
 * in the replay cache after the result is returned, not before it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clearVerifyCache,
  disposeEmbeddedVerifier,
  type VerifyMigration,
  verifierWorkerIdle,
  verifyRollback,
  warmVerifierFor,
} from '../../src/core/verify';

const HISTORY: VerifyMigration[] = [
  { name: '20250101000000_a', sql: 'CREATE TABLE "a" ("id" INTEGER PRIMARY KEY);\n' },
  { name: '20250102000000_b', sql: 'CREATE TABLE "b" ("id" INTEGER, "a" INTEGER REFERENCES "a");\n' },
  { name: '20250103000000_c', sql: 'CREATE INDEX "b_a_idx" ON "b"("a");\n' },
  { name: '20250104000000_d', sql: 'ALTER TABLE "b" ADD COLUMN "d" TEXT;\n' },
];

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'verify-warm-'));
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(dir, { recursive: true, force: true });
});

const states = async () => (await fs.readdir(dir)).filter((f) => f.endsWith('.pgdata'));

async function verifyLast(rollbackSql: string) {
  const lines: string[] = [];
  const r = await verifyRollback({
    migrations: HISTORY,
    index: HISTORY.length - 1,
    rollbackSql,
    engine: 'embedded',
    replayCacheDir: dir,
    onProgress: (m) => lines.push(m),
  });
  return { kind: r.kind, replayed: 'replayed' in r ? r.replayed : undefined, lines };
}

describe('the editor warm-up', () => {
  it('after warmVerifierFor the first verification of the last migration starts, replays and loads nothing; the replay cache gets the state once the worker is idle', async () => {
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    await warmVerifierFor(HISTORY, { replayCacheDir: dir });
    // The warm-up resolves once the worker is idle: its replayed state (1..3) is saved.
    expect(await states()).toHaveLength(1);
    const first = await verifyLast('ALTER TABLE "b" DROP COLUMN "d";\n');
    expect(first).toMatchObject({ kind: 'verified', replayed: 3 });
    expect(first.lines.filter((l) => /^(Starting|Replaying|Loading|Restoring|Saving)/.test(l))).toEqual([]);
    expect(first.lines).toEqual(['Applying 20250104000000_d and down.sql', 'Comparing schemas']);
    // A wrong rollback is still found out (the warm state is the real one).
    const wrong = await verifyLast('SELECT 1;\n');
    expect(wrong.kind).toBe('differences');
  }, 120_000);

  it('a new session (a fresh worker) warms from the replay cache on disk: nothing replayed', async () => {
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    await warmVerifierFor(HISTORY, { replayCacheDir: dir });
    const r = await verifyLast('ALTER TABLE "b" DROP COLUMN IF EXISTS "d";\n');
    expect(r.kind).toBe('verified');
    expect(r.lines.filter((l) => /^(Starting|Replaying|Loading)/.test(l))).toEqual([]);
  }, 120_000);

  it('a verification that replays does not wait for the save: no "Saving" step in its progress, the state on disk once the worker is idle', async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir);
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const r = await verifyLast('ALTER TABLE "b" DROP COLUMN "d";\n');
    expect(r.kind).toBe('verified');
    expect(r.lines).toContain('Replaying migration 3 of 3: 20250103000000_c');
    expect(r.lines.some((l) => l.startsWith('Saving'))).toBe(false);
    await verifierWorkerIdle();
    expect(await states()).toHaveLength(1);
    // Disposing drains the worker too: a new worker (process) loads the state.
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const again = await verifyLast('ALTER TABLE "b" DROP COLUMN "d" CASCADE;\n');
    expect(again.lines).toContain('Loading the replayed state of migrations 1..3 from the cache');
  }, 120_000);

  it('fewer than two migrations or a history that does not replay: the warm-up never throws, the verification reports', async () => {
    await disposeEmbeddedVerifier();
    await expect(warmVerifierFor(HISTORY.slice(0, 1), { replayCacheDir: dir })).resolves.toBeUndefined();
    const broken: VerifyMigration[] = [
      { name: '20250101000000_a', sql: 'CREATE TABLE "a" ("id" INTEGER);\n' },
      { name: '20250102000000_b', sql: 'ALTER TABLE "nope" ADD COLUMN "x" INTEGER;\n' },
      { name: '20250103000000_c', sql: 'CREATE TABLE "c" ("id" INTEGER);\n' },
    ];
    await expect(warmVerifierFor(broken, { replayCacheDir: dir })).resolves.toBeUndefined();
    const r = await verifyRollback({
      migrations: broken,
      index: 2,
      rollbackSql: 'DROP TABLE "c";\n',
      engine: 'embedded',
      replayCacheDir: dir,
    });
    expect(r.kind).toBe('couldNotVerify');
  }, 120_000);
});
