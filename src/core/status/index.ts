/**
 * The status engine: for one project × one environment, combines the migrations folder,
 * Prisma's own diagnosis (`diagnoseMigrationHistory` of the WASM schema engine — what
 * `prisma migrate status` asks) and the rows of `_prisma_migrations`, into one state per
 * migration. Where the engine and the table disagree, the engine wins and the item says so.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { createPool, describeDbError, hostLabel, prismaSchema } from '../db';
import {
  type DiagnoseMigrationHistoryOutput,
  engineErrorMessage,
  NO_FILTERS,
  openEngineOnPool,
  type SchemaEngine,
  toMigrationList,
} from '../engine';
import {
  checksumMatches,
  type LocalMigration,
  type MigrationsFolder,
  readMigrationsFolder,
} from '../migrations';
import { quoteIdent } from '../sql/names';
import { stateWord } from './present';
import type {
  EnvironmentStatus,
  HistoryDiagnosis,
  MigrationRow,
  MigrationState,
  MigrationStatus,
  ProjectDiagnosis,
  StatusCounts,
} from './types';

export type * from './types';

export interface StatusRequest {
  environment: string;
  migrationsDir: string;
  /** Connection string (secret). Absent: the environment is not configured (see `problem`). */
  url?: string;
  /** Why there is no URL, shown as the "not configured" reason. */
  problem?: string;
  /** Pool to reuse across refreshes (its owner closes it). Without one, a pool is opened and closed. */
  pool?: pg.Pool;
  /**
   * The folder already read (or being read), to share one read between a project's environments;
   * a promise is awaited after the rows query went out, so the two still overlap.
   */
  folder?: MigrationsFolder | Promise<MigrationsFolder>;
  log?: (line: string) => void;
}

const engines = new WeakMap<pg.Pool, Promise<SchemaEngine>>();
/** The last diagnosis per pool and the inputs it was made from. */
const diagnoses = new WeakMap<pg.Pool, { key: string; out: DiagnoseMigrationHistoryOutput }>();

/**
 * Everything diagnoseMigrationHistory reads: the folder (names, checksums, lock file) and the table.
 * Rows returned by `readMigrationRows` stand in by the table's fingerprint (see there); other rows
 * are hashed column by column. One string, one hash update (a thousand updates cost more).
 */
export function diagnosisKey(folder: MigrationsFolder, rows: MigrationRow[] | null, schema: string): string {
  const parts: string[] = [schema, folder.lockfile.content ?? ''];
  for (const m of folder.migrations) parts.push(m.name, m.checksum ?? `!${m.error}`);
  const fingerprint = rows ? rowsFingerprints.get(rows) : undefined;
  if (!rows) parts.push('no table');
  else if (fingerprint) parts.push(`rows:${rows.length}`, `fingerprint:${fingerprint}`);
  else {
    parts.push(`rows:${rows.length}`);
    for (const r of rows)
      parts.push(
        `${r.id}\0${r.migrationName}\0${r.checksum}\0${r.startedAt?.getTime()}\0${r.finishedAt?.getTime()}\0${r.rolledBackAt?.getTime()}\0${r.appliedStepsCount}`,
      );
  }
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}

/** One engine per pool, created on first use (the WASM module is loaded then, not before). */
export function engineForPool(
  pool: pg.Pool,
  schema: string,
  log?: (line: string) => void,
): Promise<SchemaEngine> {
  let e = engines.get(pool);
  if (!e) {
    const started = performance.now();
    e = openEngineOnPool(pool, schema).then((engine) => {
      log?.(`schema engine ready in ${(performance.now() - started).toFixed(0)} ms`);
      return engine;
    });
    e.catch(() => engines.delete(pool));
    engines.set(pool, e);
  }
  return e;
}

/** The rows last read per pool and schema, with the table's fingerprint when they were read. */
const rowsRead = new WeakMap<pg.Pool, Map<string, { fingerprint: string; rows: MigrationRow[] }>>();
/** The fingerprint of the table each array `readMigrationRows` returned was read with. */
const rowsFingerprints = new WeakMap<MigrationRow[], string>();
/** Pools whose server has no `hash_record_extended` (PostgreSQL before 14): fingerprints use md5. */
const noRecordHash = new WeakSet<pg.Pool>();

function withFingerprint(rows: MigrationRow[], fingerprint: string): MigrationRow[] {
  rowsFingerprints.set(rows, fingerprint);
  return rows;
}

