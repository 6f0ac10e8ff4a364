/**
 * `prisma-rollback apply-down --to <migration>`: rolls back every migration applied after
 * `<migration>`, newest first, in one transaction under Prisma Migrate's advisory lock, and marks
 * each one rolled back in that same transaction; `<migration>` stays applied.
 *
 * - Which migrations: those of the migrations folder after `<migration>` whose latest row in
 *   `_prisma_migrations` is applied (folder order is the order `prisma migrate deploy` applies
 *   them). A failed one after it, or an applied one the folder does not have, is refused.
 * - Each one's rollback: its `down.sql`; with `generate`, a missing one is generated in memory
 *   (never written), told of the environment's archive of that migration as `down <m> --env`
 *   is. A step that cannot be undone from SQL (an `UPDATE`, `DELETE`, `INSERT`…) runs only when
 *   that archive covers it (the generator's coverage, RollbackWarning.archived): its rows come
 *   back by the archive's restore after the script, in the same transaction, as `apply-down` of
 *   that migration alone restores them. A step the archive does not cover is refused, named
 *   (migration, line, statement).
 * - One transaction when every script can run in one. Otherwise refused (naming each statement,
 *   from the table in src/core/sql/script.ts) unless `allowNonTransactional`: then each
 *   migration's rollback commits on its own, newest first (its statements that cannot run in a
 *   transaction one by one), and a failure leaves the newer ones rolled back (the error says
 *   which).
 * - `dryRun`: the same lock, transaction, statements and `rolled_back_at` updates, then ROLLBACK:
 *   nothing changes. A dry run of statements that cannot run in a transaction is refused (they
 *   would commit by themselves).
 */
import path from 'node:path';
import type pg from 'pg';
import { archiveOf, historyTableOf, rollbackArchiveNote } from '../archive';
import { maskUrl, pgTimeoutMs, prismaSchema } from '../db';
import { generateRollback, type RollbackArchiveNote, type RollbackResult } from '../generator';
import { type LocalMigration, readMigrationsFolder } from '../migrations';
import { quoteIdent } from '../sql/names';
import { type ScriptStatement, statementLabel } from '../sql/script';
import {
  acquirePrismaLock,
  connectForRollback,
  DRY_RUN_FAILED,
  failedStatementError,
  noStatementError,
  PRISMA_ADVISORY_LOCK,
  type PreparedScript,
  prepareRollbackScript,
  readRollbackFile,
} from './apply-down';
import { archiveRollbackInTransaction, restoreArchiveInTransaction } from './archive';
import { RunbookError } from './errors';
import { latestStates, markAppliedRowRolledBack, type RowState } from './history';

export interface ApplyDownToOptions {
  url: string;
  environment: string;
  migrationsDir: string;
  /** Folder name of the migration to roll back to: it stays applied, every later one is rolled back. */
  to: string;
  /** Generate (in memory) the rollback of a migration that has no down.sql. */
  generate?: boolean;
  /** Allow scripts with statements that cannot run in a transaction: one transaction per migration. */
  allowNonTransactional?: boolean;
  /** Rehearsal: everything runs in the transaction, then ROLLBACK; nothing changes. */
  dryRun?: boolean;
  /** How long to wait for Prisma's advisory lock (default 10 s, as Prisma). */
  advisoryLockTimeoutMs?: number;
  /** `SET LOCAL lock_timeout` (default 10 s). */
  lockTimeoutMs?: number;
  /** `SET LOCAL statement_timeout` (default 0: none). */
  statementTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * Called before each statement of the range runs: `done` statements of `total` (all the range's
   * migrations together, newest first) have run — the same wording as a single rollback
   * (`statementProgressText` in apply-down.ts), for the checklist step and the notification.
   */
  onStatement?: (done: number, total: number) => void;
}

