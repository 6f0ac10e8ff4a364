/**
 * The main-thread side of the verifier's worker thread (./worker.ts): the embedded PostgreSQL
 * (PGlite, WebAssembly that blocks the thread it runs on) lives in a `worker_threads` Worker,
 * so the editor's extension host and the CLI's event loop stay free while it replays (issue 14),
 * and a statement that never ends (`DO $$ BEGIN LOOP END LOOP; END $$`, `COPY … TO PROGRAM`)
 * is stopped by terminating the worker after a wall-clock limit (issue 10, kind 3).
 *
 * One worker at a time, reused between verifications (it keeps the replayed state) and ended
 * after 5 minutes without work, on `disposeVerifierWorker()`, on time-out and on cancellation.
 * Requests must not overlap (index.ts serialises them).
 *
 * The worker's script is `verify-worker.js` beside this bundle (scripts/build.mjs builds it
 * next to dist/cli.js and dist/core-api.js), else $PRISMA_ROLLBACK_VERIFY_WORKER (the tests
 * build it from source, see test/support/global-setup.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { baselineTierOnly } from './embedded';
import type {
  EmbeddedReplayRequest,
  EmbeddedReplayResult,
  EmbeddedRequest,
  ProgressFn,
  ProgressStep,
  RunningScript,
  VerifyMigration,
  VerifyResult,
} from './index';

/** Messages from the worker. */
export type WorkerMessage =
  | { type: 'progress'; id: number; message: string; step?: ProgressStep }
  /**
   * The script the worker starts running, without its SQL: the main thread has it (the request),
   * and copying a 10 MB migration back to the calling thread blocked its event loop.
   */
  | { type: 'running'; id: number; script: Omit<RunningScript, 'sql'> }
  | { type: 'result'; id: number; result: VerifyResult | EmbeddedReplayResult }
  | { type: 'error'; id: number; message: string }
  /** The answer to `drain`: every request before it is done. */
  | { type: 'drained'; id: number };

/** Messages to the worker. */
export type WorkerRequest =
  | { type: 'verify'; id: number; request: EmbeddedRequest }
  /** Replay migrations 1..k (from the nearest cached state) and snapshot the schema (drift). */
  | { type: 'replay'; id: number; request: EmbeddedReplayRequest }
  | { type: 'warm'; id: number; extensions: string[] }
  /** Load PGlite's module and the SQL parser, compile their WebAssembly; start nothing. */
  | { type: 'prepare'; id: number }
  /** Answer `drained` once every request before it is done (the replayed state's save after a result included). */
  | { type: 'drain'; id: number };

const IDLE_MS = 5 * 60_000;
/** The longest delay setTimeout keeps (a signed 32-bit number of ms: Node docs, timers). */
const MAX_TIMER_MS = 2 ** 31 - 1;

let worker: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 1;
/**
 * Workers asked to verify or replay: only these can hold a replayed state not yet saved (the
 * worker saves it after posting the result). A worker only asked to prepare or warm holds none.
 */
const mayHoldUnsaved = new WeakSet<Worker>();

/** Absolute path of the worker's script; throws an Error naming the file when it is missing. */
export function verifierWorkerScript(): string {
  const beside = path.join(typeof __dirname === 'string' ? __dirname : process.cwd(), 'verify-worker.js');
  if (fs.existsSync(beside)) return beside;
  const fromEnv = process.env.PRISMA_ROLLBACK_VERIFY_WORKER;
  if (fromEnv && fs.existsSync(fromEnv)) return fromEnv;
  throw new Error(`The verifier's worker script is missing: ${beside} (rebuild with \`npm run build\`).`);
}

