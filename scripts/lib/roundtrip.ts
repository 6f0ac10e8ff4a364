/**
 * Proves generated rollbacks on a real database: for each migration of a history, snapshot the
 * schema, apply the migration, apply its generated down.sql, snapshot again and compare; then
 * apply the migration again (it must apply cleanly after its rollback) and go on with the next.
 * Used by the generator's integration tests and by the corpus conformance run.
 */

import {
  buildSchemaModelSync,
  foldHistoryInto,
  generateAllRollbacksSync,
  type MigrationSource,
  type RollbackResult,
} from '../../src/core/generator';
import { archiveRoundTripSql } from '../../src/core/runbook/archive';
import { parseMigrationSync } from '../../src/core/sql/parser';
import { notInTransaction, transactionControl } from '../../src/core/sql/script';
import { type DataRoundTripSql, runDataRoundTrip, unprovenData } from '../../src/core/verify/data';
import { transactionBody } from '../../src/core/verify/index';
import { compareSnapshots, type QueryFn, snapshotSchema } from '../../src/core/verify/snapshot';

export interface RoundTripOutcome {
  name: string;
  /** The generated rollback (undefined when migration.sql does not parse). */
  rollback?: RollbackResult;
  /** The forward migration failed to apply (the history itself is broken here). */
  applyError?: string;
  /** down.sql failed. */
  downError?: string;
  /** Schema differences after down.sql, compared with the schema before the migration. */
  differences: string[];
  /** Re-applying the migration after its rollback failed. */
  reapplyError?: string;
  /** The migration was skipped (not in `only`). */
  skipped?: boolean;
}

export interface RoundTripOptions {
  /** Only check these migration indexes (the others are just applied). */
  only?: (index: number) => boolean;
  /** Called after each migration (progress). */
  onOutcome?: (o: RoundTripOutcome, index: number) => void;
}

