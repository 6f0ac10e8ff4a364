/**
 * The data round trip of `verify --data`: on a database where migrations 1..N-1 are applied,
 * fill every table with deterministic rows (./seed.ts), read every row (./rows.ts), run the
 * archive's capture SQL (if any), migration N, the capture's after-migration SQL (if any), its rollback, the archive's restore SQL (if any),
 * read every row again and compare the rows of every table that existed before N.
 *
 * Without capture/restore SQL the comparison shows exactly what the rollback loses (a dropped
 * column comes back empty, a dropped table comes back without rows…): such a rollback is never
 * reported as round-tripping (fail closed).
 */
import { compareRowsDetailed, snapshotRows } from './rows';
import { type SeedReport, seedSchema } from './seed';
import { compareSnapshots, type QueryFn, type SchemaSnapshot, snapshotSchema } from './snapshot';

/** The migration a hook is asked about (VerifyMigration of ./index.ts). */
export interface DataHookMigration {
  /** Folder name, e.g. `20240101120000_init`. */
  name: string;
  /** Contents of its `migration.sql`. */
  sql: string;
  path?: string;
}

/**
 * How an archive plugs into `verify --data`. Both are optional; without them the proof shows
 * what the rollback alone loses.
 * - `capture(migration)`: SQL statements run after the rows are seeded and read, right before
 *   migration N (the archive's copy of what N destroys).
 * - `afterMigration(migration)`: SQL statements run right after migration N, before its rollback
 *   (the archive's `after` statements: the row diff that keeps only the rows N changed, the keys
 *   of the rows N added, the sizes in the catalog).
 * - `restore(migration)`: SQL statements run right after the rollback, before the rows are read
 *   again (the archive's restore).
 * Each string is run as one script (it may hold several statements). They run on the main thread
 * before the replay starts; only their SQL reaches the embedded PostgreSQL.
 */
export interface DataRoundTripHooks {
  capture?: (migration: DataHookMigration) => string[] | Promise<string[]>;
  afterMigration?: (migration: DataHookMigration) => string[] | Promise<string[]>;
  restore?: (migration: DataHookMigration) => string[] | Promise<string[]>;
}

/** The hooks' SQL for one migration (structured-cloneable: it crosses to the worker thread). */
export interface DataRoundTripSql {
  capture: string[];
  /** Run right after migration N (stage `capture`: it is the archive's). */
  afterMigration: string[];
  restore: string[];
}

/** What a `verify --data` result says about the data, besides its differences. */
export interface DataProof {
  /** Tables that existed before N and were compared. */
  tables: number;
  /** Rows read before N, over those tables. */
  rows: number;
  /** Tables the seeder could not fill completely, with the reason (./seed.ts SeedReport.problems). */
  notSeeded: string[];
  /** Capture or restore SQL took part (an archive was plugged in). */
  archive: boolean;
  /**
   * Of the differences, how many are values of rows (missing, extra or changed: ./rows.ts
   * compareRowsDetailed) — what an archive keeps and restores. 0 or unset when the differences are
   * the schema's or a script failed (a failed rollback loses no value: it changes nothing).
   */
  valueDifferences?: number;
}

/**
 * How many differences of a data result are values the rollback alone does not bring back and an
 * archive would have kept: `proof.valueDifferences` when no archive took part, else 0. What the
 * CLI's "(no archive: …)" and the checklist's data line say, only when it is not 0.
 */
export function valuesAnArchiveKeeps(proof: DataProof | undefined): number {
  return proof && !proof.archive ? (proof.valueDifferences ?? 0) : 0;
}

/**
 * Why a comparison that found no difference still does not prove the data round trip: one line
 * per table the seeder could not fill completely (`DataProof.notSeeded`), empty when every table
 * got its rows. A table left empty or short (a column type without generated values, a CHECK that
 * rejects every row…) takes no or only part of the rows through N and its rollback, so "no
 * difference" there says nothing about the values the rollback loses (a dropped column of an empty
 * table comes back "identical"). Callers must not read `compared` with no differences as
 * "round-trips exactly" while this is not empty (fail closed).
 */
