/** Verification as a new process sees it: a fresh worker, no in-memory verdicts or snapshots. */
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