function getWorker(): Worker {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (worker) return worker;
  const w = new Worker(verifierWorkerScript(), {
    env: process.env,
    // The flag is the process's, but the worker's compileBaselineOnly must not clear it after PGlite.
    workerData: { baselineTierOnly: baselineTierOnly() },
    // A small young generation: the worker's short-lived garbage (PGlite's in-memory files
    // outgrown and copied as a script writes them, parse trees, query results) is collected
    // sooner instead of piling up to V8's default before a scavenge. Measured on `verify` of a
    // 10 MB migration of INSERTs (issue 14), peak RSS: with 8 MB 327–331 MB against 342–345 MB
    // without (both with 16 K parse pieces, n=3 each, interleaved, loaded machine); the two
    // together 320–377 MB against 350–376 MB (n=4 each, interleaved); same time.
    resourceLimits: { maxYoungGenerationSizeMb: 8 },
  });
  w.on('error', () => {});
  w.on('exit', () => {
    if (worker === w) worker = undefined;
  });
  worker = w;
  return w;
}

function release(w: Worker): void {
  if (worker !== w) return;
  w.unref();
  idleTimer = setTimeout(() => void disposeVerifierWorker(), IDLE_MS);
  idleTimer.unref?.();
}

/** How long disposeVerifierWorker waits for the worker's pending work (the replayed state's save) before it stops it. */
const DRAIN_MS = 20_000;

/**
 * Terminates the worker (and its embedded PostgreSQL) once what it still does after its last
 * result — saving the replayed state in the replay cache — is done (at most DRAIN_MS, then it is
 * stopped anyway: the state only costs time next time). A worker never asked to verify or replay
 * (only to prepare or warm: a CLI `verify` that ended before verifying) has nothing to save and
 * is stopped at once, without waiting for its WebAssembly to compile. Safe when none runs; never
 * rejects.
 */
export async function disposeVerifierWorker(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  const w = worker;
  worker = undefined;
  if (!w) return;
  if (mayHoldUnsaved.has(w)) await drained(w, DRAIN_MS);
  await w.terminate().catch(() => {});
}

/**
 * Resolves once the worker has done everything asked of it so far, the replayed state's save
 * after a result included (at most `ms`, default DRAIN_MS); at once when no worker runs. Never
 * rejects; the worker keeps running.
 */
export async function verifierWorkerIdle(ms = DRAIN_MS): Promise<void> {
  // (drained's timer keeps the process alive meanwhile; the worker stays unreferenced)
  if (worker) await drained(worker, ms);
}

/** Resolves when the worker answered a `drain` request (every request before it done), exits, fails, or after `ms`. */
function drained(w: Worker, ms: number): Promise<void> {
  const id = nextId++;
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('exit', done);
      w.off('error', done);
      resolve();
    };
    const onMessage = (m: WorkerMessage) => {
      if (m.type === 'drained' && m.id === id) done();
    };
    const timer = setTimeout(done, ms);
    w.on('message', onMessage);
    w.on('exit', done);
    w.on('error', done);
    try {
      w.postMessage({ type: 'drain', id } satisfies WorkerRequest);
    } catch {
      done();
    }
  });
}

/**
 * Starts the worker and its embedded PostgreSQL in the background (the editor calls it after
 * activation when the workspace has migrations), so the first verification does not wait for
 * PGlite's start. Never throws; does nothing when a worker runs.
 */
export function warmEmbeddedVerifier(extensions: string[] = []): void {
  if (worker) return;
  try {
    const w = getWorker();
    w.postMessage({ type: 'warm', id: nextId++, extensions } satisfies WorkerRequest);
    release(w);
  } catch {
    // no worker script: the first verification reports it
  }
}

/**
 * Starts the worker and has it load PGlite's module and the SQL parser and compile their
 * WebAssembly (~0.2 s), without starting an embedded PostgreSQL: the CLI calls it first thing, so
 * that this overlaps its reading of the history; the verification's own request then finds them
 * ready and starts PGlite from the state it needs (issue 14). Never throws; does nothing when a
 * worker runs. The worker ends as after any request (5 minutes idle, or disposeVerifierWorker).
 */
export function prepareEmbeddedVerifier(): void {
  if (worker) return;
  try {
    const w = getWorker();
    w.postMessage({ type: 'prepare', id: nextId++ } satisfies WorkerRequest);
    release(w);
  } catch {
    // no worker script: the verification reports it
  }
}