export interface RollbackToStep {
  migration: string;
  /** Path of its down.sql (for a generated one, where it would be written). */
  file: string;
  /** How it is named in messages: `<migration>/down.sql`, `<migration>/down.sql (generated)`. */
  label: string;
  source: 'down.sql' | 'generated';
  statements: number;
  skipped: string[];
}

export interface ApplyDownToResult {
  to: string;
  /** Newest first, in the order they ran. */
  steps: RollbackToStep[];
  /** `one`: a single transaction; `each`: one per migration (allowNonTransactional). */
  transactions: 'one' | 'each';
  dryRun: boolean;
  durationMs: number;
}

/**
 * The migrations to roll back to go back to `to`: those after it in `names` (folder order) whose
 * state is `applied`, newest first. Throws `RunbookError` `state` when `to` is not applied, a
 * later one failed, or a later applied one is missing from `names`; `config` when `to` is not a
 * migration of the folder. Pure.
 */
export function migrationsToRollBack(
  names: string[],
  to: string,
  states: Map<string, RowState>,
  environment: string,
): string[] {
  const t = names.indexOf(to);
  if (t < 0) throw new RunbookError(`No migration "${to}" in the migrations folder.`, 'config');
  const target = states.get(to) ?? 'absent';
  if (target !== 'applied')
    throw new RunbookError(
      `Cannot roll back to ${to}: it is ${target === 'absent' ? 'not applied' : target === 'rolledBack' ? 'rolled back' : target} in ${environment}; the target must be applied (it stays applied). Nothing was run.`,
      'state',
    );
  const after = names.slice(t + 1);
  const failed = after.filter((n) => states.get(n) === 'failed');
  if (failed.length) {
    const which = failed.length === 1 ? failed[0] : '<each of them>';
    throw new RunbookError(
      `${failed.join(', ')} failed in ${environment}: resolve ${failed.length === 1 ? 'it' : 'them'} first (prisma-rollback resolve --rolled-back ${which} --env ${environment}, or apply-down ${which} --env ${environment} alone). Nothing was run.`,
      'state',
    );
  }
  const known = new Set(names);
  const unknown = [...states]
    .filter(([n, st]) => st === 'applied' && !known.has(n) && n > to)
    .map(([n]) => n)
    .sort();
  if (unknown.length)
    throw new RunbookError(
      `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} applied in ${environment} but not in the migrations folder: a rollback needs ${unknown.length === 1 ? 'its' : 'their'} folder. Nothing was run.`,
      'state',
    );
  const range = after.filter((n) => states.get(n) === 'applied').reverse();
  if (!range.length)
    throw new RunbookError(
      `Nothing to roll back: no migration is applied after ${to} in ${environment}.`,
      'state',
    );
  return range;
}

interface LoadedStep extends RollbackToStep {
  prepared: PreparedScript;
  /** A generated rollback with steps only the archive undoes: its restore must happen. */
  needsArchive?: boolean;
}

/**
 * The steps of a generated rollback that cannot be undone from SQL and that the environment's
 * archive does not cover (their IRREVERSIBLE warning is not `archived`), as
 * `migration.sql:<line> <statement>` — empty when every such step is covered. Pure.
 */
export function stepsNotCovered(r: RollbackResult): string[] {
  return r.irreversible
    .filter((step) => {
      const w = r.warnings.find(
        (x) => x.kind === 'irreversible' && x.line <= step.line && step.line <= (x.group?.lastLine ?? x.line),
      );
      return !w?.archived;
    })
    .map((step) => `migration.sql:${step.line} ${statementLabel({ text: step.forward })}`);
}