export function unprovenData(proof: DataProof): string[] {
  return proof.notSeeded.map((p) => `not fully seeded, so its rows are not proven: ${p}`);
}

/**
 * Calls the hooks for `migration`; `{ capture: [], afterMigration: [], restore: [] }` without hooks.
 * Throws what a hook throws.
 */
export async function dataHookSql(
  hooks: DataRoundTripHooks | undefined,
  migration: DataHookMigration,
): Promise<DataRoundTripSql> {
  return {
    capture: (await hooks?.capture?.(migration)) ?? [],
    afterMigration: (await hooks?.afterMigration?.(migration)) ?? [],
    restore: (await hooks?.restore?.(migration)) ?? [],
  };
}

export type DataStage = 'capture' | 'forward' | 'rollback' | 'restore';

export type DataRoundTripOutcome =
  | {
      kind: 'compared';
      /** Row differences (./rows.ts compareRows), schema differences first (./snapshot.ts compareSnapshots). */
      differences: string[];
      proof: DataProof;
    }
  | {
      kind: 'failed';
      stage: DataStage;
      /** The script that failed (for the caller's failure position). */
      sql: string;
      error: unknown;
      proof: DataProof;
    };

export interface DataRoundTripInput {
  /** Schema snapshot of the replayed state (before N). */
  before: SchemaSnapshot;
  /** Migration N's script (or the part of it that runs in a transaction). */
  forward: string;
  rollback: string;
  hooks: DataRoundTripSql;
  /**
   * `caller`: the caller holds a transaction open around the whole round trip (seeding uses
   * savepoints in it). `own`: no transaction is open; seeding runs in one of its own and is
   * committed, the scripts then run as they are.
   */
  transaction: 'caller' | 'own';
  /** Told before each script runs (time-out messages). */
  running?: (stage: DataStage, sql: string) => void;
}

/**
 * Runs the round trip described in the module comment through `db` (`query`: one statement with
 * rows; `exec`: a script of any number of statements). Never throws for a script that fails
 * (`failed`, with the stage); throws what `query` throws outside the scripts (connection lost,
 * no transaction with `caller`). Leaves the seeded rows and whatever the scripts did in place:
 * the caller rolls back or restores the database.
 */
export async function runDataRoundTrip(
  db: { query: QueryFn; exec: (sql: string) => Promise<unknown> },
  input: DataRoundTripInput,
): Promise<DataRoundTripOutcome> {
  let seed: SeedReport;
  if (input.transaction === 'own') {
    await db.query('BEGIN');
    try {
      seed = await seedSchema(db.query, input.before);
      await db.query('COMMIT');
    } catch (e) {
      await db.query('ROLLBACK').catch(() => {});
      throw e;
    }
  } else seed = await seedSchema(db.query, input.before);
  const rowsBefore = await snapshotRows(db.query, input.before);
  const proof: DataProof = {
    tables: Object.keys(rowsBefore).length,
    rows: Object.values(rowsBefore).reduce((n, t) => n + t.rows.length, 0),
    notSeeded: seed.problems,
    archive: input.hooks.capture.length + input.hooks.afterMigration.length + input.hooks.restore.length > 0,
  };
  const steps: [DataStage, string][] = [
    ...input.hooks.capture.map((s): [DataStage, string] => ['capture', s]),
    ['forward', input.forward],
    ...input.hooks.afterMigration.map((s): [DataStage, string] => ['capture', s]),
    ['rollback', input.rollback],
    ...input.hooks.restore.map((s): [DataStage, string] => ['restore', s]),
  ];
  for (const [stage, sql] of steps) {
    input.running?.(stage, sql);
    try {
      await db.exec(sql);
    } catch (error) {
      return { kind: 'failed', stage, sql, error, proof };
    }
  }
  const after = await snapshotSchema(db.query);
  const keys = Object.fromEntries(Object.entries(rowsBefore).map(([t, r]) => [t, r.key]));
  const rowsAfter = await snapshotRows(db.query, after, keys);
  const rows = compareRowsDetailed(rowsBefore, rowsAfter);
  return {
    kind: 'compared',
    differences: [...compareSnapshots(input.before, after), ...rows.lines],
    proof: { ...proof, valueDifferences: rows.values },
  };
}