/** "line L: <statement>" of the statement of `sql` most likely to run without end, for the time-out message. */
async function suspectStatement(sql: string): Promise<string | undefined> {
  try {
    const { splitScript, statementLabel } = await import('../sql/script');
    const statements = await splitScript(sql);
    // Statements that run user code or scan data: the ones that can run without end.
    const unbounded = statements.filter((s) =>
      /^(Do|Copy|Call|Select|Insert|Update|Delete|Vacuum|Refresh|Cluster|Lock|Reindex)/.test(s.kind),
    );
    const pick = statements.length === 1 ? statements[0] : unbounded.length === 1 ? unbounded[0] : undefined;
    if (pick) return `line ${pick.line}: ${statementLabel(pick, 60)}`;
    return statements.length ? `one of its ${statements.length} statements` : undefined;
  } catch {
    return undefined;
  }
}

/** How a request to the worker ended (see `runRequest`). */
type WorkerOutcome<R> =
  | { result: R }
  | { cancelled: true }
  /** The worker died (message of its error or exit). */
  | { died: string }
  /** The worker's script is missing (its message names the file). */
  | { noWorker: string }
  /** `reason`: "<script> (<statement>) did not finish in N s (…)". */
  | { timeout: string };

/**
 * Posts one request to the worker and waits for its result, arming a wall-clock limit of
 * `timeoutMs` on each step (the worker's progress and "running" messages re-arm it). On time-out,
 * cancellation or the worker's death, the worker is terminated (it restarts on the next request).
 * Never rejects.
 */
async function runRequest<R>(
  post: (id: number) => WorkerRequest,
  migrations: VerifyMigration[],
  fallbackSql: string,
  opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: ProgressFn },
): Promise<WorkerOutcome<R>> {
  if (opts.signal?.aborted) return { cancelled: true };
  let w: Worker;
  try {
    w = getWorker();
  } catch (e) {
    return { noWorker: (e as Error).message };
  }
  w.ref();
  const id = nextId++;
  let running: Omit<RunningScript, 'sql'> | undefined;
  let previous: Omit<RunningScript, 'sql'> | undefined;
  /**
   * The SQL of a script the worker named (looked up only when a step times out); a run of a
   * joined script (verify --to) is cut from the target (a verify request's last migration) or
   * the rollback (`fallbackSql`).
   */
  const sqlOf = (r: Omit<RunningScript, 'sql'>): string =>
    r.part
      ? (r.part.of === 'target' ? (migrations.at(-1)?.sql ?? '') : fallbackSql).slice(r.part.from, r.part.end)
      : (migrations.find((m) => `${m.name}/migration.sql` === r.script)?.sql ?? fallbackSql);
  type Outcome = { result: R } | { timeout: true } | { cancelled: true } | { died: string };
  let settle: (o: Outcome) => void = () => {};
  const outcome = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  // The limit is on each step (starting PGlite, each script): a long history that keeps moving is not cut.
  // A timer holds at most 2^31-1 ms (~24.8 days); Node fires a longer one (or Infinity) after 1 ms.
  const limitMs = Math.min(opts.timeoutMs, MAX_TIMER_MS);
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => settle({ timeout: true }), limitMs);
  };
  const onMessage = (m: WorkerMessage) => {
    if (m.id !== id) return;
    if (m.type === 'progress') {
      arm();
      opts.onProgress?.(m.message, m.step);
    } else if (m.type === 'running') {
      arm();
      previous = running;
      running = m.script;
    } else if (m.type === 'result') settle({ result: m.result as R });
    else if (m.type === 'error') settle({ died: m.message });
  };
  const onError = (e: Error) => settle({ died: e.message });
  const onExit = (code: number) => settle({ died: `the worker exited (code ${code})` });
  const onAbort = () => settle({ cancelled: true });
  arm();
  w.on('message', onMessage);
  w.on('error', onError);
  w.on('exit', onExit);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  mayHoldUnsaved.add(w);
  w.postMessage(post(id));
  const o = await outcome;
  clearTimeout(timer);
  w.off('message', onMessage);
  w.off('error', onError);
  w.off('exit', onExit);
  opts.signal?.removeEventListener('abort', onAbort);
  if ('result' in o) {
    release(w);
    return o;
  }
  if (worker === w) worker = undefined;
  void w.terminate().catch(() => {});
  if (!('timeout' in o)) return o;
  const seconds = Math.round(opts.timeoutMs / 100) / 10;
  let what = 'the embedded PostgreSQL';
  if (running) {
    const here = await suspectStatement(sqlOf(running));
    what = here ? `${running.script} (${here})` : running.script;
    // A script without statements (comments) cannot run long: PGlite was left stuck by the one
    // before it (COPY … TO PROGRAM leaves it in COPY mode), so that one is named too.
    const before = here ? undefined : previous && (await suspectStatement(sqlOf(previous)));
    if (previous && before) what = `${running.script} (after ${previous.script}, ${before})`;
  }
  return {
    timeout: `${what} did not finish in ${seconds} s (the limit is the setting prismaRollback.verify.timeoutSeconds, or --timeout).`,
  };
}