/**
 * Reads every row of `_prisma_migrations` in `schema`, oldest first (null when the table or the
 * schema does not exist: SQLSTATE 42P01 / 3F000).
 *
 * A lone SELECT is its own read-only snapshot, so no BEGIN READ ONLY … COMMIT surrounds it. On a
 * pool that read this table before, one row is asked first: the table's fingerprint, the row count
 * and the sum of every row's 64-bit hash (`hash_record_extended`: every column of the row; the
 * record type's hash support function since PostgreSQL 14, src/backend/utils/adt/rowtypes.c),
 * hashed once more (`hashint8extended`) before the sum: the record hash is linear in its columns'
 * hashes (`result = result * 31 + column hash`, rowtypes.c), so a plain sum over the rows is a sum
 * per column, blind to a value moved from one row to another (a failure log, a finished_at).
 * Where it cannot be used (PostgreSQL before 14, or a column type without a hash function: SQLSTATE
 * 42883) the md5 of the rows' text forms is used instead on that pool (3–4× the server time). When the fingerprint
 * equals the last read's, the rows of that read are returned (a new array; the row objects are
 * shared and must not be mutated): a warm refresh of 1,000 rows then costs ~2 ms instead of ~10 ms
 * (transfer and timestamp parsing).
 * Otherwise the fingerprint and the rows are read by one query string, fingerprint first, so rows
 * are never paired with a fingerprint taken before them (a change in between makes the next
 * refresh read again, never reuse stale rows).
 *
 * Errors other than 42P01 / 3F000 (connection, 42501 no privilege) are thrown as pg gives them;
 * nothing is left open (the client goes back to the pool) and the remembered read is dropped.
 */
export async function readMigrationRows(pool: pg.Pool, schema: string): Promise<MigrationRow[] | null> {
  const table = quoteIdent(schema, '_prisma_migrations');
  const fingerprintSql = noRecordHash.has(pool)
    ? `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.started_at, t.id), '')) AS fp FROM ${table} t`
    : `SELECT count(*) AS n, sum(hashint8extended(hash_record_extended(t, 0), 0)::numeric) AS fp FROM ${table} t`;
  const known = rowsRead.get(pool)?.get(schema);
  const fingerprintOf = (r: { n: string; fp: string | null }) => `${r.n}:${r.fp}`;
  try {
    if (known) {
      const fp = await pool.query(fingerprintSql);
      if (fingerprintOf(fp.rows[0]) === known.fingerprint)
        return withFingerprint(known.rows.slice(), known.fingerprint);
    }
    const results = (await pool.query(
      `${fingerprintSql};
       SELECT id, checksum, migration_name, started_at, finished_at, logs, rolled_back_at, applied_steps_count
         FROM ${table}
        ORDER BY started_at ASC, id ASC`,
    )) as unknown as pg.QueryResult[];
    const rows = results[1].rows.map(
      (r): MigrationRow => ({
        id: r.id,
        checksum: r.checksum,
        migrationName: r.migration_name,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        logs: r.logs,
        rolledBackAt: r.rolled_back_at,
        appliedStepsCount: r.applied_steps_count,
      }),
    );
    const bySchema = rowsRead.get(pool) ?? new Map();
    rowsRead.set(pool, bySchema);
    const fingerprint = fingerprintOf(results[0].rows[0]);
    bySchema.set(schema, { fingerprint, rows });
    return withFingerprint(rows.slice(), fingerprint);
  } catch (e) {
    rowsRead.get(pool)?.delete(schema);
    const code = (e as { code?: string }).code;
    if (code === '42P01' || code === '3F000') return null;
    if (code === '42883' && !noRecordHash.has(pool)) {
      noRecordHash.add(pool);
      return readMigrationRows(pool, schema);
    }
    throw e;
  }
}

function emptyCounts(): StatusCounts {
  return { applied: 0, pending: 0, failed: 0, rolledBack: 0, edited: 0, missingLocally: 0 };
}

export function countStates(migrations: MigrationStatus[]): StatusCounts {
  const counts = emptyCounts();
  for (const m of migrations) counts[m.state]++;
  return counts;
}

/** The state the rows of one migration give on their own (before the engine's verdict). */
export function stateFromRows(rows: MigrationRow[], local: LocalMigration | undefined): MigrationState {
  if (rows.length === 0) return 'pending';
  const live = rows.filter((r) => r.rolledBackAt === null);
  const applied = live.filter((r) => r.finishedAt !== null);
  if (applied.length > 0) {
    if (!local) return 'missingLocally';
    const first = rows[0];
    if (local.sql !== undefined && !checksumMatches(first.checksum, local.sql, local.checksum))
      return 'edited';
    return 'applied';
  }
  if (live.length > 0) return 'failed';
  return 'rolledBack';
}

/**
 * The environment's verdict from Prisma's `diagnoseMigrationHistory` output, in the order Prisma's
 * `migrate status` reports (prisma/prisma `MigrateStatus.ts`): failed migrations first, then edited
 * ones, then the comparison of histories. Never reads "up to date" while a migration is failed or
 * edited.
 */
