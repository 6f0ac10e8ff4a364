/**
 * Proves a rollback before anyone runs it: replays migrations 1..N-1 in an embedded
 * PostgreSQL (PGlite, in-process), snapshots the schema (A), applies migration N and then its
 * rollback, snapshots again (B), and compares. Differences → `differences`, in plain words;
 * equal, but migration N or the rollback holds a statement whose effect the snapshot cannot see
 * (a DO block, an owner change… see ./unseen.ts) or a step marked IRREVERSIBLE → `cannotProve`,
 * with the reasons; equal otherwise → `verified`. When the history needs an extension PGlite does not have, the same steps run on
 * a throwaway database created on `shadowDatabaseUrl` (and dropped afterwards, also on failure).
 *
 * Work is reused: one PGlite instance stays at the state of the last replayed prefix, so
 * verifying another migration of the same history only replays what is missing; N and the
 * rollback run inside a transaction that is rolled back (scripts with their own transaction
 * control run outside one, on a state restored afterwards from `dumpDataDir`). Results are
 * cached by the checksums of migrations 1..N and of the rollback, in memory and optionally in
 * a directory of JSON files.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs2 from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describeDbError, maskUrl } from '../db';
import type { LocalMigration } from '../migrations';
import { quoteIdent } from '../sql/names';
import {
  forEachStatement,
  initSqlParser,
  parseMigrationSync,
  type SqlStatement,
  scriptPieces,
} from '../sql/parser';
import { notInTransaction, transactionControl } from '../sql/script';
import {
  type DataProof,
  type DataRoundTripHooks,
  type DataRoundTripOutcome,
  type DataRoundTripSql,
  dataHookSql,
  runDataRoundTrip,
  unprovenData,
} from './data';
import {
  dataDirTar,
  embeddedExtensionAvailable,
  pgliteAssetDir,
  prepareEmbedded,
  startEmbedded,
} from './embedded';
import { describeFailure, embeddedLacks, locateFailure, type ScriptFailure, scriptFailure } from './failure';
import { collectGarbage, GC_EVERY_CHARS } from './gc';
import {
  defaultReplayCacheDir,
  dropReplayState,
  loadReplaySnapshot,
  loadReplayState,
  nearestCached,
  prefixKeys,
  saveReplaySnapshot,
  saveReplayState,
  writeFileAtomic,
} from './replay-cache';
import { compareSnapshots, type SchemaSnapshot, snapshotSchema } from './snapshot';
import { UnseenReading, unseenEffects } from './unseen';
import {
  disposeVerifierWorker,
  replayInVerifierWorker,
  runInVerifierWorker,
  verifierWorkerIdle,
  warmEmbeddedVerifier,
} from './worker-client';

export type { DataHookMigration, DataProof, DataRoundTripHooks, DataRoundTripSql } from './data';
export { unprovenData, valuesAnArchiveKeeps } from './data';
export { type DependentMigration, dependentMigrations } from './dependents';
export { useBaselineTierOnly } from './embedded';
export { describeFailure, type ScriptFailure } from './failure';
export {
  type Count,
  type DestructiveKind,
  type DestructiveStep,
  type PrecheckOptions,
  type PrecheckResult,
  precheckRollback,
} from './precheck';
export { DEFAULT_REPLAY_CACHE_BYTES, defaultReplayCacheDir } from './replay-cache';
export {
  findRollbackScript,
  isRollbackMigration,
  type RollbackScript,
  rollbackMigrationSuffix,
} from './rollback-file';
export { compareSnapshots, type SchemaSnapshot, snapshotSchema } from './snapshot';
export { unseenEffects } from './unseen';
export { prepareEmbeddedVerifier, verifierWorkerIdle, warmEmbeddedVerifier } from './worker-client';

/** Bumped when the verifier's judgement changes, so cached results (verdicts, replayed states and their snapshots) from older versions are ignored. 3: foreign keys' trigger state and clustered indexes are compared. */
export const VERIFIER_VERSION = 3;

/** Bumped when the seeder or the row comparison of `verify --data` changes (part of its cache key). */
const DATA_VERSION = 3;

export interface VerifyMigration {
  /** Folder name, e.g. `20240101120000_init`. */
  name: string;
  /** Contents of its `migration.sql`. */
  sql: string;
  /** Absolute path of `migration.sql` (used in failure messages). */
  path?: string;
}

/**
 * A migrations folder's history as the verifier takes it: each migration's name, the text of its
 * migration.sql (empty when it could not be read: the replay then reports it) and its path. One
 * mapping for every caller, so that their replay-cache and verdict keys agree (the editor's
 * warm-up and its Verify, the CLI, drift, resolve). Never throws.
 */
export function verifyHistory(migrations: readonly LocalMigration[]): VerifyMigration[] {
  return migrations.map((m) => ({ name: m.name, sql: m.sql ?? '', path: m.sqlPath }));
}

export interface VerifyRollbackOptions {
  /** The project's migrations in order (at least 1..N; later ones are ignored). */
  migrations: VerifyMigration[];
  /** 0-based position of migration N in `migrations`. */
  index: number;
  /** The rollback script (`down.sql`, or the `migration.sql` of a `_rollback_` migration). */
  rollbackSql: string;
  /** How the rollback is named in messages; default `down.sql`. */
  rollbackName?: string;
  /** Absolute path of the rollback file (used in failure positions). */
  rollbackPath?: string;
  /** Setting `prismaRollback.shadowDatabaseUrl`: a server on which throwaway databases may be created. */
  shadowDatabaseUrl?: string;
  /** `auto` (default): embedded, or the shadow server when an extension is missing; or force one. */
  engine?: 'auto' | 'embedded' | 'server';
  /** Directory for the on-disk result cache (one JSON file per key); none by default. */
  cacheDir?: string;
  /** Ignore cached results (still stores the new one). */
  noCache?: boolean;
  /**
   * Directory of the persistent replay cache (replayed states, ./replay-cache.ts); default
   * `defaultReplayCacheDir()`, the one the CLI and the editor share; `false`: none (the history
   * is replayed from scratch in a new process). Not used with `noCache`.
   */
  replayCacheDir?: string | false;
  /** Size cap of `replayCacheDir` in bytes (least recently used states are evicted); default 512 MiB. */
  replayCacheMaxBytes?: number;
  /**
   * Wall-clock limit of each step of the embedded PostgreSQL's work (its start, each script), in
   * ms (setting `prismaRollback.verify.timeoutSeconds`, CLI `--timeout`); default
   * DEFAULT_VERIFY_TIMEOUT_MS. Past it the worker thread is terminated and the answer is couldNotVerify
   * "<statement> did not finish in N s".
   */
  timeoutMs?: number;
  /** Cancels: the worker thread is terminated, the answer is couldNotVerify with `cancelled`. */
  signal?: AbortSignal;
  /** Progress messages; `step` counts migrations replayed, for a percentage. */
  onProgress?: ProgressFn;
  /**
   * `verify --to` (./chain.ts): the target migration and the rollback are scripts joined from
   * several files; each is run as these runs in turn, each announced by its progress message
   * (with its count in the range): in the embedded PostgreSQL (inside its one transaction, or
   * outside it, each run then a query string of its own) and on the shadow server (each run a
   * query string of its own).
   */
  segments?: ScriptSegments;
  /**
   * `verify --data` (./data.ts): prove the data instead of the schema alone — seed every table
   * before N, run N and the rollback (with the hooks' capture SQL before N and restore SQL after
   * the rollback), compare every row of every table that existed before N. `{}`: no archive, so
   * the differences show what the rollback loses. `verified` then means "data round-trips
   * exactly" (and the schema too); `differences` lists schema and row differences; results carry
   * `data` (DataProof).
   */
  data?: DataRoundTripHooks;
}

/**
 * Runs of a joined script: `end` is the character offset (in the script) where the run ends, the
 * next starts there; `message` is the progress line said before it runs.
 */
export interface ScriptSegment {
  message: string;
  end: number;
  /**
   * The file the run comes from, as messages name it (`<migration>/migration.sql`,
   * `<migration>/down.sql`), and its path: a step of the run that does not finish in time is
   * named by it (and its line in it), not by the joined script.
   */
  script?: string;
  path?: string;
}

/** The runs of the target script (`forward`) and of the rollback (`rollback`): VerifyRollbackOptions.segments. */
export interface ScriptSegments {
  forward: ScriptSegment[];
  rollback: ScriptSegment[];
}

/** How far a long replay is: `done` of `total` migrations replayed. */
export interface ProgressStep {
  done: number;
  total: number;
}

/** A progress report: the message (redact before showing: it may name a server) and, while replaying, the count. */
export type ProgressFn = (message: string, step?: ProgressStep) => void;

/** `12 of 40 migrations replayed (30%)`: the one wording of replay progress (notification, checklist step). */
export function replayProgressText(step: ProgressStep): string {
  const pct = step.total ? Math.floor((step.done / step.total) * 100) : 100;
  return `${step.done} of ${step.total} migration${step.total === 1 ? '' : 's'} replayed (${pct}%)`;
}

/** Default wall-clock limit of an embedded verification: 120 s. */
export const DEFAULT_VERIFY_TIMEOUT_MS = 120_000;

interface ResultBase {
  /** Duration of the verification that produced this result (not of the cache lookup). */
  ms: number;
  /** How many migrations before N were replayed (N-1). */
  replayed: number;
  /** Where it ran. */
  engine: 'embedded' | 'server';
  /** Served from the cache (memory or disk). */
  cached: boolean;
  /** Cache key: changes whenever migrations 1..N or the rollback change. */
  key: string;
  /** When the verification ran (ISO 8601). */
  verifiedAt: string;
  /** With `data`: what the data proof covered. */
  data?: DataProof;
}