/**
 * Runs one embedded verification in the worker. Resolves with the worker's result, or with
 * couldNotVerify when one step (starting PGlite, one script) does not finish within `timeoutMs`
 * ("<script> (<statement>) did not finish in N s"), when `signal` aborts (`cancelled`), or when the worker dies; the worker is
 * terminated in those cases. Never rejects.
 */
export async function runInVerifierWorker(
  request: EmbeddedRequest,
  opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: ProgressFn },
): Promise<VerifyResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const o = await runRequest<VerifyResult>(
    (id) => ({ type: 'verify', id, request }),
    request.migrations,
    request.rollbackSql,
    opts,
  );
  if ('result' in o) return o.result;
  if ('cancelled' in o)
    return { kind: 'couldNotVerify', reason: 'Verification was cancelled.', cancelled: true, ms: ms() };
  if ('noWorker' in o) return { kind: 'couldNotVerify', reason: o.noWorker, ms: ms(), engine: 'embedded' };
  if ('died' in o)
    return {
      kind: 'couldNotVerify',
      reason: `The embedded PostgreSQL stopped: ${o.died}`,
      ms: ms(),
      engine: 'embedded',
    };
  return { kind: 'couldNotVerify', reason: o.timeout, ms: ms(), engine: 'embedded' };
}

/**
 * Replays `request.migrations` in the worker's embedded PostgreSQL, from the nearest state the
 * worker's session or the on-disk replay cache holds (./replay-cache.ts), and returns the
 * normalized snapshot (./snapshot.ts) of the result, or the migration that failed. Resolves with
 * `{ kind: 'stopped', reason }` when one step (starting PGlite, one script) does not finish within
 * `timeoutMs` (reason: "<migration>/migration.sql (<statement>) did not finish in N s (…)"), when
 * the worker's script is missing or the worker dies; with `cancelled` when `signal` aborts. The
 * worker is terminated in those cases. Never rejects. Requests must not overlap (index.ts
 * serialises them).
 */
export async function replayInVerifierWorker(
  request: EmbeddedReplayRequest,
  opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: ProgressFn },
): Promise<EmbeddedReplayResult | { kind: 'stopped'; reason: string; cancelled?: boolean }> {
  const o = await runRequest<EmbeddedReplayResult>(
    (id) => ({ type: 'replay', id, request }),
    request.migrations,
    '',
    opts,
  );
  if ('result' in o) return o.result;
  if ('cancelled' in o) return { kind: 'stopped', reason: 'The replay was cancelled.', cancelled: true };
  if ('noWorker' in o) return { kind: 'stopped', reason: o.noWorker };
  if ('died' in o) return { kind: 'stopped', reason: `The embedded PostgreSQL stopped: ${o.died}` };
  return { kind: 'stopped', reason: o.timeout };
}