export function diagnosisFrom(out: DiagnoseMigrationHistoryOutput): ProjectDiagnosis {
  if (!out.hasMigrationsTable) return { kind: 'noMigrationsTable' };
  const history = historyDiagnosis(out);
  const besides = history ? { besides: history } : {};
  if (out.failedMigrationNames.length > 0)
    return {
      kind: 'failedMigrations',
      failed: out.failedMigrationNames,
      edited: out.editedMigrationNames,
      ...besides,
    };
  if (out.editedMigrationNames.length > 0)
    return { kind: 'editedMigrations', edited: out.editedMigrationNames, ...besides };
  return history ?? { kind: 'upToDate' };
}

function historyDiagnosis(out: DiagnoseMigrationHistoryOutput): HistoryDiagnosis | undefined {
  const h = out.history;
  if (!h) return undefined;
  switch (h.diagnostic) {
    case 'databaseIsBehind':
      return { kind: 'databaseIsBehind', unapplied: h.unappliedMigrationNames };
    case 'migrationsDirectoryIsBehind':
      return { kind: 'migrationsDirectoryIsBehind', missingLocally: h.unpersistedMigrationNames };
    case 'historiesDiverge':
      return {
        kind: 'historiesDiverge',
        lastCommon: h.lastCommonMigrationName ?? undefined,
        unappliedLocal: h.unappliedMigrationNames,
        missingLocally: h.unpersistedMigrationNames,
      };
  }
}

/**
 * Merges folder, rows and the engine's diagnosis. Exported for unit tests; `computeStatus`
 * is the entry point.
 */
export function combine(
  folder: MigrationsFolder,
  rows: MigrationRow[] | null,
  engine: DiagnoseMigrationHistoryOutput | undefined,
): MigrationStatus[] {
  const byName = new Map<string, MigrationRow[]>();
  for (const r of rows ?? []) {
    const list = byName.get(r.migrationName) ?? [];
    list.push(r);
    byName.set(r.migrationName, list);
  }
  const localNames = new Set(folder.migrations.map((m) => m.name));
  const names = [
    ...folder.migrations.map((m) => m.name),
    ...[...byName.keys()].filter((n) => !localNames.has(n)),
  ];
  names.sort((a, b) => a.localeCompare(b));
  const locals = new Map(folder.migrations.map((m) => [m.name, m]));

  const edited = new Set(engine?.editedMigrationNames ?? []);
  const failed = new Set(engine?.failedMigrationNames ?? []);
  const h = engine?.history;
  const unapplied = new Set(
    h && h.diagnostic !== 'migrationsDirectoryIsBehind' ? h.unappliedMigrationNames : [],
  );
  const unpersisted = new Set(h && h.diagnostic !== 'databaseIsBehind' ? h.unpersistedMigrationNames : []);

  return names.map((name): MigrationStatus => {
    const local = locals.get(name);
    const mrows = byName.get(name) ?? [];
    const latest = mrows[mrows.length - 1];
    const status: MigrationStatus = { name, state: stateFromRows(mrows, local), rows: mrows, latest };
    if (local) status.local = local;
    if (local?.error) {
      status.note = `migration.sql cannot be read (${local.error}): Prisma lists this folder as a migration, and \`migrate deploy\` will fail on it.`;
    }
    if (mrows.length > 0 && local?.sql !== undefined)
      status.checksumMatches = checksumMatches(mrows[0].checksum, local.sql, local.checksum);
    if (!engine) return status;

    // The engine's verdict, in order of precedence.
    let verdict: MigrationState | undefined;
    if (failed.has(name)) verdict = 'failed';
    else if (edited.has(name)) verdict = 'edited';
    else if (unpersisted.has(name)) verdict = 'missingLocally';
    else if (unapplied.has(name)) verdict = status.state === 'rolledBack' ? 'rolledBack' : 'pending';
    else if (status.state === 'edited' || status.state === 'missingLocally' || status.state === 'failed') {
      // The engine does not flag it: with a table present, it reads as applied.
      verdict = engine.hasMigrationsTable && local && mrows.length > 0 ? 'applied' : status.state;
    }
    if (verdict && verdict !== status.state) {
      status.note ??= `Prisma's engine reads this migration as ${stateWord(verdict)}; _prisma_migrations alone suggests ${stateWord(status.state)}. Showing the engine's verdict.`;
      status.state = verdict;
    }
    return status;
  });
}

