/**
 * The CLI starts the verifier's worker before it knows whether it will verify (src/cli/early-verifier.ts,
 * and `verify` itself before it reads the history): a `verify` that ends before verifying (no such
 * migration, no rollback, a bad option read late) disposes of a worker that was only asked to
 * prepare. That worker holds no replayed state to save, so it is stopped at once: the command's
 * exit must not wait for PGlite's and the parser's WebAssembly to finish compiling.
 */
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  disposeEmbeddedVerifier,
  prepareEmbeddedVerifier,
  type VerifyMigration,
  verifierWorkerIdle,
  verifyRollback,
} from '../../src/core/verify';
import { tempReplayCacheDir } from '../support/verify';

const dir = tempReplayCacheDir('verify-dispose-');

const HISTORY: VerifyMigration[] = [
  { name: '20250101000000_a', sql: 'CREATE TABLE "a" ("id" INTEGER PRIMARY KEY);\n' },
  { name: '20250102000000_b', sql: 'ALTER TABLE "a" ADD COLUMN "b" TEXT;\n' },
];

describe('disposing of the verifier worker', () => {
  it('a worker only asked to prepare is stopped at once, without waiting for its compile', async () => {
    await disposeEmbeddedVerifier();
    // How long preparing takes on this machine now (a new worker compiles PGlite and the parser).
    prepareEmbeddedVerifier();
    let t = performance.now();
    await verifierWorkerIdle();
    const prepareMs = performance.now() - t;
    await disposeEmbeddedVerifier();

    prepareEmbeddedVerifier();
    t = performance.now();
    await disposeEmbeddedVerifier();
    const disposeMs = performance.now() - t;
    expect(disposeMs).toBeLessThan(Math.max(50, prepareMs / 3));
  });

  it('a worker that verified is stopped only once the replayed state is saved', async () => {
    await disposeEmbeddedVerifier();
    const r = await verifyRollback({
      migrations: HISTORY,
      index: 1,
      rollbackSql: 'ALTER TABLE "a" DROP COLUMN "b";\n',
      engine: 'embedded',
      replayCacheDir: dir(),
    });
    expect(r.kind).toBe('verified');
    await disposeEmbeddedVerifier();
    expect((await fs.readdir(dir())).filter((f) => f.endsWith('.pgdata'))).toHaveLength(1);
  });
});