/** Runs a script the way Prisma does: one simple-protocol query, unless it must be split. */
async function runScript(query: QueryFn, sql: string, split: boolean): Promise<void> {
  try {
    if (!split) await query(sql);
    else for (const s of parseMigrationSync(sql).statements) await query(s.text);
  } catch (e) {
    // a script with its own BEGIN that failed leaves the transaction open: end it
    await query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The body of a generated down.sql without its own BEGIN/COMMIT lines. */
function downBody(sql: string): string {
  return sql.replace(/^BEGIN;$/m, '').replace(/^COMMIT;$/m, '');
}

/**
 * The migration's statements without transaction control (it runs inside the check's transaction),
 * or undefined when one of them cannot run in a transaction block (the table in src/core/sql/script.ts).
 */
function withoutTransactionControl(sql: string): string[] | undefined {
  const statements = parseMigrationSync(sql).statements;
  if (statements.some((s) => notInTransaction(s))) return undefined;
  return statements.filter((s) => !transactionControl(s)).map((s) => s.text);
}

/**
 * Replays `history` on an empty database reached through `query` (one session), checking every
 * migration's rollback. Each check runs in a transaction that is rolled back afterwards
 * (`BEGIN; migration; down.sql; snapshot; migration again; ROLLBACK`), so data steps that the
 * rollback cannot undo do not disturb the rest of the history; then the migration is applied for
 * real. Migrations that cannot run in a transaction (CONCURRENTLY, VACUUM…) are checked without one.
 * The database is left with the whole history applied (as far as it applies).
 */
export async function checkRollbacks(
  query: QueryFn,
  history: MigrationSource[],
  opts: RoundTripOptions = {},
): Promise<RoundTripOutcome[]> {
  const rollbacks = generateAllRollbacksSync(history);
  const out: RoundTripOutcome[] = [];
  for (let i = 0; i < history.length; i++) {
    const m = history[i];
    const r = rollbacks[i];
    const o: RoundTripOutcome = { name: m.name, differences: [] };
    if (!(r instanceof Error)) o.rollback = r;
    const check = !opts.only || opts.only(i);
    if (!check) o.skipped = true;
    const inTx = o.rollback && check ? withoutTransactionControl(m.sql) : undefined;
    if (o.rollback && check && inTx && o.rollback.transactional) {
      const before = await snapshotSchema(query);
      await query('BEGIN');
      let stage: 'apply' | 'down' | 'reapply' = 'apply';
      try {
        for (const s of inTx) await query(s);
        stage = 'down';
        await query(downBody(o.rollback.sql));
        o.differences = compareSnapshots(before, await snapshotSchema(query));
        stage = 'reapply';
        for (const s of inTx) await query(s);
      } catch (e) {
        if (stage === 'apply') o.applyError = message(e);
        else if (stage === 'down') o.downError = message(e);
        else o.reapplyError = message(e);
      } finally {
        await query('ROLLBACK');
      }
      try {
        await runScript(query, m.sql, false);
      } catch (e) {
        o.applyError ??= message(e);
      }
    } else {
      const before = check && o.rollback ? await snapshotSchema(query) : undefined;
      try {
        await runScript(query, m.sql, false);
      } catch (e) {
        o.applyError = message(e);
      }
      if (before && o.rollback && !o.applyError) {
        let downOk = true;
        try {
          await runScript(query, o.rollback.sql, !o.rollback.transactional);
        } catch (e) {
          o.downError = message(e);
          downOk = false;
        }
        if (downOk) {
          o.differences = compareSnapshots(before, await snapshotSchema(query));
          try {
            await runScript(query, m.sql, false);
          } catch (e) {
            o.reapplyError = message(e);
          }
        }
      }
    }
    out.push(o);
    opts.onOutcome?.(o, i);
  }
  return out;
}

/**
 * Whether a round trip restored the schema exactly. Re-applying a migration whose rollback has
 * irreversible (data) steps may fail by design (its rows are still there): that does not count.
 */
export function roundTripOk(o: RoundTripOutcome): boolean {
  const reapplyOk = !o.reapplyError || (o.rollback?.irreversible.length ?? 0) > 0;
  return (
    !o.skipped && !!o.rollback && !o.applyError && !o.downError && reapplyOk && o.differences.length === 0
  );
}

export type RoundTripVerdict = 'restored' | 'flagged' | 'failed' | 'historyBroken' | 'parseError' | 'skipped';

/**
 * How a round trip ended: `restored` (schema exactly as before), `flagged` (it failed or differs,
 * and the rollback warned that it could: backfill, enum values, casts, irreversible steps),
 * `failed` (unannounced), `historyBroken` (the forward migration itself does not apply here),
 * `parseError`, `skipped`.
 */
export function roundTripVerdict(o: RoundTripOutcome): RoundTripVerdict {
  if (o.skipped) return 'skipped';
  if (!o.rollback) return 'parseError';
  if (roundTripOk(o)) return 'restored';
  if (o.applyError) return 'historyBroken';
  const kinds = new Set(o.rollback.warnings.map((w) => w.kind));
  const announced = ['needsBackfill', 'enumValue', 'mayFail', 'irreversible', 'dataNotRestored'].some((k) =>
    kinds.has(k as never),
  );
  return announced ? 'flagged' : 'failed';
}

// ---------------------------------------------------------------------------------------------
// Data round trips (`verify --data` without an archive, on a real server)

export interface DataRoundTripCheck {
  name: string;
  /** `roundTrips`: every row of every table before it reads the same after migration + down.sql. */
  verdict: 'roundTrips' | 'differs' | 'notChecked';
  /** Why it does not round-trip, or was not checked: one or more kinds (dataReasonKinds). */
  kinds: string[];
  /** The first lines of the differences, or the error. */
  detail: string[];
  /** Tables and rows that existed before it (0 tables: nothing to lose). */
  tables: number;
  rows: number;
  notSeeded: string[];
  /** With the archive around it (checkDataRoundTrips `archive`). */
  withArchive?: { verdict: DataRoundTripCheck['verdict']; kinds: string[]; detail: string[] };
}

/** The kind of one difference line of a data round trip (scripts' grouping, not a product rule). */
export function dataDifferenceKind(line: string): string {
  if (/: the table is gone/.test(line)) return 'table gone';
  if (/: column "[^"]*" is gone/.test(line)) return 'column gone';
  if (/: column "[^"]*" is new and holds values/.test(line)) return 'column left with values';
  if (/^\S.*: row .*: ".*" .* → NULL$/.test(line)) return 'values lost (re-created empty)';
  if (/^\S.*: row .*: ".*" .* → '/.test(line)) return 'values changed';
  if (/ is missing( or changed)?$/.test(line)) return 'rows lost';
  if (/ is extra( or changed)?$/.test(line)) return 'rows added, not removed';
  if (/: … and \d+ more$/.test(line)) return '';
  return 'schema differs';
}

/**
 * Replays `history` on an empty database reached through `query` (one session) and checks, for
 * every migration, the data round trip of its generated down.sql: in a transaction that is
 * rolled back, seed every table (src/core/verify/seed.ts), read every row, apply the migration
 * and down.sql, compare every row (src/core/verify/data.ts, the same code `verify --data` runs);
 * then apply the migration for real. Scripts run as verify's fast path runs them
 * (transactionBody: without their BEGIN/COMMIT, CONCURRENTLY dropped); one that cannot run in a
 * transaction at all (VACUUM…) is `notChecked`.
 * With `archive`: each migration is also checked with the archive around it, as `verify --data`
 * runs it (src/core/runbook/archive.ts archiveRoundTripSql: capture before and after the
 * migration, restore after down.sql), in a second transaction rolled back; the outcome is in
 * `withArchive` (a migration the archive covers nothing of gets the outcome without it).
 */
export async function checkDataRoundTrips(
  query: QueryFn,
  history: MigrationSource[],
  opts: { onOutcome?: (o: DataRoundTripCheck, index: number) => void; archive?: boolean } = {},
): Promise<DataRoundTripCheck[]> {
  const rollbacks = generateAllRollbacksSync(history);
  const out: DataRoundTripCheck[] = [];
  const model = buildSchemaModelSync([]).model;
  for (let i = 0; i < history.length; i++) {
    const m = history[i];
    const r = rollbacks[i];
    const o: DataRoundTripCheck = {
      name: m.name,
      verdict: 'notChecked',
      kinds: [],
      detail: [],
      tables: 0,
      rows: 0,
      notSeeded: [],
    };
    // As verify --data's fast path: the scripts' bodies inside one transaction (CONCURRENTLY dropped).
    const forward = r instanceof Error ? undefined : transactionBody(m.sql);
    const rollback = r instanceof Error ? undefined : transactionBody(r.sql);
    if (r instanceof Error) o.kinds.push('no rollback (parse error)');
    else if (forward === undefined || rollback === undefined)
      o.kinds.push('runs outside a transaction (not checked)');
    else {
      Object.assign(o, await oneDataTrip(query, forward, rollback, NO_HOOKS));
      if (opts.archive) {
        let hooks: DataRoundTripSql = NO_HOOKS;
        try {
          hooks = archiveRoundTripSql(m, model);
        } catch {
          // a migration that does not parse has no plan: as without the archive
        }
        o.withArchive =
          hooks === NO_HOOKS || !hooks.capture.length
            ? { verdict: o.verdict, kinds: o.kinds, detail: o.detail }
            : await oneDataTrip(query, forward, rollback, hooks);
      }
    }
    if (opts.archive && !o.withArchive)
      o.withArchive = { verdict: o.verdict, kinds: o.kinds, detail: o.detail };
    try {
      await runScript(query, m.sql, false);
    } catch (e) {
      o.verdict = 'notChecked';
      o.kinds = ['history does not apply'];
      o.detail = [message(e)];
      if (o.withArchive) o.withArchive = { verdict: o.verdict, kinds: o.kinds, detail: o.detail };
    }
    foldHistoryInto(model, [m], []);
    out.push(o);
    opts.onOutcome?.(o, i);
  }
  return out;
}

const NO_HOOKS: DataRoundTripSql = { capture: [], afterMigration: [], restore: [] };

/** One data round trip of `forward` and `rollback` with `hooks`, in a transaction rolled back. */
async function oneDataTrip(
  query: QueryFn,
  forward: string,
  rollback: string,
  hooks: DataRoundTripSql,
): Promise<Pick<DataRoundTripCheck, 'verdict' | 'kinds' | 'detail' | 'tables' | 'rows' | 'notSeeded'>> {
  const o: Pick<DataRoundTripCheck, 'verdict' | 'kinds' | 'detail' | 'tables' | 'rows' | 'notSeeded'> = {
    verdict: 'notChecked',
    kinds: [],
    detail: [],
    tables: 0,
    rows: 0,
    notSeeded: [],
  };
  const before = await snapshotSchema(query);
  await query('BEGIN');
  try {
    const outcome = await runDataRoundTrip(
      { query, exec: (sql) => query(sql) },
      { before, forward, rollback, hooks, transaction: 'caller' },
    );
    o.tables = outcome.proof.tables;
    o.rows = outcome.proof.rows;
    o.notSeeded = outcome.proof.notSeeded;
    if (outcome.kind === 'failed') {
      o.verdict = 'differs';
      const what =
        outcome.stage === 'forward'
          ? 'migration'
          : outcome.stage === 'rollback'
            ? 'down.sql'
            : `archive ${outcome.stage}`;
      o.kinds.push(`${what} fails on seeded rows`);
      o.detail.push(message(outcome.error).split('\n')[0]);
    } else if (outcome.differences.length) {
      o.verdict = 'differs';
      o.kinds = [...new Set(outcome.differences.map(dataDifferenceKind).filter(Boolean))];
      o.detail = outcome.differences.slice(0, 3);
    } else if (unprovenData(outcome.proof).length) {
      // as verify --data: a table the seeder could not fill proves nothing (cannotProve there)
      o.verdict = 'notChecked';
      o.kinds = ['tables not fully seeded'];
      o.detail = unprovenData(outcome.proof).slice(0, 3);
    } else o.verdict = 'roundTrips';
  } catch (e) {
    o.verdict = 'notChecked';
    o.kinds.push('check failed');
    o.detail.push(message(e));
  } finally {
    await query('ROLLBACK');
  }
  return o;
}