export type VerifyResult =
  | ({ kind: 'verified' } & ResultBase)
  | ({
      kind: 'differences';
      /** One line per difference; when the rollback itself fails to apply, that failure is the only line. */
      differences: string[];
      /** The rollback's own failure (position in the rollback file), when it did not apply. */
      failure?: ScriptFailure;
    } & ResultBase)
  | ({
      /**
       * No difference was found, but the comparison cannot see everything the migration or its
       * rollback did: never shown as verified (CLI exit 2).
       */
      kind: 'cannotProve';
      /** One line per statement or marker the comparison cannot see: `migration.sql:2: a DO block (…)`. */
      reasons: string[];
    } & ResultBase)
  | {
      kind: 'couldNotVerify';
      reason: string;
      /** A migration 1..N that did not apply (name, message, line and column). */
      failure?: ScriptFailure;
      /** The verification was cancelled through `signal`. */
      cancelled?: boolean;
      ms: number;
      engine?: 'embedded' | 'server';
    };

class Cancelled extends Error {}

/** sha256 hex of a script, as Prisma's checksum. */
function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The cache key of verifying migrations[index]'s rollback. */
export function verifyCacheKey(migrations: VerifyMigration[], index: number, rollbackSql: string): string {
  const h = createHash('sha256');
  h.update(`prisma-rollback verify v${VERIFIER_VERSION}\n`);
  for (const m of migrations.slice(0, index + 1)) h.update(`${m.name}\n${sha(m.sql)}\n`);
  h.update(`rollback\n${sha(rollbackSql)}\n`);
  return h.digest('hex');
}

/** Characters hashed per turn of the event loop by verifyCacheKeyInTurns. */
const HASH_TURN_CHARS = 1 << 20;

/**
 * verifyCacheKey (the same key) computed a turn of the event loop at a time: about 1 M characters
 * of script hashed per turn (`setImmediate` between), so a 10 MB migration does not hold the
 * calling thread — the editor's — for the ~30 ms of one sha256 over it (issue 14: no block over
 * 50 ms). A cut never splits a UTF-16 surrogate pair (hashed as UTF-8, as `update(string)`
 * does). Never throws.
 */
export async function verifyCacheKeyInTurns(
  migrations: VerifyMigration[],
  index: number,
  rollbackSql: string,
): Promise<string> {
  let budget = HASH_TURN_CHARS;
  const turn = async (chars: number) => {
    budget -= chars;
    if (budget > 0) return;
    budget = HASH_TURN_CHARS;
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const shaInTurns = async (text: string): Promise<string> => {
    const h = createHash('sha256');
    let i = 0;
    do {
      let j = Math.min(text.length, i + budget);
      const c = text.charCodeAt(j - 1);
      // a high surrogate at the cut: keep the pair together (in the next piece, or in this one
      // when it is the piece's only character)
      if (j < text.length && c >= 0xd800 && c <= 0xdbff) j = j - 1 > i ? j - 1 : j + 1;
      h.update(text.slice(i, j));
      await turn(j - i);
      i = j;
    } while (i < text.length);
    return h.digest('hex');
  };
  const h = createHash('sha256');
  h.update(`prisma-rollback verify v${VERIFIER_VERSION}\n`);
  for (const m of migrations.slice(0, index + 1)) h.update(`${m.name}\n${await shaInTurns(m.sql)}\n`);
  h.update(`rollback\n${await shaInTurns(rollbackSql)}\n`);
  return h.digest('hex');
}

const memoryCache = new Map<string, VerifyResult>();

async function readCache(key: string, cacheDir?: string): Promise<VerifyResult | undefined> {
  const hit = memoryCache.get(key);
  if (hit) return hit;
  if (!cacheDir) return undefined;
  try {
    const r = JSON.parse(await fs.readFile(path.join(cacheDir, `${key}.json`), 'utf8')) as VerifyResult;
    if (r.kind === 'verified' || r.kind === 'differences' || r.kind === 'cannotProve') {
      memoryCache.set(key, r);
      return r;
    }
  } catch {
    // no entry or unreadable entry: verify again
  }
  return undefined;
}

const MEMORY_CACHE_SIZE = 2000;

async function writeCache(r: VerifyResult, cacheDir?: string): Promise<void> {
  if (r.kind === 'couldNotVerify') return;
  memoryCache.delete(r.key);
  memoryCache.set(r.key, r);
  // oldest first in a Map: keep the most recent entries
  while (memoryCache.size > MEMORY_CACHE_SIZE) memoryCache.delete(memoryCache.keys().next().value as string);
  if (!cacheDir) return;
  try {
    await writeFileAtomic(path.join(cacheDir, `${r.key}.json`), JSON.stringify(r));
  } catch {
    // a cache that cannot be written only costs time
  }
}

/** Forgets cached results in memory (the on-disk cache is keyed by content and needs no invalidation). */
export function clearVerifyCache(): void {
  memoryCache.clear();
}

// ---------------------------------------------------------------------------------------------
// What the scripts need

const EXTENSION_RE = /\bcreate\s+extension\b/i;

/** `CREATE EXTENSION` names in the scripts (read with PostgreSQL's parser; a regex when a script does not parse). */
export async function extensionsCreatedBy(scripts: string[]): Promise<string[]> {
  const names = new Set<string>();
  const candidates = scripts.filter((s) => EXTENSION_RE.test(s));
  if (candidates.length) await initSqlParser();
  for (const sql of candidates) {
    try {
      for (const st of parseMigrationSync(sql).statements) {
        const node = (st.node as { CreateExtensionStmt?: { extname?: string } }).CreateExtensionStmt;
        if (node?.extname) names.add(node.extname);
      }
    } catch {
      const stripped = sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of stripped.matchAll(
        /create\s+extension\s+(?:if\s+not\s+exists\s+)?(?:"([^"]+)"|([\w-]+))/gi,
      ))
        names.add(m[1] ?? m[2].toLowerCase());
    }
  }
  return [...names].sort();
}

/**
 * The extensions an embedded verification of this history loads: every one the whole folder
 * creates that the embedded PostgreSQL has, so verifying a later migration (and the editor's
 * warm-up before it) reuses the same instance. Throws only what `extensionsCreatedBy` throws.
 */
async function embeddedExtensionsOfFolder(migrations: readonly VerifyMigration[]): Promise<string[]> {
  return (await extensionsCreatedBy(migrations.map((m) => m.sql))).filter(embeddedExtensionAvailable);
}

/**
 * The range of the word CONCURRENTLY in a statement (start offset in the file, length), with the
 * parentheses around it when it is REINDEX's only option; undefined when it cannot be cut out
 * cleanly (one option among others).
 */
function concurrentlyCut(sql: string, st: { start: number; end: number }): [number, number] | undefined {
  const text = sql.slice(st.start, st.end);
  const alone = /\(\s*CONCURRENTLY\s*\)/i.exec(text);
  if (alone) return [st.start + alone.index, alone[0].length];
  const m = /\bCONCURRENTLY\b/i.exec(text);
  if (!m) return undefined;
  const before = text.slice(0, m.index).trimEnd().slice(-1);
  const after = text
    .slice(m.index + m[0].length)
    .trimStart()
    .charAt(0);
  if (before === '(' || before === ',' || after === ',' || after === ')') return undefined;
  return [st.start + m.index, m[0].length];
}

/**
 * What transactionBody needs of each statement of one script, gathered statement by statement
 * so that one parse can feed it and other readers (see readScript). Keeps offsets and two
 * verdicts per statement, not its parse tree (a 10 MB seed migration has ~80,000).
 */
class BodyReading {
  private readonly statements: {
    start: number;
    end: number;
    tc: ReturnType<typeof transactionControl>;
    why: ReturnType<typeof notInTransaction>;
  }[] = [];
  private unreadable = false;
  constructor(private readonly sql: string) {}
  add(st: SqlStatement): void {
    this.statements.push({
      start: st.start,
      end: st.end,
      tc: transactionControl(st),
      why: notInTransaction(st),
    });
  }
  failed(): void {
    this.unreadable = true;
  }
  body(): string | undefined {
    const { sql, statements } = this;
    if (this.unreadable)
      return /\b(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|CONCURRENTLY|VACUUM)\b/i.test(sql)
        ? undefined
        : sql;
    let from = 0;
    let to = statements.length;
    if (statements.length >= 2 && statements[0].tc === 'begin' && statements[to - 1].tc === 'commit') {
      from = 1;
      to -= 1;
    }
    // CONCURRENTLY only changes how the index is built (without blocking writers), not the schema
    // it leaves: inside our transaction the plain form is run instead.
    const cuts: [number, number][] = [];
    for (let i = from; i < to; i++) {
      const st = statements[i];
      if (st.tc) return undefined;
      const why = st.why;
      if (!why) continue;
      const cut = why.concurrently ? concurrentlyCut(sql, st) : undefined;
      if (!cut) return undefined;
      cuts.push(cut);
    }
    const bodyStart = from === 0 ? 0 : statements[0].end;
    const bodyEnd = from === 0 ? sql.length : statements[statements.length - 1].start;
    // The word is blanked, not cut: every later statement keeps its offset (the runs of a joined
    // script, ScriptSegment.end, still hold) and its line and column.
    let body = '';
    let at = bodyStart;
    for (const [c, length] of cuts) {
      body += sql.slice(at, c) + ' '.repeat(length);
      at = c + length;
    }
    return body + sql.slice(at, bodyEnd);
  }
}

/**
 * The part of a script that can run inside a transaction of ours: the script itself when it has
 * no transaction control, its body when it is one `BEGIN; … COMMIT;` block (what the generator
 * writes), with `CONCURRENTLY` blanked out of index statements (same resulting schema; every
 * offset kept); or
 * undefined when it must run on its own (other transaction control, or a statement of the table
 * in src/core/sql/script.ts: VACUUM, CREATE DATABASE…). Needs `initSqlParser()`.
 */
export function transactionBody(sql: string): string | undefined {
  return readScript({ name: '', sql }).body;
}

