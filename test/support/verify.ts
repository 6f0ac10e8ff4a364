/** Verification as a new process sees it: a fresh worker, no in-memory verdicts or snapshots. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import {
  clearVerifyCache,
  disposeEmbeddedVerifier,
  type VerifyResult,
  type VerifyRollbackOptions,
  verifierWorkerIdle,
  verifyRollback,
} from '../../src/core/verify';

/**
 * Ends the verifier's worker and forgets this process's verdicts, runs `verifyRollback(opts)` with
 * its progress collected, and waits until the worker has saved the replayed state it keeps in the
 * replay cache (that save follows the result). Returns the result and the progress lines in order.
 */
export async function verifyInFreshWorker(
  opts: Omit<VerifyRollbackOptions, 'onProgress'>,
): Promise<{ r: VerifyResult; lines: string[] }> {
  await disposeEmbeddedVerifier();
  clearVerifyCache();
  const lines: string[] = [];
  const r = await verifyRollback({ ...opts, onProgress: (m) => lines.push(m) });
  await verifierWorkerIdle();
  return { r, lines };
}

/**
 * A replay-cache directory of its own for one test file: made before its tests (under the OS
 * temporary directory, named `prefix…`), removed after them once the verifier's worker is stopped.
 * Call at the top level of a test file; returns the directory's path (valid inside tests).
 */
export function tempReplayCacheDir(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    await disposeEmbeddedVerifier();
    await fs.rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
