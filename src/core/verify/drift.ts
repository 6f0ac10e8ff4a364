/**
 * Drift: the live schema of an environment against the schema its history should have built.
 *
 * The expected schema is the replay, from an empty database, of exactly the migrations that
 * `_prisma_migrations` records as applied there (latest row per migration finished and not rolled
 * back), in the order of the local folder (`replaySchema` in ./index.ts: the verifier's embedded
 * PostgreSQL in its worker thread, starting from the persistent replay cache as verification does,
 * or the shadow server). The live schema is read with the same normalized catalog
 * snapshot (./snapshot.ts) in a READ ONLY transaction with a statement timeout. Both are compared
 * with `compareSnapshots(expected, live)` and each difference is said in plain words.
 *
 * Facts that belong to the engine or the cluster, not to what migrations build, are left out
 * explicitly (see `withoutEngineFacts`): roles (cluster-wide; a live server has its users, the
 * embedded one has none), the database's own settings and connection limit (set by whoever
 * created the database), and NOT NULL constraint names, which PostgreSQL 18 records and 15 does
 * not (`compareSnapshots` already compares them only where both sides have them). Privileges stay
 * in: a GRANT in a migration is schema, and both sides compare them as deviations from
 * PostgreSQL's defaults for the object's owner.
 *
 * Replayed snapshots are kept in memory by the checksums of the replayed migrations, so checking
 * drift again after a change that did not touch the history only reads the live side; a new
 * process finds the replayed snapshot (or, failing that, the nearest replayed state) in the
 * replay cache shared with verification (`replayCacheDir`, default `defaultReplayCacheDir()`,
 * ./replay-cache.ts) and replays only migrations added since.
 */
import { createHash } from 'node:crypto';
import { createPool, describeDbError, maskUrl, prismaSchema, readOnly } from '../db';
import { readMigrationsFolder } from '../migrations';
import { resolveShadowDatabase, type ShadowSources } from '../project/shadow';
import { quoteIdent } from '../sql/names';
import { replaySchema, type VerifyMigration } from './index';
import { defaultReplayCacheDir } from './replay-cache';
import { compareSnapshots, type SchemaSnapshot, snapshotSchema } from './snapshot';

/** One difference between the expected and the live schema. */
export interface DriftDifference {
  /** The object, as the snapshot names it: `index "User_email_key"`, `column "User"."bio"`. */
  object: string;
  /** In plain words, from the environment's side: `column "User"."bio" exists on staging but no applied migration creates it`. */
  message: string;
}

export type DriftResult =
  | {
      kind: 'none' | 'drift';
      /** The last migration recorded as applied (folder order), or null when none is. */
      lastApplied: string | null;
      /** The migrations whose replay is the expected schema. */
      expected: string[];
      differences: DriftDifference[];
      /** The replayed snapshot came from this process's memory (no replay was asked of the worker). */
      cached: boolean;
      /**
       * When the snapshot was replayed now in the embedded PostgreSQL: how many migrations' state
       * was reused (the worker's session or the on-disk replay cache) and how many ran.
       */
      replay?: { reused: number; ran: number };
      ms: number;
    }
  | { kind: 'couldNotCheck'; reason: string; ms: number };