/**
 * One script read once by PostgreSQL's parser for everything the verifier needs of it: its
 * transaction body (transactionBody) and what the comparison cannot see of it (UnseenReading,
 * ./unseen.ts). Each statement is seen once and its parse tree dropped (issue 14: the target
 * migration used to be parsed once for each; on a 10 MB seed migration each parse takes seconds
 * and ~100 MB). Needs `initSqlParser()`; never throws for a script that does not parse (its
 * reading says so). With `opts.collect` (the verifier's worker; never the editor's thread, where a
 * full collection of its heap would block it), the thread's heap is collected after every
 * GC_EVERY_CHARS read (./gc.ts).
 */
export function readScript(
  script: { name: string; sql: string },
  opts: { collect?: boolean } = {},
): {
  body: string | undefined;
  unseen: UnseenReading;
} {
  const body = new BodyReading(script.sql);
  const unseen = new UnseenReading(script.name);
  try {
    // A large script: a full collection after every GC_EVERY_CHARS read (the parse trees and
    // their JSON are garbage piece by piece; ./gc.ts). Measured on `verify` of a 10 MB migration
    // of INSERTs (with the collections while it runs): peak RSS 273–274 MB against 278–289 MB
    // without (n=3 each, interleaved).
    let nextGc = opts.collect ? GC_EVERY_CHARS : Number.POSITIVE_INFINITY;
    forEachStatement(script.sql, undefined, (st) => {
      body.add(st);
      unseen.add(st);
      if (st.end >= nextGc) {
        collectGarbage();
        nextGc = st.end + GC_EVERY_CHARS;
      }
    });
  } catch (e) {
    body.failed();
    unseen.failed(e);
  }
  return { body: body.body(), unseen };
}

// ---------------------------------------------------------------------------------------------
// The embedded session: one PGlite kept at the state of a replayed prefix. It lives in the
// verifier's worker thread (./worker.ts); the main thread talks to it through ./worker-client.ts.

interface Session {
  db: PGlite;
  extensions: Set<string>;
  /** sha256 of each applied migration, in order. */
  applied: string[];
  /** Snapshot of the replayed state (valid while `applied` is unchanged). */
  snapshot?: SchemaSnapshot;
  /**
   * Set after N and its rollback ran outside a transaction: the database no longer is the
   * replayed state, which this dump holds; it is restored on the next use (not in the way of
   * the result being returned).
   */
  restoreFrom?: Blob;
  /**
   * Set when a replay reached a state the replay cache does not hold yet: it is saved there after
   * the result is returned (saveReplayedStateHere, which the worker calls once it posted the
   * result), or before anything changes the state — not in the way of the result (issue 14: the
   * editor's first verification waited 0.5–2.3 s for it).
   */
  unsaved?: SessionRequest;
}

let session: Session | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Saves this thread's replayed state in the replay cache when a replay left it unsaved (see
 * Session.unsaved; best effort: a state that cannot be saved only costs time next time). The
 * verifier's worker calls it after posting each result; the next request waits for it (one
 * request at a time). Never throws; leaves the session as it was.
 */
export async function saveReplayedStateHere(progress?: (m: string) => void): Promise<void> {
  const s = session;
  const req = s?.unsaved;
  if (!s || !req) return;
  s.unsaved = undefined;
  // The database no longer holds the replayed state (a run outside a transaction): nothing to save.
  if (s.restoreFrom) return;
  progress?.('Saving the replayed state in the cache');
  await saveSession(req, s);
}

/** Closes the embedded PostgreSQL of this thread (the worker calls it; it restarts on the next verification). */
export async function closeEmbeddedSession(): Promise<void> {
  const s = session;
  session = undefined;
  if (s) await s.db.close().catch(() => {});
}

/**
 * Starts an empty session with `extensions` loadable, when this thread has none (the worker's
 * warm start: the first verification then finds PGlite compiled and running). Never throws.
 */
export async function warmEmbeddedSession(extensions: string[]): Promise<void> {
  if (session) return;
  try {
    const db = await startEmbedded(extensions);
    if (session) await db.close();
    else session = { db, extensions: new Set(extensions), applied: [] };
  } catch {
    // the verification will report it
  }
}

/**
 * Warms the verifier for a project's history (the editor calls it in the background ~10 s after
 * activation, setting prismaRollback.verify.warmStart): in the verifier's worker, the state after
 * every migration but the last is loaded from the replay cache in `replayCacheDir` or replayed
 * (and saved there once replayed), and its schema read — what verifying the last migration needs
 * first — so the first verification after the warm-up only applies the migration and its
 * rollback (issue 14: ≤ 300 ms on the demo project; it replayed the history and saved it first).
 * `migrations` in order (name, sql); fewer than two: PGlite is only started. Resolves once the
 * worker is idle again (the replayed state saved). Serialised with verifications; each step limited by `timeoutMs` (default DEFAULT_VERIFY_TIMEOUT_MS). Never
 * throws: a history that does not replay here is left for the verification to report.
 */
export async function warmVerifierFor(
  migrations: VerifyMigration[],
  opts: { replayCacheDir?: string; replayCacheMaxBytes?: number; timeoutMs?: number } = {},
): Promise<void> {
  try {
    // The extensions a verification of this folder loads.
    const extensions = await embeddedExtensionsOfFolder(migrations);
    if (migrations.length < 2) {
      warmEmbeddedVerifier(extensions);
      return;
    }
    await serialize(() =>
      replayInVerifierWorker(
        {
          migrations: migrations.slice(0, -1),
          extensions,
          replayCacheDir: opts.replayCacheDir,
          replayCacheMaxBytes: opts.replayCacheMaxBytes,
          warm: true,
        },
        { timeoutMs: opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS },
      ).then(() => verifierWorkerIdle()),
    );
  } catch {
    // the verification reports what went wrong
  }
}

/**
 * Loads PGlite's module and the SQL parser and compiles their WebAssembly in this thread, starting
 * no embedded PostgreSQL (the worker's answer to prepareEmbeddedVerifier). Never throws.
 */
export async function prepareEmbeddedSession(): Promise<void> {
  await Promise.all([prepareEmbedded(), initSqlParser().catch(() => {})]);
}

/**
 * Stops the verifier's worker thread and its embedded PostgreSQL (they restart on the next
 * verification). Safe to call when none runs.
 */
export async function disposeEmbeddedVerifier(): Promise<void> {
  await disposeVerifierWorker();
}

function serialize<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
}

// ---------------------------------------------------------------------------------------------

/**
 * Verifies that `rollbackSql` undoes `migrations[index]`: see the module comment. Never throws
 * for database or script problems (they are results); throws only for programming errors.
 */
export async function verifyRollback(opts: VerifyRollbackOptions): Promise<VerifyResult> {
  const started = performance.now();
  const { migrations, index } = opts;
  if (!Number.isInteger(index) || index < 0 || index >= migrations.length)
    throw new RangeError(`index ${index} is outside the ${migrations.length} migrations`);
  let dataSql: DataRoundTripSql | undefined;
  try {
    dataSql = opts.data ? await dataHookSql(opts.data, migrations[index]) : undefined;
  } catch (e) {
    return {
      kind: 'couldNotVerify',
      reason: `The archive's SQL for ${migrations[index].name} could not be built: ${(e as Error).message}`,
      ms: Math.round(performance.now() - started),
    };
  }
  // In turns of the event loop: the caller may be the editor's thread (issue 14).
  const plainKey = await verifyCacheKeyInTurns(migrations, index, opts.rollbackSql);
  const key = dataSql ? sha(`${plainKey}\ndata v${DATA_VERSION}\n${JSON.stringify(dataSql)}`) : plainKey;
  if (!opts.noCache) {
    const hit = await readCache(key, opts.cacheDir);
    if (hit) return { ...hit, cached: true } as VerifyResult;
  }
  const elapsed = () => Math.round(performance.now() - started);
  const progress = opts.onProgress ?? (() => {});
  try {
    const needed = await extensionsCreatedBy([
      ...migrations.slice(0, index + 1).map((m) => m.sql),
      opts.rollbackSql,
    ]);
    const missing = needed.filter((e) => !embeddedExtensionAvailable(e));
    let engine = opts.engine ?? 'auto';
    if (engine === 'auto') engine = missing.length && opts.shadowDatabaseUrl ? 'server' : 'embedded';
    let result: VerifyResult;
    if (engine === 'embedded') {
      if (missing.length) {
        return {
          kind: 'couldNotVerify',
          reason: `Cannot verify here: extension${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} not available in the embedded PostgreSQL; set prismaRollback.shadowDatabaseUrl to verify on a real server.`,
          ms: elapsed(),
          engine: 'embedded',
        };
      }
      const all = await embeddedExtensionsOfFolder(migrations);
      const request: EmbeddedRequest = {
        migrations: migrations.slice(0, index + 1),
        index,
        rollbackSql: opts.rollbackSql,
        rollbackName: opts.rollbackName,
        rollbackPath: opts.rollbackPath,
        key,
        extensions: [...new Set([...needed, ...all])],
        replayCacheDir:
          opts.noCache || opts.replayCacheDir === false
            ? undefined
            : (opts.replayCacheDir ?? defaultReplayCacheDir()),
        replayCacheMaxBytes: opts.replayCacheMaxBytes,
        data: dataSql,
        segments: opts.segments,
      };
      result = await serialize(() =>
        runInVerifierWorker(request, {
          timeoutMs: opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS,
          signal: opts.signal,
          onProgress: progress,
        }),
      );
      if (result.kind === 'couldNotVerify' && result.cancelled) throw new Cancelled();
      result = { ...result, ms: elapsed() };
      // The migration or its rollback failing on the rows seeded for the data proof (SQLSTATE class
      // 22 data exception, 23 integrity constraint violation: PostgreSQL 15 docs, Appendix A) fails
      // the same way on any server whose tables hold rows: no shadow server changes that.
      const failure = result.kind === 'couldNotVerify' ? result.failure : undefined;
      if (
        result.kind === 'couldNotVerify' &&
        dataSql &&
        failure &&
        /^2[23]/.test(failure.code ?? '') &&
        [migrations[index].name, opts.rollbackName ?? 'down.sql'].includes(failure.script)
      ) {
        result = {
          ...result,
          reason: `${result.reason}. It fails on the seeded rows: it fails the same way on a database whose tables hold rows, so there is no round trip to check.`,
        };
      }
      // A history that does not apply in the embedded PostgreSQL (roles, settings or objects of the
      // hosting platform…) may apply on a real server: try the shadow server when there is one.
      else if (result.kind === 'couldNotVerify' && result.failure && opts.engine !== 'embedded') {
        if (opts.shadowDatabaseUrl) {
          progress(
            'The history does not apply in the embedded PostgreSQL; trying the shadow database server',
          );
          const onServer = await verifyOnServer(
            opts,
            key,
            opts.shadowDatabaseUrl,
            progress,
            started,
            dataSql,
          );
          result =
            onServer.kind === 'couldNotVerify' && !onServer.failure
              ? { ...result, reason: `${result.reason} (and on the shadow server: ${onServer.reason})` }
              : onServer;
        } else {
          result = {
            ...result,
            reason: `${result.reason}. If it applies on your servers, set prismaRollback.shadowDatabaseUrl to verify on a real server.`,
          };
        }
      }
    } else {
      if (!opts.shadowDatabaseUrl)
        return {
          kind: 'couldNotVerify',
          reason:
            'No shadow database is configured: set prismaRollback.shadowDatabaseUrl to verify on a real server.',
          ms: elapsed(),
          engine: 'server',
        };
      result = await verifyOnServer(opts, key, opts.shadowDatabaseUrl, progress, started, dataSql);
    }
    await writeCache(result, opts.cacheDir);
    return result;
  } catch (e) {
    if (e instanceof Cancelled)
      return {
        kind: 'couldNotVerify',
        reason: 'Verification was cancelled.',
        cancelled: true,
        ms: elapsed(),
      };
    throw e;
  }
}