async function loadStep(
  migrations: LocalMigration[],
  index: number,
  generate: boolean,
  archiveOn: (migration: string) => Promise<RollbackArchiveNote | undefined>,
  environment: string,
  notCovered: string[],
): Promise<LoadedStep> {
  const m = migrations[index];
  const file = m.downSqlPath ?? path.join(m.dir, 'down.sql');
  if (m.downSqlPath) {
    const label = `${m.name}/down.sql`;
    const script = await readRollbackFile(file, m.name);
    const prepared = await prepareRollbackScript(script, file, m.name, label, true, true);
    return {
      migration: m.name,
      file,
      label,
      source: 'down.sql',
      prepared,
      statements: prepared.run.length,
      skipped: prepared.skipped,
    };
  }
  if (!generate)
    throw new RunbookError(
      `${m.name} has no down.sql. Write the missing ones (prisma-rollback down --to NAME) or pass --generate to generate them in memory. Nothing was run.`,
      'config',
      { file },
    );
  const unreadable = migrations.slice(0, index + 1).find((x) => x.sql === undefined);
  if (unreadable)
    throw new RunbookError(
      `Cannot read ${unreadable.sqlPath}: ${unreadable.error}. Nothing was run.`,
      'config',
    );
  const history = migrations.slice(0, index + 1).map((x) => ({ name: x.name, sql: x.sql ?? '' }));
  const archive = await archiveOn(m.name);
  const r = await generateRollback(history, index, { archive });
  const uncovered = stepsNotCovered(r);
  if (uncovered.length)
    notCovered.push(
      `${uncovered.map((u) => `${m.name}/${u}`).join(', ')} (${archive ? `not in its archive on ${environment}` : `${environment} has no archive of ${m.name}: deployed with --no-archive, purged, or taken by an earlier deploy`})`,
    );
  const label = `${m.name}/down.sql (generated)`;
  const prepared = await prepareRollbackScript(r.sql, file, m.name, label, true, true);
  return {
    migration: m.name,
    file,
    label,
    source: 'generated',
    prepared,
    statements: prepared.run.length,
    skipped: prepared.skipped,
    needsArchive: r.irreversible.length > 0,
  };
}

/**
 * Rolls back every migration applied after `opts.to` on `opts.url` (see the module comment).
 *
 * Throws `RunbookError`:
 * - `config`, `parse` — the folder, a down.sql or a generated rollback cannot be used (a step that
 *   cannot be undone from SQL and that the archive does not cover: migration, line and statement
 *   named), or the database cannot be reached: nothing ran;
 * - `notInTransaction` — a statement cannot run in a transaction (each one named, file:line) and
 *   `allowNonTransactional` is off, or it is a dry run: nothing ran;
 * - `state` — the target is not applied, a later one failed or has no folder, nothing is applied
 *   after the target, or a state changed while waiting for the lock: nothing ran. Also when an
 *   archive a generated rollback relies on is stale or gone by the time its migration runs: that
 *   migration's transaction is rolled back (in one transaction, everything; with one per
 *   migration, the newer ones the message lists stay rolled back);
 * - `lockTimeout` — another session held Prisma's advisory lock: nothing ran;
 * - `statementFailed` — a statement failed (`<migration>/down.sql:line:column`, PostgreSQL's
 *   error): in one transaction (and always in a dry run) everything was rolled back; with one
 *   transaction per migration, the newer migrations the message lists stay rolled back.
 */