export interface DriftOptions {
  /** Connection string of the environment (read only). */
  url: string;
  /** Name used in messages. */
  environment: string;
  /** The local migrations folder, in order. */
  migrations: VerifyMigration[];
  /**
   * Which migrations the live schema should be the replay of: their names (in any order; replayed
   * in folder order). Default: those recorded as applied in `_prisma_migrations`.
   */
  expected?: string[];
  shadowDatabaseUrl?: string;
  /**
   * Directory of the persistent replay cache (./replay-cache.ts, shared with verification);
   * default `defaultReplayCacheDir()`; `false`: none (the worker's session only).
   */
  replayCacheDir?: string | false;
  /**
   * Wall-clock limit of each step of the embedded replay (its start, each migration), ms; default
   * DEFAULT_VERIFY_TIMEOUT_MS (setting `prismaRollback.verify.timeoutSeconds`). Past it the
   * check is couldNotCheck "<migration>/migration.sql (<statement>) did not finish in N s (…)".
   */
  timeoutMs?: number;
  /** Statement timeout of the live reads, ms (default 30 000). */
  statementTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** State of each migration from its latest row of `_prisma_migrations`. */
export type RecordedState = 'applied' | 'failed' | 'rolledBack';

/** The latest row of each migration in `_prisma_migrations` (empty when the table does not exist). */
export async function recordedStates(
  query: (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>,
  schema: string,
): Promise<Map<string, { state: RecordedState; checksum: string; logs: string | null }>> {
  const table = quoteIdent(schema, '_prisma_migrations');
  const exists = await query('SELECT to_regclass($1) AS t', [table]);
  const out = new Map<string, { state: RecordedState; checksum: string; logs: string | null }>();
  if (!exists.rows[0]?.t) return out;
  const res = await query(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM ${table} ORDER BY started_at ASC, id ASC`,
  );
  for (const r of res.rows) {
    const state: RecordedState = r.rolled_back_at ? 'rolledBack' : r.finished_at ? 'applied' : 'failed';
    out.set(String(r.migration_name), {
      state,
      checksum: String(r.checksum),
      logs: (r.logs as string | null) ?? null,
    });
  }
  return out;
}

/**
 * Removes what the engine or the cluster decides, not the migrations (see the module comment):
 * roles and the database's settings. Returns a new snapshot.
 */
export function withoutEngineFacts(s: SchemaSnapshot): SchemaSnapshot {
  return { ...s, roles: {}, database: [] };
}

/**
 * A `compareSnapshots(expected, live)` line as a drift difference seen from the environment:
 * `X is missing` → `X is missing on ENV (the migrations create it)`, `X is extra` → `X exists on
 * ENV but no applied migration creates it`, `X: F is A, was B` → `X: F is A on ENV, the
 * migrations make it B`.
 */
export function driftDifference(line: string, environment: string): DriftDifference {
  const colon = colonOutsideQuotes(line);
  const missing = /^(.*) is missing$/.exec(line);
  const extra = /^(.*) is extra$/.exec(line);
  // `enum "Role": value 'GUEST' is missing` is about `enum "Role"`; `index "a: b" is missing` about itself.
  const object =
    colon >= 0 ? line.slice(0, colon) : (missing?.[1] ?? extra?.[1] ?? line.replace(/ (is|differs) .*$/, ''));
  if (missing)
    return { object, message: `${missing[1]} is missing on ${environment} (the migrations create it)` };
  if (extra)
    return { object, message: `${extra[1]} exists on ${environment} but no applied migration creates it` };
  const changed = /^(.*?) (is|are) (.*), (was|were) (.*)$/s.exec(line);
  if (changed)
    return {
      object,
      message: `${changed[1]} ${changed[2]} ${changed[3]} on ${environment}; the migrations make ${changed[2] === 'are' ? 'them' : 'it'} ${changed[5]}`,
    };
  return { object, message: `${line} (on ${environment})` };
}

/** Position of the first `: ` outside double-quoted identifiers, or -1. */
function colonOutsideQuotes(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length - 1; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (!quoted && line[i] === ':' && line[i + 1] === ' ') return i;
  }
  return -1;
}

const memo = new Map<string, SchemaSnapshot>();

function replayKey(migrations: VerifyMigration[], searchPath: string): string {
  const h = createHash('sha256').update('prisma-rollback replay v2\n');
  if (searchPath !== 'public') h.update(`search_path ${searchPath}\n`);
  for (const m of migrations) h.update(`${m.name}\n${createHash('sha256').update(m.sql).digest('hex')}\n`);
  return h.digest('hex');
}

/**
 * The snapshot of the schema `migrations` build (./index.ts `replaySchema`: in the verifier's
 * worker thread from the nearest state of the replay cache, or on the shadow server), with
 * `searchPath` (default public) first on the search path as Prisma runs a `?schema=` URL's
 * migrations. Kept in memory by their checksums; on disk, the replay cache holds the snapshot
 * beside the replayed state (./replay-cache.ts `saveReplaySnapshot`).
 * Returns the reason when the replay cannot be done (a migration that does not apply, a step past
 * `timeoutMs` — named —, cancellation, a shadow server that cannot be used). Never throws for those.
 */
export async function expectedSchema(
  migrations: VerifyMigration[],
  opts: Pick<DriftOptions, 'shadowDatabaseUrl' | 'replayCacheDir' | 'timeoutMs' | 'signal' | 'onProgress'> & {
    searchPath?: string;
  } = {},
): Promise<
  { snapshot: SchemaSnapshot; cached: boolean; replay?: { reused: number; ran: number } } | { reason: string }
> {
  const searchPath = opts.searchPath ?? 'public';
  const key = replayKey(migrations, searchPath);
  const hit = memo.get(key);
  if (hit) return { snapshot: hit, cached: true };
  const r = await replaySchema({
    migrations,
    searchPath,
    shadowDatabaseUrl: opts.shadowDatabaseUrl,
    replayCacheDir:
      opts.replayCacheDir === false ? undefined : (opts.replayCacheDir ?? defaultReplayCacheDir()),
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  if (r.kind === 'couldNotReplay') return { reason: r.reason };
  memo.set(key, r.snapshot);
  if (memo.size > 50) memo.delete(memo.keys().next().value as string);
  return { snapshot: r.snapshot, cached: false, replay: r.replay };
}

/** Forgets replayed snapshots kept in memory (the replay cache on disk is keyed by content). */
export function clearDriftCache(): void {
  memo.clear();
}

/**
 * Reads the live schema of `url` and its `_prisma_migrations` in one READ ONLY transaction with
 * `statement_timeout` (default 30 s). Throws the database's error (use `describeDbError`).
 */
export async function readLive(
  url: string,
  statementTimeoutMs = 30_000,
): Promise<{
  snapshot: SchemaSnapshot;
  recorded: Map<string, { state: RecordedState; checksum: string; logs: string | null }>;
}> {
  const pool = createPool(url, { statementTimeoutMs, connectTimeoutMs: 10_000 });
  try {
    return await readOnly(pool, async (c) => {
      const recorded = await recordedStates(
        (sql, params) => c.query(sql, params as unknown[]),
        prismaSchema(url),
      );
      const snapshot = await snapshotSchema((sql) => c.query(sql));
      return { snapshot, recorded };
    });
  } finally {
    await pool.end().catch(() => {});
  }
}

/**
 * Compares the live schema of an environment with the replay of the migrations it should be built
 * from (`opts.expected`, default: those recorded as applied; see the module comment). Never
 * throws for database or replay problems: `couldNotCheck` says why (an applied migration with no
 * local folder or a different checksum, an unreachable database, a history that does not replay).
 * Changes nothing anywhere (the live side is only read, in a READ ONLY transaction).
 */
export async function checkDrift(opts: DriftOptions): Promise<DriftResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const progress = opts.onProgress ?? (() => {});
  progress(`Reading the schema of ${opts.environment} (${maskUrl(opts.url)})`);
  let live: Awaited<ReturnType<typeof readLive>>;
  try {
    live = await readLive(opts.url, opts.statementTimeoutMs);
  } catch (e) {
    return {
      kind: 'couldNotCheck',
      reason: `Cannot read ${opts.environment}: ${describeDbError(e, opts.url)}`,
      ms: ms(),
    };
  }
  const local = new Set(opts.migrations.map((m) => m.name));
  let wanted: Set<string>;
  if (opts.expected) wanted = new Set(opts.expected);
  else {
    wanted = new Set([...live.recorded].filter(([, r]) => r.state === 'applied').map(([n]) => n));
    const unknown = [...wanted].filter((n) => !local.has(n));
    if (unknown.length)
      return {
        kind: 'couldNotCheck',
        reason: `${opts.environment} has applied migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that the local folder does not have: the schema they built cannot be replayed.`,
        ms: ms(),
      };
    const edited = opts.migrations.filter((m) => {
      const r = live.recorded.get(m.name);
      return r?.state === 'applied' && r.checksum !== createHash('sha256').update(m.sql).digest('hex');
    });
    if (edited.length)
      return {
        kind: 'couldNotCheck',
        reason: `${edited.map((m) => m.name).join(', ')} changed locally after ${edited.length > 1 ? 'they were' : 'it was'} applied on ${opts.environment}: the replay would not be what ran there.`,
        ms: ms(),
      };
  }
  const missingLocally = [...wanted].filter((n) => !local.has(n));
  if (missingLocally.length)
    return {
      kind: 'couldNotCheck',
      reason: `No local folder for ${missingLocally.join(', ')}.`,
      ms: ms(),
    };
  const history = opts.migrations.filter((m) => wanted.has(m.name));
  progress(`Replaying ${history.length} migration${history.length === 1 ? '' : 's'}`);
  // Prisma runs the migrations of a `?schema=` URL with that schema first on the search path.
  const expected = await expectedSchema(history, { ...opts, searchPath: prismaSchema(opts.url) });
  if ('reason' in expected) return { kind: 'couldNotCheck', reason: expected.reason, ms: ms() };
  const lines = compareSnapshots(withoutEngineFacts(expected.snapshot), withoutEngineFacts(live.snapshot));
  const differences = lines.map((l) => driftDifference(l, opts.environment));
  return {
    kind: differences.length ? 'drift' : 'none',
    lastApplied: history.at(-1)?.name ?? null,
    expected: history.map((m) => m.name),
    differences,
    cached: expected.cached,
    ...(expected.replay ? { replay: expected.replay } : {}),
    ms: ms(),
  };
}

export type PartialUndoResult =
  | {
      kind: 'script';
      /** The SQL that takes the live schema back to the replay of the applied migrations without the failed one, with a header. */
      script: string;
      /** What drift found (live vs. that replay). */
      differences: DriftDifference[];
      /** Differences the script does not name (Prisma's diff does not model them): to undo by hand. */
      notCovered: DriftDifference[];
    }
  | { kind: 'nothingLeft'; expected: string[] }
  | { kind: 'couldNotCheck'; reason: string };

/** The last quoted identifier of an object name (`column "User"."bio"` → `"bio"`), or undefined. */
function lastIdentifier(object: string): string | undefined {
  const all = object.match(/"(?:[^"]|"")+"/g);
  return all?.at(-1);
}

/**
 * The script that undoes only what a failed migration left applied on an environment: from the
 * live schema to the replay of the migrations recorded as applied there (without `failed`),
 * computed by Prisma's engine (`prisma migrate diff`, the live database as the source, PGlite as
 * its shadow: ./prisma-diff.ts `prismaLiveDiff`) and checked against the catalog drift: a
 * difference whose object the script does not name is returned in `notCovered` (functions,
 * triggers, views, comments, privileges… are outside Prisma's model) and listed in the header.
 * The script also undoes any other drift of the environment (it is a diff of the whole schema).
 * Reads only; changes nothing. Never throws for database or engine problems (`couldNotCheck`).
 */
export async function partialUndo(
  opts: Omit<DriftOptions, 'expected'> & { failed: string },
): Promise<PartialUndoResult> {
  let recorded: Awaited<ReturnType<typeof readLive>>['recorded'];
  try {
    recorded = (await readLive(opts.url, opts.statementTimeoutMs)).recorded;
  } catch (e) {
    return {
      kind: 'couldNotCheck',
      reason: `Cannot read ${opts.environment}: ${describeDbError(e, opts.url)}`,
    };
  }
  const state = recorded.get(opts.failed)?.state;
  if (state === 'applied')
    return {
      kind: 'couldNotCheck',
      reason: `${opts.failed} is recorded as applied on ${opts.environment}, not failed: its rollback is \`prisma-rollback down ${opts.failed}\` (down.sql).`,
    };
  const expected = [...recorded]
    .filter(([n, r]) => r.state === 'applied' && n !== opts.failed)
    .map(([n]) => n);
  const drift = await checkDrift({ ...opts, expected });
  if (drift.kind === 'couldNotCheck') return drift;
  if (drift.kind === 'none') return { kind: 'nothingLeft', expected: drift.expected };
  const { prismaLiveDiff } = await import('./prisma-diff');
  const history = opts.migrations.filter((m) => drift.expected.includes(m.name));
  let diff: Awaited<ReturnType<typeof prismaLiveDiff>>;
  try {
    opts.onProgress?.("Asking Prisma's engine for the diff from the live schema to the replay");
    diff = await prismaLiveDiff(opts.url, history);
  } catch (e) {
    return { kind: 'couldNotCheck', reason: e instanceof Error ? e.message : String(e) };
  }
  const body = diff.empty ? '' : diff.script;
  const notCovered = drift.differences.filter((d) => {
    const id = lastIdentifier(d.object);
    return !id || !body.includes(id);
  });
  const header = [
    `-- Undoes what ${opts.failed} left applied on ${opts.environment}: from its live schema to the replay of`,
    `-- its applied migrations without it (${drift.lastApplied ?? 'none'} last), by Prisma's migrate diff. Review before running:`,
    '-- it undoes every difference below, also any that another change made.',
    '-- What drift found:',
    ...drift.differences.map((d) => `--   ${d.message}`),
    ...(notCovered.length
      ? [
          '-- NOT in this script (Prisma does not model them), undo by hand:',
          ...notCovered.map((d) => `--   ${d.message}`),
        ]
      : []),
    `-- Then \`prisma-rollback resolve --rolled-back ${opts.failed} --env ${opts.environment}\` compares the schema again before marking it.`,
    '',
  ].join('\n');
  return { kind: 'script', script: `${header}\n${body}\n`, differences: drift.differences, notCovered };
}

/**
 * `checkDrift` for an environment of a project, as the editor and the checklist call it: reads
 * the migrations folder, resolves `prismaRollback.shadowDatabaseUrl` as written (`shadowSetting`,
 * with `resolveShadowDatabase`), and adds a one-paragraph `summary` (the first `shown` differences,
 * default 5). Never throws for database, folder or replay problems (`couldNotCheck`).
 */
export async function driftOfEnvironment(
  o: {
    url: string;
    environment: string;
    migrationsDir: string;
    shadowSetting?: string;
    /** As DriftOptions.replayCacheDir (default `defaultReplayCacheDir()`). */
    replayCacheDir?: string | false;
    /** As DriftOptions.timeoutMs. */
    timeoutMs?: number;
    shown?: number;
    /** Which migrations the live schema should be the replay of (default: those recorded as applied). */
    expected?: string[];
    signal?: AbortSignal;
    onProgress?: (message: string) => void;
  } & ShadowSources,
): Promise<DriftResult & { summary: string }> {
  const folder = await readMigrationsFolder(o.migrationsDir);
  const unreadable = folder.migrations.find((m) => m.sql === undefined);
  if (!folder.exists || unreadable)
    return {
      kind: 'couldNotCheck',
      reason: unreadable
        ? `Cannot read ${unreadable.sqlPath}: ${unreadable.error}`
        : `No migrations folder at ${o.migrationsDir}.`,
      ms: 0,
      summary: unreadable
        ? `Cannot read ${unreadable.sqlPath}.`
        : `No migrations folder at ${o.migrationsDir}.`,
    };
  const shadow = await resolveShadowDatabase(o.shadowSetting, { env: o.env, envFiles: o.envFiles });
  const r = await checkDrift({
    url: o.url,
    environment: o.environment,
    migrations: folder.migrations.map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath })),
    shadowDatabaseUrl: shadow.url,
    replayCacheDir: o.replayCacheDir,
    timeoutMs: o.timeoutMs,
    expected: o.expected,
    signal: o.signal,
    onProgress: o.onProgress,
  });
  return { ...r, summary: driftSummary(r, o.environment, o.shown) };
}

/** One paragraph for a drift result: `staging has drifted from its 12 applied migrations (last: …): 2 differences: …`. */
export function driftSummary(r: DriftResult, environment: string, shown = 5): string {
  if (r.kind === 'couldNotCheck') return `Could not check drift on ${environment}: ${r.reason}`;
  const n = r.expected.length;
  const base = `${n} applied migration${n === 1 ? '' : 's'} (last: ${r.lastApplied ?? 'none'})`;
  if (r.kind === 'none') return `${environment} has no drift: its schema is what its ${base} build.`;
  const first = r.differences.slice(0, shown).map((d) => d.message);
  const more = r.differences.length > first.length ? `; and ${r.differences.length - first.length} more` : '';
  return `${environment} has drifted from its ${base}: ${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}: ${first.join('; ')}${more}.`;
}