/**
 * Lets pending events run (PGlite works on the caller's thread, so an editor's Cancel could not
 * arrive otherwise), then stops if the run was cancelled.
 */
async function checkAbort(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal?.aborted) throw new Cancelled();
}

/**
 * SQL that may leave state in its session beyond the database's files: `SET` (not LOCAL),
 * `set_config(…)`, `SET ROLE` / `SESSION AUTHORIZATION`, temporary tables, prepared statements,
 * cursors. A cheap over-approximation (an `UPDATE … SET a = 1` matches too: one DISCARD more).
 */
const SESSION_STATE_RE =
  /\bset_config\s*\(|\bset\s+(?:session\s+)?(?:role\b|session\s+authorization\b|[a-z_][\w.]*\s*(?:=|\bto\b))|\b(?:temp|temporary)\s+(?:table|view|sequence)\b|\bprepare\s+\w|\bdeclare\s+\w/i;

/** SQL that may open a transaction block (PL/pgSQL's BEGIN matches too: one probe more). */
const TRANSACTION_START_RE = /\b(?:begin|start\s+transaction)\b/i;

/**
 * Whether the session of `exec` is inside a transaction block: SAVEPOINT succeeds only there
 * (PostgreSQL docs "SAVEPOINT"); released at once. Never throws.
 */
async function inTransactionBlock(exec: (sql: string) => Promise<unknown>): Promise<boolean> {
  try {
    await exec('SAVEPOINT prisma_rollback_probe');
  } catch {
    return false;
  }
  await exec('RELEASE SAVEPOINT prisma_rollback_probe').catch(() => {});
  return true;
}

/**
 * Applies `migrations[from..to)` with `exec`, reporting progress; returns the failure of the
 * first one that fails. `afterEach` runs after each migration that applied, before `onApplied`;
 * a failure it returns is that migration's.
 */
async function replay(
  exec: (sql: string) => Promise<unknown>,
  migrations: VerifyMigration[],
  from: number,
  to: number,
  signal: AbortSignal | undefined,
  progress: ProgressFn,
  onApplied: (m: VerifyMigration) => void = () => {},
  running: (script: RunningScript) => void = () => {},
  afterEach?: (m: VerifyMigration) => Promise<ScriptFailure | undefined>,
): Promise<ScriptFailure | undefined> {
  const step = Math.max(1, Math.ceil((to - from) / 20));
  for (let i = from; i < to; i++) {
    await checkAbort(signal);
    if ((i - from) % step === 0)
      progress(`Replaying migration ${i + 1} of ${to}: ${migrations[i].name}`, { done: i, total: to });
    const m = migrations[i];
    try {
      running({ script: `${m.name}/migration.sql`, sql: m.sql, path: m.path });
      await exec(m.sql);
    } catch (e) {
      return locateFailure(exec, m.sql, scriptFailure(e, m.sql, m.name, m.path));
    }
    const left = await afterEach?.(m);
    if (left) return left;
    onApplied(m);
  }
  if (to > from) progress(`Replayed ${to} migration${to === 1 ? '' : 's'}`, { done: to, total: to });
  return undefined;
}

/** What the comparison of migrations[index] and its rollback cannot see (./unseen.ts). */
async function unseenOf(
  opts: Pick<VerifyRollbackOptions, 'migrations' | 'index' | 'rollbackName' | 'rollbackSql'>,
): Promise<string[]> {
  await initSqlParser();
  const target = opts.migrations[opts.index];
  return unseenEffects(
    { name: `${target.name}/migration.sql`, sql: target.sql },
    { name: opts.rollbackName ?? 'down.sql', sql: opts.rollbackSql },
  );
}

function historyFailure(
  f: ScriptFailure,
  where: string,
  ms: number,
  engine: 'embedded' | 'server',
): VerifyResult {
  const lack = engine === 'embedded' ? embeddedLacks(f) : undefined;
  return {
    kind: 'couldNotVerify',
    reason: `Migration ${f.script} failed to apply ${where}: ${describeFailure(f)}${lack ? ` — ${lack}` : ''}`,
    failure: f,
    ms,
    engine,
  };
}

/**
 * The rollback failed in the embedded PostgreSQL on something it lacks (embeddedLacks): not a
 * difference — the verification could not run there. `failure` sends it to the shadow server
 * when one is set (verifyRollback).
 */
function rollbackNotRunHere(f: ScriptFailure, lack: string, ms: number): VerifyResult {
  return {
    kind: 'couldNotVerify',
    reason: `${f.script} failed to apply in the embedded PostgreSQL: ${describeFailure(f)} — ${lack}`,
    failure: f,
    ms,
    engine: 'embedded',
  };
}

function judged(
  before: SchemaSnapshot,
  after: SchemaSnapshot | ScriptFailure,
  base: Omit<ResultBase, 'ms' | 'verifiedAt'>,
  started: number,
  unseen: string[],
): VerifyResult {
  const common = {
    ...base,
    ms: Math.round(performance.now() - started),
    verifiedAt: new Date().toISOString(),
  };
  if ('script' in after && 'message' in after) {
    return {
      kind: 'differences',
      differences: [`${after.script} failed to apply: ${describeFailure(after)}`],
      failure: after,
      ...common,
    };
  }
  const differences = compareSnapshots(before, after as SchemaSnapshot);
  if (differences.length) return { kind: 'differences', differences, ...common };
  if (unseen.length) return { kind: 'cannotProve', reasons: unseen, ...common };
  return { kind: 'verified', ...common };
}

/** A script the embedded PostgreSQL is about to run (posted by the worker before each one, for the time-out message). */
export interface RunningScript {
  /** `<migration>/migration.sql`, or the rollback's name. */
  script: string;
  sql: string;
  path?: string;
  /**
   * When the script is one run of a joined script (verify --to, ScriptSegment.script): the
   * script it is cut from (the request's target migration or its rollback) and the run's
   * character range in it, so that the calling thread finds its SQL without the worker copying it.
   */
  part?: { of: 'target' | 'rollback'; from: number; end: number };
}

/** What the worker needs to verify one rollback in its embedded PostgreSQL (structured-cloneable). */
export interface EmbeddedRequest {
  migrations: VerifyMigration[];
  index: number;
  rollbackSql: string;
  rollbackName?: string;
  rollbackPath?: string;
  /** The result's cache key (verifyCacheKey). */
  key: string;
  /** Extensions to load (all available ones the folder creates). */
  extensions: string[];
  /** Directory of the persistent replay cache (./replay-cache.ts); none: replay from scratch. */
  replayCacheDir?: string;
  /** Its size cap in bytes. */
  replayCacheMaxBytes?: number;
  /** `verify --data`: the archive's SQL (empty lists without an archive). */
  data?: DataRoundTripSql;
  /** VerifyRollbackOptions.segments. */
  segments?: ScriptSegments;
}

/** The embedded PostgreSQL's build and the loaded extensions: part of every replay-cache key. */
function embeddedContext(extensions: Set<string>): string {
  const dir = pgliteAssetDir();
  const size = (f: string) => {
    try {
      return fs2.statSync(path.join(dir, f)).size;
    } catch {
      return 0;
    }
  };
  return `pglite.wasm ${size('pglite.wasm')} pglite.data ${size('pglite.data')} verifier ${VERIFIER_VERSION}\nextensions ${[...extensions].sort().join(',')}`;
}

/** A cached state read and inflated ahead of its use (prefetchReplayState). */
let prefetched: { dir: string; key: string; state: Promise<Uint8Array | undefined> } | undefined;

/**
 * Reads and inflates, in the background, the replayed state startSession will load for `req`
 * (the nearest one the replay cache holds at or below `req.index`), when this thread has no
 * session yet: the worker calls it as the request arrives, while PGlite's and the parser's
 * WebAssembly may still be compiling (prepareEmbeddedSession), so the file's read, its sha256 and
 * zlib's inflation (~0.1–0.2 s for an 800-migration state, on libuv's thread pool) overlap them
 * (issue 14). startSession takes the bytes when it wants that key; the state a session needs is
 * the same (sessionAt: no session to reuse). Never throws; a failure only leaves startSession
 * to read the file itself.
 */
export function prefetchReplayState(req: EmbeddedRequest): void {
  const dir = req.replayCacheDir;
  if (session || !dir) return;
  try {
    const keys = prefixKeys(req.migrations, req.index, embeddedContext(new Set(req.extensions)));
    const k = nearestCached(dir, keys);
    if (k === 0) return;
    // Damaged gzip: the raw bytes, which startEmbedded then refuses as it would have (and the state is dropped).
    const state = loadReplayState(dir, keys[k]).then((b) => b && dataDirTar(b).catch(() => b));
    state.catch(() => {});
    prefetched = { dir, key: keys[k], state };
  } catch {
    prefetched = undefined;
  }
}

/** The prefetched state of `key`, if prefetchReplayState read it (once: it is let go). */
function takePrefetched(dir: string, key: string): Promise<Uint8Array | undefined> | undefined {
  const p = prefetched;
  prefetched = undefined;
  return p && p.dir === dir && p.key === key ? p.state.catch(() => undefined) : undefined;
}

/**
 * Starts a session at the nearest replayed state the replay cache holds at or below `index`
 * (a damaged or unloadable state is deleted and the next one down is tried), else at an empty
 * database.
 */
async function startSession(
  req: SessionRequest,
  index: number,
  extensions: Set<string>,
  progress: ProgressFn,
): Promise<Session> {
  const dir = req.replayCacheDir;
  if (dir) {
    const keys = prefixKeys(req.migrations, index, embeddedContext(extensions));
    for (let k = nearestCached(dir, keys); k > 0; k = nearestCached(dir, keys.slice(0, k))) {
      const state = (await takePrefetched(dir, keys[k])) ?? (await loadReplayState(dir, keys[k]));
      if (state) {
        progress(`Loading the replayed state of migrations 1..${k} from the cache`);
        try {
          const db = await startEmbedded(extensions, { loadDataDir: state });
          return { db, extensions, applied: req.migrations.slice(0, k).map((m) => sha(m.sql)) };
        } catch {
          // PGlite refused it: rebuild
        }
      }
      await dropReplayState(dir, keys[k]);
    }
  }
  progress('Starting the embedded PostgreSQL');
  return { db: await startEmbedded(extensions), extensions, applied: [] };
}

/** Saves the session's replayed state in the replay cache when it is not there yet (best effort). */
async function saveSession(req: SessionRequest, s: Session): Promise<void> {
  const dir = req.replayCacheDir;
  if (!dir || s.applied.length === 0) return;
  const keys = prefixKeys(req.migrations, s.applied.length, embeddedContext(s.extensions));
  const key = keys[s.applied.length];
  if (nearestCached(dir, [keys[0], key]) === 1) return;
  try {
    // A dump of a running instance loads as after a crash: PostgreSQL replays the WAL from the
    // last checkpoint before it accepts a query (PostgreSQL docs, "WAL Configuration"). After
    // CHECKPOINT there is next to nothing to replay (800 migrations: ~0.45 s → ~0.1 s at every
    // load), and with `wal_recycle = off` (POSTGRESQL_CONF) the WAL it no longer needs is gone.
    await s.db.exec('CHECKPOINT');
    const dump = await s.db.dumpDataDir('gzip');
    await saveReplayState(dir, key, new Uint8Array(await dump.arrayBuffer()), req.replayCacheMaxBytes);
  } catch {
    // a state that cannot be saved only costs time next time
  }
}

/**
 * The snapshot of the session's replayed state: kept on the session, else read from the replay
 * cache (saved beside the state of the same key), else read from the catalogs and saved there.
 */
async function sessionSnapshot(req: SessionRequest, s: Session): Promise<SchemaSnapshot> {
  if (s.snapshot) return s.snapshot;
  const dir = req.replayCacheDir;
  const key =
    dir && s.applied.length > 0
      ? prefixKeys(req.migrations, s.applied.length, embeddedContext(s.extensions))[s.applied.length]
      : undefined;
  const cached = dir && key ? await loadReplaySnapshot<SchemaSnapshot>(dir, key) : undefined;
  s.snapshot = cached ?? (await snapshotSchema((q) => s.db.query(q)));
  if (dir && key && !cached) await saveReplaySnapshot(dir, key, s.snapshot, req.replayCacheMaxBytes);
  return s.snapshot;
}

/** What a session is built from: the history, the extensions to load, the replay cache. */
interface SessionRequest {
  migrations: VerifyMigration[];
  extensions: string[];
  replayCacheDir?: string;
  replayCacheMaxBytes?: number;
  /**
   * Schema put first on the search path before replaying (Prisma's `?schema=`). A `SET` does not
   * survive a state loaded from the replay cache, so it is set again on every request; the
   * history then starts with a migration that creates the schema (its checksum keeps such states
   * apart from the ones without it).
   */
  searchPath?: string;
}

/** Whether this thread's session holds exactly the state after `req.migrations[0..index)` with `extensions`. */
function holds(req: SessionRequest, index: number, extensions: Set<string>): boolean {
  return (
    !!session &&
    !session.restoreFrom &&
    session.applied.length === index &&
    [...extensions].every((e) => session!.extensions.has(e)) &&
    req.migrations.slice(0, index).every((m, i) => sha(m.sql) === session!.applied[i])
  );
}

/**
 * Brings this thread's session to the state after `req.migrations[0..index)`: reuses it when it
 * holds a prefix of them (and no longer prefix is in the replay cache), else starts one from the
 * nearest cached state (or an empty database), restores it after a verification that ran outside a
 * transaction, replays what is missing and saves the new state in the replay cache. Returns the
 * session and how many migrations it replayed now (the rest were reused), or the failure of the
 * first migration that did not apply (the session is then closed: what that migration left is
 * unknown; the next request starts again from the replay cache or an empty database).
 */
async function sessionAt(
  req: SessionRequest,
  index: number,
  progress: (m: string) => void,
  running: (script: RunningScript) => void,
): Promise<{ session: Session; ran: number } | ScriptFailure> {
  // A state an earlier request left unsaved (run in this thread without the worker's flush).
  await saveReplayedStateHere(progress);
  const extensions = new Set(req.extensions);
  const { migrations } = req;
  const hashes = migrations.slice(0, index).map((m) => sha(m.sql));
  let reusable =
    session &&
    [...extensions].every((e) => session!.extensions.has(e)) &&
    session.applied.length <= index &&
    session.applied.every((h, i) => h === hashes[i]);
  // A longer prefix in the replay cache beats the session (a warm start's empty one, say).
  if (reusable && req.replayCacheDir && session!.applied.length < index) {
    const keys = prefixKeys(migrations, index, embeddedContext(extensions));
    if (nearestCached(req.replayCacheDir, keys) > session!.applied.length) reusable = false;
  }
  if (!reusable) {
    await closeEmbeddedSession();
    session = await startSession(req, index, extensions, progress);
  }
  prefetched = undefined;
  if (session!.restoreFrom) {
    progress('Restoring the replayed state');
    const { db, restoreFrom, ...rest } = session!;
    session = undefined;
    await db.close().catch(() => {});
    session = { ...rest, db: await startEmbedded(rest.extensions, { loadDataDir: restoreFrom }) };
  }
  const s = session!;
  const searchPath = async () => {
    if (req.searchPath) await s.db.exec(`SET search_path TO ${quoteIdent(req.searchPath)}`);
  };
  await searchPath();
  const appliedBefore = s.applied.length;
  const failed = await replay(
    (sql) => s.db.exec(sql),
    migrations,
    s.applied.length,
    index,
    undefined,
    progress,
    (m) => {
      s.applied.push(sha(m.sql));
      s.snapshot = undefined;
    },
    running,
    async (m) => {
      // A transaction the migration opened and left open: what it did is not committed, so a
      // state saved in the replay cache would not hold it while the next migrations of this
      // replay saw it — two verdicts for one history. Its failure (the session is then closed).
      if (TRANSACTION_START_RE.test(m.sql) && (await inTransactionBlock((q) => s.db.exec(q)))) {
        await s.db.exec('ROLLBACK').catch(() => {});
        return {
          script: m.name,
          path: m.path,
          message:
            'the migration leaves a transaction open (BEGIN without COMMIT): what it did is not committed; end it with COMMIT',
        };
      }
      // A state loaded from the replay cache is a new session: what a migration set for its own
      // session (SET, set_config(…, false), a temporary table) is not in it. Dropped here too
      // (DISCARD ALL: as a new connection, PostgreSQL docs "DISCARD"), so a replay and a cached
      // state give the next migration the same session, hence the same verdict.
      if (!SESSION_STATE_RE.test(m.sql)) return undefined;
      await s.db.exec('DISCARD ALL').catch(() => {});
      await searchPath();
      return undefined;
    },
  );
  if (failed) {
    // What the failed migration left (a BEGIN … COMMIT block of its own that committed, an aborted
    // transaction still open) is in the database but not in `applied`: the session no longer holds
    // a known state, and reused it failed every later request ("current transaction is aborted")
    // or replayed a fixed migration on top of it (and saved that in the replay cache).
    await closeEmbeddedSession();
    return failed;
  }
  // Saved once the result is out (saveReplayedStateHere), not before it.
  if (s.applied.length > appliedBefore && req.replayCacheDir) s.unsaved = req;
  return { session: s, ran: s.applied.length - appliedBefore };
}

/** What the worker needs to replay a history for drift (structured-cloneable). */
export interface EmbeddedReplayRequest extends SessionRequest {
  /** Every migration to replay, in order. */
  migrations: VerifyMigration[];
  /** Extensions to load. */
  extensions: string[];
  /**
   * The warm-up (warmVerifierFor): the session is brought to that state even when the replay
   * cache holds its snapshot alone, and the catalogs a snapshot reads are read once (a fresh
   * instance's first snapshot costs 2–3× a later one).
   */
  warm?: boolean;
}

/** The worker's answer to an EmbeddedReplayRequest. */
export type EmbeddedReplayResult =
  | {
      kind: 'snapshot';
      snapshot: SchemaSnapshot;
      /** Migrations whose state was reused (the worker's session or the on-disk replay cache). */
      reused: number;
      /** Migrations replayed by this request. */
      ran: number;
    }
  | { kind: 'failed'; failure: ScriptFailure };

/**
 * Replays `req.migrations` in this thread's session (the verifier's worker thread calls it; see
 * ./worker.ts), from the nearest state the session or the replay cache holds, and snapshots the
 * result with the verifier's snapshot (./snapshot.ts). The session stays at that state (a later
 * verification of the same prefix reuses it). Throws only for PGlite's own failures (start,
 * snapshot); a migration that does not apply is `failed`.
 */
export async function replayEmbeddedHere(
  req: EmbeddedReplayRequest,
  progress: (m: string) => void,
  running: (script: RunningScript) => void,
): Promise<EmbeddedReplayResult> {
  const index = req.migrations.length;
  // The whole history's snapshot in the replay cache: no PGlite needed (unless this thread's
  // session already holds that state).
  const extensions = new Set(req.extensions);
  if (req.replayCacheDir && index > 0 && !req.warm && !holds(req, index, extensions)) {
    const key = prefixKeys(req.migrations, index, embeddedContext(extensions))[index];
    const snapshot = await loadReplaySnapshot<SchemaSnapshot>(req.replayCacheDir, key);
    if (snapshot) return { kind: 'snapshot', snapshot, reused: index, ran: 0 };
  }
  const at = await sessionAt(req, index, progress, running);
  if (!('session' in at)) return { kind: 'failed', failure: at };
  const s = at.session;
  progress('Reading the replayed schema');
  // The warm-up reads the catalogs even when the replay cache holds the snapshot: that is what
  // warms them for the verification's own snapshots.
  if (req.warm) s.snapshot = await snapshotSchema((q) => s.db.query(q));
  const snapshot = await sessionSnapshot(req, s);
  // …and the SQL parser a verification reads its scripts with (~0.1 s to compile) is loaded.
  if (req.warm) await initSqlParser().catch(() => {});
  return { kind: 'snapshot', snapshot, reused: index - at.ran, ran: at.ran };
}

/**
 * Runs one embedded verification in this thread (the verifier's worker thread calls it; see
 * ./worker.ts): reuses the session when it holds a prefix of the history, else starts one from
 * the replay cache. `running` is told before each script runs. Results carry `ms` measured
 * here; the caller replaces it with its own.
 */
export async function verifyEmbeddedHere(
  req: EmbeddedRequest,
  progress: ProgressFn,
  running: (script: RunningScript) => void,
): Promise<VerifyResult> {
  const started = performance.now();
  const { migrations, index } = req;
  const rollbackName = req.rollbackName ?? 'down.sql';
  const ms = () => Math.round(performance.now() - started);
  // The parser loads while the session starts: its WebAssembly compiles off this thread, which
  // PGlite's start keeps busy (issue 14). Its failure, if any, is the one awaited below.
  const parser = initSqlParser();
  parser.catch(() => {});
  const at = await sessionAt(req, index, progress, running);
  if (!('session' in at)) return historyFailure(at, 'in the embedded PostgreSQL', ms(), 'embedded');
  const s = at.session;
  const exec = (sql: string) => s.db.exec(sql);
  const before = await sessionSnapshot(req, s);
  const target = migrations[index];
  const base = { replayed: index, engine: 'embedded' as const, cached: false, key: req.key };
  const targetScript = { script: `${target.name}/migration.sql`, sql: target.sql, path: target.path };
  const rollbackScript = { script: rollbackName, sql: req.rollbackSql, path: req.rollbackPath };
  if (req.data) return verifyDataEmbedded(s, req, before, base, started, progress, running);
  // Each script parsed once, for what the comparison cannot see and for its transaction body.
  await parser;
  const forward = readScript({ name: `${target.name}/migration.sql`, sql: target.sql }, { collect: true });
  const back = readScript({ name: rollbackName, sql: req.rollbackSql }, { collect: true });
  const unseen = unseenEffects(forward.unseen, { name: rollbackName, sql: req.rollbackSql }, back.unseen);
  const forwardBody = forward.body;
  const rollbackBody = back.body;
  // A large script: the parse's garbage (and PGlite's start's) collected before it runs (./gc.ts).
  if (target.sql.length + req.rollbackSql.length >= GC_EVERY_CHARS) collectGarbage();

  // Fast path: N and the rollback in one transaction that is rolled back.
  if (forwardBody !== undefined && rollbackBody !== undefined) {
    // A joined script (verify --to) runs file by file, each said with its count, when its body
    // keeps the script's offsets (no BEGIN/COMMIT taken out; a CONCURRENTLY is blanked, not cut):
    // the runs' offsets hold.
    const forwardRuns = forwardBody.length === target.sql.length ? req.segments?.forward : undefined;
    const rollbackRuns = rollbackBody.length === req.rollbackSql.length ? req.segments?.rollback : undefined;
    if (!forwardRuns || !rollbackRuns) progress(`Applying ${target.name} and ${rollbackName}`);
    let outcome: SchemaSnapshot | undefined;
    await s.db.exec('BEGIN');
    try {
      // Piece by piece inside our transaction (same effect): PostgreSQL parses a whole query
      // string before running it, and PGlite's memory never shrinks back.
      // A large script: a full collection after every GC_EVERY_CHARS run (./gc.ts).
      const inPieces = async (text: string) => {
        let sinceGc = 0;
        for (const piece of scriptPieces(text)) {
          await s.db.exec(piece);
          sinceGc += piece.length;
          if (sinceGc >= GC_EVERY_CHARS) {
            collectGarbage();
            sinceGc = 0;
          }
        }
      };
      running(targetScript);
      await execInRuns(forwardBody, forwardRuns, progress, inPieces, runningPart(running, 'target'));
      running(rollbackScript);
      await execInRuns(rollbackBody, rollbackRuns, progress, inPieces, runningPart(running, 'rollback'));
      progress('Comparing schemas');
      outcome = await snapshotSchema((q) => s.db.query(q));
    } catch {
      // decided below, outside a transaction, where the error is authoritative
    } finally {
      await s.db.exec('ROLLBACK');
    }
    if (outcome) return judged(before, outcome, base, started, unseen);
  }

  // Outside a transaction, as `prisma migrate deploy` and `prisma db execute` would run them;
  // the replayed state is saved first and restored afterwards.
  progress('Saving the replayed state');
  // The replayed state goes into the replay cache before the run outside a transaction changes it.
  await saveReplayedStateHere(progress);
  const saved = await s.db.dumpDataDir('none');
  try {
    // A joined script (verify --to) runs file by file here too, each said with its count.
    const forwardRuns = req.segments?.forward;
    const rollbackRuns = req.segments?.rollback;
    if (!forwardRuns) progress(`Applying ${target.name}`);
    running(targetScript);
    const failed = await runLocated(
      exec,
      target.sql,
      forwardRuns,
      progress,
      target.name,
      target.path,
      runningPart(running, 'target'),
    );
    if (failed) return historyFailure(failed, 'in the embedded PostgreSQL', ms(), 'embedded');
    if (!rollbackRuns) progress(`Applying ${rollbackName}`);
    running(rollbackScript);
    const rollbackFailed = await runLocated(
      exec,
      req.rollbackSql,
      rollbackRuns,
      progress,
      rollbackName,
      req.rollbackPath,
      runningPart(running, 'rollback'),
    );
    if (rollbackFailed) {
      const lack = embeddedLacks(rollbackFailed);
      if (lack) return rollbackNotRunHere(rollbackFailed, lack, ms());
      return judged(before, rollbackFailed, base, started, unseen);
    }
    progress('Comparing schemas');
    return judged(before, await snapshotSchema((q) => s.db.query(q)), base, started, unseen);
  } finally {
    s.restoreFrom = saved;
  }
}

/** An error of one run of a joined script (execInRuns): the run's text and where it starts. */
class RunFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly from: number,
    readonly text: string,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Called before each run of a joined script that names its file (ScriptSegment.script). */
type OnRun = (run: ScriptSegment, from: number, end: number, text: string) => void;

/**
 * The OnRun that tells `running` (the worker's time-out watch) which file of the joined `of`
 * script runs now: a step that does not finish is then named by that file and its line.
 */
function runningPart(running: (script: RunningScript) => void, of: 'target' | 'rollback'): OnRun {
  return (run, from, end, text) => {
    if (run.script) running({ script: run.script, path: run.path, sql: text, part: { of, from, end } });
  };
}

/**
 * Runs `sql` with `exec` as one script, or with `runs` (ScriptSegment, offsets in `sql`) run by run,
 * each announced by its message (each run then is its own query string, as `prisma migrate deploy`
 * runs each migration) and told to `onRun`. Throws what `exec` throws; with runs, wrapped in
 * RunFailed (runLocated reads it).
 */
async function execInRuns(
  sql: string,
  runs: ScriptSegment[] | undefined,
  progress: ProgressFn,
  exec: (sql: string) => Promise<unknown>,
  onRun?: OnRun,
): Promise<void> {
  if (!runs?.length) {
    await exec(sql);
    return;
  }
  let from = 0;
  for (const run of runs) {
    progress(run.message);
    const end = Math.max(from, run.end);
    const text = sql.slice(from, end);
    onRun?.(run, from, end, text);
    try {
      if (text.trim()) await exec(text);
    } catch (e) {
      throw new RunFailed(e, from, text);
    }
    from = Math.max(from, run.end);
  }
  const rest = sql.slice(from);
  try {
    if (rest.trim()) await exec(rest);
  } catch (e) {
    throw new RunFailed(e, from, rest);
  }
}

/**
 * Runs script `name` (`sql`, at `file`) with execInRuns; undefined when it ran, else its failure
 * located (locateFailure) in the run that failed, in lines of `sql`. The one way both engines run
 * the target migration and its rollback outside the fast path.
 */
async function runLocated(
  exec: (sql: string) => Promise<unknown>,
  sql: string,
  runs: ScriptSegment[] | undefined,
  progress: ProgressFn,
  name: string,
  file?: string,
  onRun?: OnRun,
): Promise<ScriptFailure | undefined> {
  try {
    await execInRuns(sql, runs, progress, exec, onRun);
    return undefined;
  } catch (e) {
    // The error and the text it ran in (the whole `sql` when it ran as one).
    const r = e instanceof RunFailed ? e : { cause: e, from: 0, text: sql };
    const f = await locateFailure(exec, r.text, scriptFailure(r.cause, r.text, name, file));
    return shiftFailure(f, sql, r.from);
  }
}

/** A failure located in the run of `sql` starting at `from`, given in lines of `sql` (runs start at a line's start). */
function shiftFailure(f: ScriptFailure, sql: string, from: number): ScriptFailure {
  if (!from || f.line === undefined) return f;
  const before = (sql.slice(0, from).match(/\n/g) ?? []).length;
  return { ...f, line: f.line + before };
}

/** The URL of another database on the same server. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function verifyOnServer(
  opts: VerifyRollbackOptions,
  key: string,
  url: string,
  progress: ProgressFn,
  started: number,
  dataSql?: DataRoundTripSql,
): Promise<VerifyResult> {
  const ms = () => Math.round(performance.now() - started);
  const { migrations, index } = opts;
  const rollbackName = opts.rollbackName ?? 'down.sql';
  return onShadowServer<VerifyResult>(
    {
      url,
      prefix: 'prisma_rollback_verify',
      migrations,
      to: index,
      scripts: [migrations[index].sql, opts.rollbackSql],
      signal: opts.signal,
      progress,
    },
    {
      cannotCreate: (e) => {
        const privilege = (e as { code?: string }).code === '42501';
        return {
          kind: 'couldNotVerify',
          reason: privilege
            ? `Cannot create a throwaway database on the shadow database server: the user needs the CREATEDB privilege (${describeDbError(e, url)}).`
            : `Cannot use the shadow database server: ${describeDbError(e, url)}`,
          ms: ms(),
          engine: 'server',
        };
      },
      historyFailed: (f) => historyFailure(f, 'on the shadow database server', ms(), 'server'),
      serverFailed: (e) => ({
        kind: 'couldNotVerify',
        reason: `The shadow database server failed: ${describeDbError(e, url)}`,
        ms: ms(),
        engine: 'server',
      }),
    },
    async (exec) => {
      await checkAbort(opts.signal);
      const before = await snapshotSchema(exec);
      const target = migrations[index];
      if (dataSql) {
        progress(`Seeding every table, then applying ${target.name} and ${rollbackName}`);
        const outcome = await runDataRoundTrip(
          { query: exec, exec },
          { before, forward: target.sql, rollback: opts.rollbackSql, hooks: dataSql, transaction: 'own' },
        );
        return judgedData(
          outcome,
          { replayed: index, engine: 'server', cached: false, key },
          started,
          { ...target, rollbackName, rollbackPath: opts.rollbackPath },
          exec,
          'on the shadow database server',
        );
      }
      // A joined script (verify --to) runs file by file, each said with its count.
      const forwardRuns = opts.segments?.forward;
      const rollbackRuns = opts.segments?.rollback;
      if (!forwardRuns) progress(`Applying ${target.name}`);
      const failed = await runLocated(exec, target.sql, forwardRuns, progress, target.name, target.path);
      if (failed) return historyFailure(failed, 'on the shadow database server', ms(), 'server');
      await checkAbort(opts.signal);
      if (!rollbackRuns) progress(`Applying ${rollbackName}`);
      const base = { replayed: index, engine: 'server' as const, cached: false, key };
      const unseen = await unseenOf(opts);
      const rollbackFailed = await runLocated(
        exec,
        opts.rollbackSql,
        rollbackRuns,
        progress,
        rollbackName,
        opts.rollbackPath,
      );
      if (rollbackFailed) return judged(before, rollbackFailed, base, started, unseen);
      progress('Comparing schemas');
      return judged(before, await snapshotSchema(exec), base, started, unseen);
    },
  );
}

/**
 * Replays `o.migrations[0..o.to)` on a throwaway database of the shadow server `o.url` (named
 * `<prefix>_<12 hex digits>`, created with the server's user), then runs `work` on it; the
 * database is dropped afterwards, also on failure and on cancellation (`Cancelled` passes
 * through). The one place that replays on the shadow server (verification and drift's replay).
 * Returns `on.cannotCreate(error)` when the server cannot be reached or the database cannot be
 * created, `on.historyFailed(failure)` when a migration does not apply, `on.serverFailed(error)`
 * when the server fails later (connection lost, query of ours failing).
 */
async function onShadowServer<R>(
  o: {
    url: string;
    prefix: string;
    migrations: VerifyMigration[];
    to: number;
    /** The other scripts `work` runs (the target migration, the rollback): see createdDatabases. */
    scripts?: string[];
    signal?: AbortSignal;
    progress: ProgressFn;
  },
  on: {
    cannotCreate: (e: unknown) => R;
    historyFailed: (f: ScriptFailure) => R;
    serverFailed: (e: unknown) => R;
  },
  work: (exec: (sql: string) => Promise<pg.QueryResult>) => Promise<R>,
): Promise<R> {
  const { url, progress } = o;
  const name = `${o.prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  admin.on('error', () => {});
  // Databases the scripts create (CREATE DATABASE is cluster-wide, outside the throwaway one) and
  // that did not exist before: dropped afterwards too, or the next verification fails on them.
  const creates = createdDatabases([...o.migrations.slice(0, o.to).map((m) => m.sql), ...(o.scripts ?? [])]);
  let existed = new Set<string>();
  try {
    progress(`Connecting to the shadow database server (${maskUrl(url)})`);
    await admin.connect();
    if (creates.size)
      existed = new Set((await admin.query('SELECT datname FROM pg_database')).rows.map((r) => r.datname));
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (e) {
    await admin.end().catch(() => {});
    return on.cannotCreate(e);
  }
  const client = new pg.Client({
    connectionString: withDatabase(url, name),
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const exec = (sql: string) => client.query(sql);
    const failed = await replay(exec, o.migrations, 0, o.to, o.signal, progress);
    if (failed) return on.historyFailed(failed);
    return await work(exec);
  } catch (e) {
    if (e instanceof Cancelled) throw e;
    return on.serverFailed(e);
  } finally {
    await client.end().catch(() => {});
    await dropDatabase(admin, name);
    if (creates.size) {
      const now = await admin.query('SELECT datname FROM pg_database').catch(() => ({ rows: [] }));
      for (const { datname } of now.rows as { datname: string }[])
        if (creates.has(datname) && !existed.has(datname)) await dropDatabase(admin, datname);
    }
    await admin.end().catch(() => {});
  }
}

/**
 * The names `CREATE DATABASE` statements in `scripts` give (unquoted names folded to lower case,
 * quoted ones as written: PostgreSQL docs §4.1.1 "Identifiers and Key Words"). Read from the text,
 * so a statement in a comment counts too; onShadowServer only drops those that did not exist
 * before it began. Pure.
 */
export function createdDatabases(scripts: string[]): Set<string> {
  const names = new Set<string>();
  const re = /\bCREATE\s+DATABASE\s+("(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)/gi;
  for (const sql of scripts)
    for (const m of sql.matchAll(re))
      names.add(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1].toLowerCase());
  return names;
}

async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } catch {
    // PostgreSQL < 13 has no FORCE
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// The schema a list of migrations builds (drift: ./drift.ts)

export interface ReplaySchemaOptions {
  /** The migrations to replay, in order (all of them). */
  migrations: VerifyMigration[];
  /** As in VerifyRollbackOptions: a server on which a throwaway database may be created. */
  shadowDatabaseUrl?: string;
  /** `auto` (default): embedded, or the shadow server when an extension is missing or the history fails there. */
  engine?: 'auto' | 'embedded' | 'server';
  /**
   * Directory of the persistent replay cache (./replay-cache.ts) the embedded replay starts from
   * and saves its state to, as verification does; none: the worker's session only.
   */
  replayCacheDir?: string;
  /** Size cap of `replayCacheDir` in bytes; default 512 MiB. */
  replayCacheMaxBytes?: number;
  /**
   * Replay as Prisma runs the migrations of a `?schema=NAME` URL: NAME is created and first on the
   * search path (a first step `CREATE SCHEMA IF NOT EXISTS` + `SET search_path`). Default: public.
   */
  searchPath?: string;
  /** Wall-clock limit of each step of the embedded replay (its start, each migration), ms; default DEFAULT_VERIFY_TIMEOUT_MS. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Progress messages; `step` counts migrations replayed, for a percentage. */
  onProgress?: ProgressFn;
}

export type ReplaySchemaResult =
  | {
      kind: 'snapshot';
      snapshot: SchemaSnapshot;
      engine: 'embedded' | 'server';
      /** Embedded: migrations whose replayed state was reused (worker session or on-disk replay cache) / replayed now. */
      replay?: { reused: number; ran: number };
      ms: number;
    }
  | {
      kind: 'couldNotReplay';
      reason: string;
      /** The migration that did not apply (name, message, line and column). */
      failure?: ScriptFailure;
      cancelled?: boolean;
      ms: number;
    };

/**
 * The normalized snapshot (./snapshot.ts) of the schema that `migrations` build from an empty
 * database, replayed as `verifyRollback` replays 1..N-1 and by the same code (`sessionAt`): in the
 * embedded PostgreSQL of the verifier's worker thread (./worker-client.ts `replayInVerifierWorker`:
 * the calling thread is not blocked; each step is limited to `timeoutMs` and a time-out names the
 * migration and its statement), starting from the worker's replayed prefix or the nearest state of
 * the on-disk replay cache (`replayCacheDir`), so a later call replays only what is missing,
 * or on a throwaway database of `shadowDatabaseUrl` (dropped afterwards, also on failure) when an
 * extension is missing in the embedded one or the history fails there. Never throws for database
 * or script problems (`couldNotReplay`); throws only for programming errors.
 */
export async function replaySchema(opts: ReplaySchemaOptions): Promise<ReplaySchemaResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const progress = opts.onProgress ?? (() => {});
  const schema = opts.searchPath && opts.searchPath !== 'public' ? opts.searchPath : undefined;
  const migrations = schema
    ? [
        {
          name: `(search_path ${schema})`,
          sql: `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};\nSET search_path TO ${quoteIdent(schema)};\n`,
        },
        ...opts.migrations,
      ]
    : opts.migrations;
  // verifyRollback's machinery replays migrations[0..index): a sentinel stands for "N".
  const vopts: VerifyRollbackOptions = {
    migrations: [...migrations, { name: '(end)', sql: '' }],
    index: migrations.length,
    rollbackSql: '',
    signal: opts.signal,
  };
  try {
    const needed = await extensionsCreatedBy(migrations.map((m) => m.sql));
    const missing = needed.filter((e) => !embeddedExtensionAvailable(e));
    let engine = opts.engine ?? 'auto';
    if (engine === 'auto') engine = missing.length && opts.shadowDatabaseUrl ? 'server' : 'embedded';
    if (engine === 'embedded') {
      if (missing.length)
        return {
          kind: 'couldNotReplay',
          reason: `Cannot replay here: extension${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} not available in the embedded PostgreSQL; set prismaRollback.shadowDatabaseUrl to replay on a real server.`,
          ms: ms(),
        };
      const out = await serialize(() =>
        replayInVerifierWorker(
          {
            migrations,
            extensions: needed,
            replayCacheDir: opts.replayCacheDir,
            replayCacheMaxBytes: opts.replayCacheMaxBytes,
            searchPath: schema,
          },
          {
            timeoutMs: opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS,
            signal: opts.signal,
            onProgress: progress,
          },
        ),
      );
      if (out.kind === 'snapshot')
        return {
          kind: 'snapshot',
          snapshot: out.snapshot,
          engine: 'embedded',
          replay: { reused: out.reused, ran: out.ran },
          ms: ms(),
        };
      if (out.kind === 'stopped')
        return { kind: 'couldNotReplay', reason: out.reason, cancelled: out.cancelled, ms: ms() };
      const failure = out.failure;
      const lack = embeddedLacks(failure);
      const reason = `Migration ${failure.script} failed to apply in the embedded PostgreSQL: ${describeFailure(failure)}${lack ? ` — ${lack}` : ''}`;
      if (!opts.shadowDatabaseUrl || opts.engine === 'embedded')
        return {
          kind: 'couldNotReplay',
          reason:
            opts.engine === 'embedded'
              ? reason
              : `${reason}. If it applies on your servers, set prismaRollback.shadowDatabaseUrl to replay on a real server.`,
          failure,
          ms: ms(),
        };
      progress('The history does not apply in the embedded PostgreSQL; trying the shadow database server');
    }
    if (!opts.shadowDatabaseUrl)
      return {
        kind: 'couldNotReplay',
        reason:
          'No shadow database is configured: set prismaRollback.shadowDatabaseUrl to replay on a real server.',
        ms: ms(),
      };
    return await replayOnServer(vopts, opts.shadowDatabaseUrl, progress, ms);
  } catch (e) {
    if (e instanceof Cancelled)
      return { kind: 'couldNotReplay', reason: 'The replay was cancelled.', cancelled: true, ms: ms() };
    throw e;
  }
}

/** Replays vopts.migrations[0..index) on a throwaway database of the shadow server and snapshots it. */
async function replayOnServer(
  vopts: VerifyRollbackOptions,
  url: string,
  progress: ProgressFn,
  ms: () => number,
): Promise<ReplaySchemaResult> {
  return onShadowServer<ReplaySchemaResult>(
    {
      url,
      prefix: 'prisma_rollback_replay',
      migrations: vopts.migrations,
      to: vopts.index,
      signal: vopts.signal,
      progress,
    },
    {
      cannotCreate: (e) => ({
        kind: 'couldNotReplay',
        reason: `Cannot use the shadow database server: ${describeDbError(e, url)}`,
        ms: ms(),
      }),
      historyFailed: (failed) => ({
        kind: 'couldNotReplay',
        reason: `Migration ${failed.script} failed to apply on the shadow database server: ${describeFailure(failed)}`,
        failure: failed,
        ms: ms(),
      }),
      serverFailed: (e) => ({
        kind: 'couldNotReplay',
        reason: `The shadow database server failed: ${describeDbError(e, url)}`,
        ms: ms(),
      }),
    },
    async (exec) => {
      await checkAbort(vopts.signal);
      return { kind: 'snapshot', snapshot: await snapshotSchema(exec), engine: 'server', ms: ms() };
    },
  );
}

// ---------------------------------------------------------------------------------------------
// verify --data (./data.ts)

/**
 * The data round trip in the session's embedded PostgreSQL: in one transaction that is rolled back
 * when N, the rollback and the hooks' SQL can all run in one; else outside a transaction on a
 * state restored afterwards (as the schema proof does). Seeded rows never stay in the session.
 */
async function verifyDataEmbedded(
  s: Session,
  req: EmbeddedRequest,
  before: SchemaSnapshot,
  base: Omit<ResultBase, 'ms' | 'verifiedAt'>,
  started: number,
  progress: (m: string) => void,
  running: (script: RunningScript) => void,
): Promise<VerifyResult> {
  const data = req.data!;
  const target = req.migrations[req.index];
  const rollbackName = req.rollbackName ?? 'down.sql';
  const query = (q: string) => s.db.query(q);
  const exec = (q: string) => s.db.exec(q);
  const tell = (stage: string, sql: string) =>
    running({
      script:
        stage === 'forward'
          ? `${target.name}/migration.sql`
          : stage === 'rollback'
            ? rollbackName
            : `the archive's ${stage} SQL`,
      sql,
      path: stage === 'forward' ? target.path : stage === 'rollback' ? req.rollbackPath : undefined,
    });
  const where = { ...target, rollbackName, rollbackPath: req.rollbackPath };
  await initSqlParser();
  const forwardBody = transactionBody(target.sql);
  const rollbackBody = transactionBody(req.rollbackSql);
  const hooksFit = [...data.capture, ...data.afterMigration, ...data.restore].every(
    (x) => transactionBody(x) === x,
  );
  if (forwardBody !== undefined && rollbackBody !== undefined && hooksFit) {
    progress(`Seeding every table, then applying ${target.name} and ${rollbackName}`);
    let outcome: DataRoundTripOutcome | undefined;
    await s.db.exec('BEGIN');
    try {
      outcome = await runDataRoundTrip(
        { query, exec },
        {
          before,
          forward: forwardBody,
          rollback: rollbackBody,
          hooks: data,
          transaction: 'caller',
          running: tell,
        },
      );
    } catch {
      // decided below, outside a transaction
    } finally {
      await s.db.exec('ROLLBACK');
    }
    if (outcome?.kind === 'compared')
      return judgedData(outcome, base, started, where, exec, 'in the embedded PostgreSQL');
  }
  progress('Saving the replayed state');
  // The replayed state goes into the replay cache before the run outside a transaction changes it.
  await saveReplayedStateHere(progress);
  const saved = await s.db.dumpDataDir('none');
  try {
    progress(`Seeding every table, then applying ${target.name} and ${rollbackName}`);
    const outcome = await runDataRoundTrip(
      { query, exec },
      {
        before,
        forward: target.sql,
        rollback: req.rollbackSql,
        hooks: data,
        transaction: 'own',
        running: tell,
      },
    );
    return await judgedData(outcome, base, started, where, exec, 'in the embedded PostgreSQL');
  } finally {
    s.restoreFrom = saved;
  }
}