export async function applyDownTo(opts: ApplyDownToOptions): Promise<ApplyDownToResult> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const folder = await readMigrationsFolder(opts.migrationsDir);
  if (!folder.exists)
    throw new RunbookError(`Migrations folder ${opts.migrationsDir} does not exist.`, 'config');
  const names = folder.migrations.map((m) => m.name);
  if (!names.includes(opts.to))
    throw new RunbookError(`No migration "${opts.to}" in ${opts.migrationsDir}.`, 'config');
  const schema = prismaSchema(opts.url);

  const client = await connectForRollback(opts.url, opts.environment);
  try {
    const range = migrationsToRollBack(names, opts.to, await latestStates(client, schema), opts.environment);
    const steps: LoadedStep[] = [];
    // What down <m> --env shows of each migration's archive (stale ones left out: never restored).
    const archiveOn = async (migration: string) =>
      rollbackArchiveNote(await archiveOf(client, migration, historyTableOf(schema)), opts.environment);
    const notCovered: string[] = [];
    for (const name of range)
      steps.push(
        await loadStep(
          folder.migrations,
          names.indexOf(name),
          !!opts.generate,
          archiveOn,
          opts.environment,
          notCovered,
        ),
      );
    if (notCovered.length)
      throw new RunbookError(
        `The generated rollbacks cannot undo from SQL, and the archive on ${opts.environment} does not cover: ${notCovered.join('; ')}. Write ${notCovered.length === 1 ? 'that' : 'those'} down.sql by hand (prisma-rollback down --to ${opts.to} --env ${opts.environment} writes the missing ones; edit them), or restore those rows from a backup (prisma-rollback restore --migration NAME --from FILE). Nothing was run.`,
        'config',
      );

    const outside = steps.flatMap((s) =>
      s.prepared.outside.map((st) => `${s.label}:${st.line}: ${statementLabel(st)} — ${st.notInTransaction}`),
    );
    if (outside.length && (opts.dryRun || !opts.allowNonTransactional)) {
      throw new RunbookError(
        `${outside.length} statement${outside.length === 1 ? '' : 's'} cannot run inside a transaction, so the ${steps.length} rollbacks cannot run as one:\n` +
          outside.map((l) => `  ${l}`).join('\n') +
          (opts.dryRun
            ? '\nA dry run cannot rehearse them (they commit by themselves). Nothing was run.'
            : '\nPass --allow-non-transactional to run one transaction per migration (a failure then leaves the newer ones rolled back), or edit those scripts. Nothing was run.'),
        'notInTransaction',
      );
    }
    const transactions: ApplyDownToResult['transactions'] = outside.length ? 'each' : 'one';
    log(
      `${opts.dryRun ? 'Dry run: rolling back' : 'Rolling back'} ${steps.length} migration(s) after ${opts.to} on ${opts.environment} (${maskUrl(opts.url)}), newest first, ${transactions === 'one' ? 'in one transaction' : 'one transaction per migration'}:`,
    );
    for (const s of steps) log(`  ${s.migration}  (${s.label}, ${s.statements} statement(s))`);

    const lockWait = opts.advisoryLockTimeoutMs ?? 10_000;
    log(
      `  SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK})  -- Prisma Migrate's lock, waiting up to ${Math.round(lockWait / 1000)} s`,
    );
    await acquirePrismaLock(client, lockWait);
    try {
      const settings = [
        `lock_timeout = ${pgTimeoutMs(opts.lockTimeoutMs ?? 10_000)}`,
        `statement_timeout = ${pgTimeoutMs(opts.statementTimeoutMs ?? 0)}`,
        ...(schema !== 'public' ? [`search_path TO ${quoteIdent(schema)}`] : []),
      ];
      // The states may have changed while we waited for the lock.
      const recheck = async () => {
        const now = migrationsToRollBack(
          names,
          opts.to,
          await latestStates(client, schema),
          opts.environment,
        );
        if (now.join('\n') !== range.join('\n'))
          throw new RunbookError(
            `The migrations applied after ${opts.to} changed while waiting for the lock (now: ${now.join(', ')}). Nothing was run; retry.`,
            'state',
          );
      };
      const progress = statementCounter(steps, opts.onStatement);
      if (transactions === 'one') {
        await client.query('BEGIN');
        try {
          for (const s of settings) await client.query(`SET LOCAL ${s}`);
          await recheck();
          for (const step of steps) await runStep(client, step, schema, opts, log, undefined, progress);
          if (opts.dryRun) {
            await client.query('ROLLBACK');
            log('  ROLLBACK  -- dry run: every statement ran; nothing was changed');
          } else {
            await client.query('COMMIT');
            log('  COMMIT');
          }
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          log(`  ROLLBACK — nothing was ${opts.dryRun ? 'changed' : 'applied'}`);
          throw e;
        }
      } else {
        for (const s of settings) await client.query(`SET ${s}`);
        await recheck();
        const done: string[] = [];
        for (const step of steps) {
          const alone = step.prepared.outside.length > 0;
          try {
            if (!alone) await client.query('BEGIN');
            await runStep(client, step, schema, opts, log, done, progress);
            if (!alone) await client.query('COMMIT');
            log(alone ? '  (each statement committed on its own)' : '  COMMIT');
            done.push(step.migration);
          } catch (e) {
            if (!alone) await client.query('ROLLBACK').catch(() => {});
            throw e;
          }
        }
        await client.query('RESET ALL').catch(() => {});
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
    }
    return {
      to: opts.to,
      steps: steps.map(({ prepared: _, ...s }) => s),
      transactions,
      dryRun: !!opts.dryRun,
      durationMs: performance.now() - started,
    };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Counts the range's statements as they start: `next()` reports `done of total` before each one. */
function statementCounter(
  steps: LoadedStep[],
  onStatement?: (done: number, total: number) => void,
): () => void {
  const total = steps.reduce((n, s) => n + s.prepared.run.length, 0);
  let done = 0;
  return () => onStatement?.(done++, total);
}

/**
 * Runs one migration's rollback statements and marks its applied row rolled back. `done` (one
 * transaction per migration) lists the migrations already committed, for the failure message;
 * `next` is called before each statement (the range's progress).
 */
async function runStep(
  client: pg.Client,
  step: LoadedStep,
  schema: string,
  opts: ApplyDownToOptions,
  log: (l: string) => void,
  done?: string[],
  next?: () => void,
): Promise<void> {
  const { prepared } = step;
  log(`  -- ${step.label}`);
  const archiveAfter = await archiveRollbackInTransaction(
    client,
    opts.migrationsDir,
    step.migration,
    prepared.script,
    log,
  );
  for (const s of prepared.run) {
    next?.();
    const t = performance.now();
    try {
      await client.query(s.text);
    } catch (e) {
      throw failedStatementError(
        e,
        s,
        prepared.statements.length,
        step.file,
        prepared.script,
        opts.url,
        step.label,
        endingOf(opts, step, done),
      );
    }
    log(
      `  [${s.index}/${prepared.statements.length}] line ${s.line}: ${statementLabel(s as ScriptStatement)}  (${(performance.now() - t).toFixed(0)} ms)`,
    );
  }
  await archiveAfter();
  const restored = await restoreArchiveInTransaction(client, step.migration, log, opts.environment, schema);
  if (step.needsArchive && !restored)
    throw new RunbookError(
      `The archive of ${step.migration} on ${opts.environment} is gone (purged since the rollback was read): the steps of ${step.label} it covered would stay undone. ${endingOf(opts, step, done)}`,
      'state',
    );
  if (!prepared.run.length && !restored) throw noStatementError(step.file);
  const id = await markAppliedRowRolledBack(client, schema, step.migration);
  log(`  UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = '${id}'  -- ${step.migration}`);
}

function endingOf(opts: ApplyDownToOptions, step: LoadedStep, done?: string[]): string {
  if (opts.dryRun) return DRY_RUN_FAILED;
  if (!done)
    return `Nothing was applied: the one transaction was rolled back; every migration after ${opts.to} is still applied and _prisma_migrations is unchanged.`;
  const partial =
    step.prepared.outside.length > 0
      ? ` Statements of ${step.migration} that ran before this one stayed (they ran outside a transaction).`
      : ` ${step.migration}'s transaction was rolled back.`;
  return done.length
    ? `Already rolled back (committed): ${done.join(', ')}.${partial} ${step.migration} and the migrations before it are still applied.`
    : `Nothing else was rolled back.${partial}`;
}