/** Status of one environment. Never throws: every failure becomes a diagnosis. */
export async function computeStatus(req: StatusRequest): Promise<EnvironmentStatus> {
  const started = performance.now();
  const log = req.log ?? (() => {});
  const settle = (p: Promise<MigrationRow[] | null>) =>
    p.then(
      (rows) => ({ rows }),
      (error: unknown) => ({ error }),
    );
  // On the caller's pool (the editor's refresh) the rows query goes out before the folder is read:
  // the database answers while the folder's 1,000 files are stat'ed (about 20 % of a warm refresh).
  const earlyRows =
    req.url && req.pool ? settle(readMigrationRows(req.pool, prismaSchema(req.url))) : undefined;
  const folder = await (req.folder ?? readMigrationsFolder(req.migrationsDir));
  const finish = (
    diagnosis: ProjectDiagnosis,
    migrations: MigrationStatus[],
    extra: Partial<EnvironmentStatus> = {},
  ): EnvironmentStatus => ({
    environment: req.environment,
    target: req.url ? hostLabel(req.url) : undefined,
    diagnosis,
    migrations,
    counts: countStates(migrations),
    warnings: [],
    fetchedAt: new Date(),
    durationMs: performance.now() - started,
    ...extra,
  });
  const localOnly = () => combine(folder, null, undefined);

  if (!req.url) {
    return finish(
      { kind: 'notConfigured', reason: req.problem ?? 'No connection string is configured.' },
      localOnly(),
    );
  }
  const schema = prismaSchema(req.url);
  const pool = req.pool ?? createPool(req.url);
  try {
    // Prisma's diagnosis (without a shadow database) is a function of the migrations folder and the
    // rows of _prisma_migrations alone: when both are unchanged since the last diagnosis on this
    // pool, the engine's verdict is reused. Otherwise the engine runs once the table was read: a
    // user without rights on _prisma_migrations makes Prisma's engine (WASM, 7.10) trap outside any
    // promise — an uncaught exception that ends the CLI and leaves the engine unusable — so the
    // engine only runs on a database whose table this connection could read.
    const previous = diagnoses.get(pool);
    const rowsP = earlyRows ?? settle(readMigrationRows(pool, schema));
    const runEngine = () =>
      (async () => {
        const engine = await engineForPool(pool, schema, log);
        const t = performance.now();
        const out = await engine.diagnoseMigrationHistory({
          migrationsList: toMigrationList(folder),
          optInToShadowDatabase: false,
          filters: NO_FILTERS,
        });
        log(`diagnoseMigrationHistory ${req.environment}: ${(performance.now() - t).toFixed(1)} ms`);
        return out;
      })().then(
        (out) => ({ out }),
        (error: unknown) => ({ error }),
      );
    // Opening the engine (loading its WebAssembly) sends no query: that part still overlaps the read.
    if (!previous) engineForPool(pool, schema, log).catch(() => {});
    const rowsR = await rowsP;
    if ('error' in rowsR) {
      return finish({ kind: 'unreachable', reason: describeDbError(rowsR.error, req.url) }, localOnly());
    }
    let engineR: { out: DiagnoseMigrationHistoryOutput } | { error: unknown };
    const key = diagnosisKey(folder, rowsR.rows, schema);
    if (previous && key === previous.key) {
      engineR = { out: previous.out };
      log(
        `diagnoseMigrationHistory ${req.environment}: folder and _prisma_migrations unchanged, engine verdict reused`,
      );
    } else {
      engineR = await runEngine();
    }
    if ('out' in engineR) diagnoses.set(pool, { key, out: engineR.out });
    else diagnoses.delete(pool);
    const rows = rowsR.rows;
    if ('error' in engineR) {
      const migrations = combine(folder, rows, undefined);
      return finish(
        {
          kind: 'error',
          reason: `Prisma's engine could not diagnose the history: ${engineErrorMessage(engineR.error)}`,
        },
        migrations,
      );
    }
    const engineOut = engineR.out;
    const migrations = combine(folder, rows, engineOut);
    return finish(diagnosisFrom(engineOut), migrations, {
      engine: {
        editedMigrationNames: engineOut.editedMigrationNames,
        failedMigrationNames: engineOut.failedMigrationNames,
        hasMigrationsTable: engineOut.hasMigrationsTable,
      },
    });
  } finally {
    if (!req.pool) {
      const e = engines.get(pool);
      engines.delete(pool);
      if (e) await e.then((engine) => engine.free()).catch(() => {});
      await pool.end().catch(() => {});
    }
  }
}

/** True when nothing needs attention: exit code 0 of `prisma-rollback status`. */
export function isUpToDate(s: EnvironmentStatus): boolean {
  if (s.diagnosis.kind !== 'upToDate' && s.diagnosis.kind !== 'noMigrationsTable') return false;
  if (s.diagnosis.kind === 'noMigrationsTable' && s.migrations.length > 0) return false;
  return s.counts.pending + s.counts.failed + s.counts.edited + s.counts.missingLocally === 0;
}