/** The VerifyResult of a data round trip: failures placed in their script, differences listed. */
async function judgedData(
  outcome: DataRoundTripOutcome,
  base: Omit<ResultBase, 'ms' | 'verifiedAt'>,
  started: number,
  target: VerifyMigration & { rollbackName: string; rollbackPath?: string },
  exec: (sql: string) => Promise<unknown>,
  where: string,
): Promise<VerifyResult> {
  const ms = () => Math.round(performance.now() - started);
  const common = () => ({ ...base, ms: ms(), verifiedAt: new Date().toISOString(), data: outcome.proof });
  if (outcome.kind === 'compared') {
    if (outcome.differences.length)
      return { kind: 'differences', differences: outcome.differences, ...common() };
    // A table the seeder could not fill has no rows to lose: "no difference" proves nothing there.
    const unproven = unprovenData(outcome.proof);
    return unproven.length
      ? { kind: 'cannotProve', reasons: unproven, ...common() }
      : { kind: 'verified', ...common() };
  }
  const { stage, error, sql } = outcome;
  if (stage === 'forward') {
    const f = await locateFailure(exec, sql, scriptFailure(error, sql, target.name, target.path));
    return historyFailure(f, where, ms(), base.engine);
  }
  if (stage === 'rollback') {
    const f = scriptFailure(error, sql, target.rollbackName, target.rollbackPath);
    const lack = base.engine === 'embedded' ? embeddedLacks(f) : undefined;
    if (lack) return rollbackNotRunHere(f, lack, ms());
    return {
      kind: 'differences',
      differences: [`${f.script} failed to apply: ${describeFailure(f)}`],
      failure: f,
      ...common(),
    };
  }
  const msg = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (stage === 'capture')
    return {
      kind: 'couldNotVerify',
      reason: `The archive's capture SQL failed before ${target.name} ${where}: ${msg}`,
      ms: ms(),
      engine: base.engine,
    };
  return {
    kind: 'differences',
    differences: [`The archive's restore SQL failed after ${target.rollbackName}: ${msg}`],
    ...common(),
  };
}
