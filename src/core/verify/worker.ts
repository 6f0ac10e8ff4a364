/**
 * The verifier's worker thread (entry `dist/verify-worker.js`): owns the embedded PostgreSQL and
 * runs replay / apply / rollback / snapshot for the main thread (verify requests, and replay-only
 * requests for drift) (./worker-client.ts), posting
 * progress and, before each script, which one is running (named when the main thread times it
 * out). One request at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useBaselineTierOnly } from './embedded';
import {
  type ProgressStep,
  prefetchReplayState,
  prepareEmbeddedSession,
  type RunningScript,
  replayEmbeddedHere,
  saveReplayedStateHere,
  verifyEmbeddedHere,
  warmEmbeddedSession,
} from './index';
import type { WorkerMessage, WorkerRequest } from './worker-client';

const port = parentPort;
if (!port) throw new Error('verify-worker.js runs in a worker thread');
const post = (m: WorkerMessage) => port.postMessage(m);

// PGlite that cannot load a data directory (a replayed state whose tar it cannot read, a damaged
// initial one) rejects `waitReady` — startEmbedded's callers catch that and fall back (delete the
// state and replay; initdb) — and also a promise of its own nobody awaits. Unhandled, that one
// ended this thread (Node ends a worker on an unhandled rejection) before the fallback ran, and
// the verification said "The embedded PostgreSQL stopped: …" on every run. A failure that matters
// reaches the request's own promise (posted as 'error' below), so such rejections are dropped.
process.on('unhandledRejection', () => {});

// Before anything compiles here: the process asked for the baseline tier only (the CLI).
let queue: Promise<unknown> = workerData?.baselineTierOnly ? useBaselineTierOnly() : Promise.resolve();
port.on('message', (m: WorkerRequest) => {
  // Now, not in turn: the cached state is read and inflated while `prepare` still compiles.
  if (m.type === 'verify') prefetchReplayState(m.request);
  queue = queue.then(() => handle(m)).catch(() => {});
});

async function handle(m: WorkerRequest): Promise<void> {
  if (m.type === 'drain') {
    // Every request before this one is done, the replayed state saved included.
    post({ type: 'drained', id: m.id });
    return;
  }
  if (m.type === 'warm') {
    await warmEmbeddedSession(m.extensions);
    return;
  }
  if (m.type === 'prepare') {
    await prepareEmbeddedSession();
    return;
  }
  const progress = (message: string, step?: ProgressStep) =>
    post({ type: 'progress', id: m.id, message, step });
  // the name only: the main thread has the SQL (see WorkerMessage)
  const running = ({ sql: _sql, ...script }: RunningScript) => post({ type: 'running', id: m.id, script });
  try {
    const result =
      m.type === 'replay'
        ? await replayEmbeddedHere(m.request, progress, running)
        : await verifyEmbeddedHere(m.request, progress, running);
    post({ type: 'result', id: m.id, result });
  } catch (e) {
    post({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) });
  }
  // After the result is out: the state this request replayed goes into the replay cache.
  await saveReplayedStateHere();
}
