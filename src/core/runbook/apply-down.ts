/**
 * `prisma-rollback apply-down`: runs a rollback script in one transaction, under the advisory
 * lock Prisma Migrate takes, then records the migration as rolled back.
 *
 * - `pg_advisory_lock(72707369)` — the key `prisma migrate deploy` uses — so a rollback never
 *   interleaves with a deploy; given up after 10 s like Prisma (with what usually holds it).
 * - `SET LOCAL lock_timeout` so a DDL statement never queues behind a long transaction (and
 *   blocks every query behind it in turn).
 * - Statement by statement (split by PostgreSQL's own parser) inside one transaction: on any
 *   error the transaction is rolled back and the error names the statement and its line.
 * - `BEGIN;`/`COMMIT;` written in the file are skipped (this runner owns the transaction);
 *   statements that cannot run in a transaction are refused before anything runs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describeDbError, maskUrl, pgTimeoutMs, prismaSchema } from '../db';
import { engineErrorMessage } from '../engine';
import { quoteIdent } from '../sql/names';
import { LineIndex, SqlParseError } from '../sql/parser';
import { type ScriptStatement, splitScript, statementLabel } from '../sql/script';
import { reapplyAfterLaterNote } from '../status/present-rollback';
import { archiveRollbackInTransaction, restoreArchiveInTransaction } from './archive';
import { RunbookError } from './errors';
import { describeRowState, latestRow, markAppliedRowRolledBack } from './history';
import { withEngine } from './resolve';

/** The advisory lock key of Prisma Migrate (prisma-engines `sql_schema_connector`). */
export const PRISMA_ADVISORY_LOCK = 72707369;

export interface ApplyDownOptions {
  url: string;
  environment: string;
  migrationsDir: string;
  migration: string;
  /** Rollback script; default `<migrationsDir>/<migration>/down.sql`. */
  file?: string;
  /** What happens to the migration folder afterwards (default `keep`). */
  after?: 'keep' | 'delete';
  /** How long to wait for Prisma's advisory lock (default 10 s, as Prisma). */
  advisoryLockTimeoutMs?: number;
  /** `SET LOCAL lock_timeout` for the rollback's statements (default 10 s). */
  lockTimeoutMs?: number;
  /** `SET LOCAL statement_timeout` (default 0: none, DDL on big tables can take long). */
  statementTimeoutMs?: number;
  /**
   * Rehearsal: the same lock, transaction and statements (and the `rolled_back_at` update), then
   * ROLLBACK instead of COMMIT — nothing changes, the folder is kept.
   */
  dryRun?: boolean;
  log?: (line: string) => void;
  /** Called before each statement runs: `done` statements of `total` have run (`statementProgressText`). */
  onStatement?: (done: number, total: number) => void;
}

/** `Statement 3 of 7`: the one wording of apply progress (terminal, checklist step). */
export function statementProgressText(done: number, total: number): string {
  return `Statement ${Math.min(done + 1, total)} of ${total}`;
}

export interface ApplyDownResult {
  file: string;
  statements: number;
  skipped: string[];
  previousState: 'applied' | 'failed';
  /** How the rollback was recorded in `_prisma_migrations`. */
  recordedBy: 'rolled_back_at on the applied row' | "Prisma's engine (markMigrationRolledBack)";
  folder: 'kept' | 'deleted';
  durationMs: number;
  /** True when it was a rehearsal: everything ran and was rolled back, nothing changed. */
  dryRun: boolean;
  /** Migrations after this one (folder order) that stay applied: `migrate deploy` re-applies it after them. */
  laterApplied: string[];
}

/** How a failure ends when it was a dry run. */
export const DRY_RUN_FAILED =
  'Dry run: the transaction was rolled back; nothing was changed (schema, data and _prisma_migrations as before).';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `pg_try_advisory_lock` (Prisma Migrate's session lock) until it is granted or `timeoutMs`
 * (milliseconds) passes. Throws `RunbookError` code `lockTimeout` (naming the holder when
 * pg_stat_activity shows it) on timeout; query errors propagate. On failure the lock is not held
 * and nothing was changed; the client stays open (the caller ends it).
 */
export async function acquirePrismaLock(client: pg.Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
      PRISMA_ADVISORY_LOCK,
    ]);
    if (r.rows[0]?.ok) return;
    if (Date.now() >= deadline) break;
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
  let holder = '';
  try {
    const h = await client.query<{
      pid: number;
      application_name: string;
      state: string;
      since: Date | null;
    }>(
      `SELECT a.pid, a.application_name, a.state, a.xact_start AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1`,
      [PRISMA_ADVISORY_LOCK],
    );
    const row = h.rows[0];
    if (row)
      holder = ` It is held by backend pid ${row.pid} (application "${row.application_name || '?'}", ${row.state ?? 'unknown state'}).`;
  } catch {
    // pg_stat_activity may be restricted; the message below still says what to do.
  }
  throw new RunbookError(
    `Timed out after ${Math.round(timeoutMs / 1000)} s waiting for Prisma Migrate's advisory lock ` +
      `(pg_advisory_lock(${PRISMA_ADVISORY_LOCK})): another \`prisma migrate deploy\` or rollback is running on this database.${holder} ` +
      'Wait for it to finish and retry. If you connect through a connection pooler (PgBouncer, Supabase port 6543, ' +
      "Neon's -pooler host), session locks can stay with another client's server connection: use the direct connection string instead.",
    'lockTimeout',
  );
}

/**
 * The error of a statement that failed in a rollback transaction: `label:line:column`, the
 * statement, PostgreSQL's message, SQLSTATE, detail and hint, then `ending` (what was left
 * behind). The position is PostgreSQL's when it reported one, else the statement's start.
 */
export function failedStatementError(
  e: unknown,
  s: ScriptStatement,
  total: number,
  file: string,
  script: string,
  url: string,
  label = path.basename(file),
  ending = 'Nothing was applied: the transaction was rolled back and _prisma_migrations is unchanged.',
): RunbookError {
  const err = e as pg.DatabaseError;
  let at = { line: s.line, column: s.column };
  if (err?.position) {
    // PostgreSQL's position is 1-based, in characters, within the statement sent.
    at = new LineIndex(script).position(s.offset + Number(err.position) - 1);
  }
  const base = err?.code ? `${err.message} (SQLSTATE ${err.code})` : describeDbError(e, url);
  const hint =
    err?.code === '55P03'
      ? ' The lock_timeout was reached: a long-running transaction holds a lock on that table; retry when it ends.'
      : '';
  const extra = [err?.detail && `Detail: ${err.detail}`, err?.hint && `Hint: ${err.hint}`]
    .filter(Boolean)
    .join(' ');
  return new RunbookError(
    `Statement ${s.index} of ${total} failed at ${label}:${at.line}:${at.column} — ${statementLabel(s)}\n` +
      `  ${base}${hint}${extra ? `\n  ${extra}` : ''}\n${ending}`,
    'statementFailed',
    { file, line: at.line, column: at.column, statement: s.index },
  );
}

/** A rollback script split for the runner. */
export interface PreparedScript {
  script: string;
  statements: ScriptStatement[];
  /** What runs (BEGIN/COMMIT written in the file left out). */
  run: ScriptStatement[];
  skipped: string[];
  /** Statements that cannot run inside a transaction block (only when `allowOutside`). */
  outside: ScriptStatement[];
}

/**
 * Splits a rollback script with PostgreSQL's parser: the statements to run, and the
 * `BEGIN;`/`COMMIT;` lines skipped because the runner owns the transaction. `label` names the
 * script in messages (`down.sql`, `<migration>/down.sql`). Throws `RunbookError` `config`
 * (nothing to run), `parse` (with line and column) or `notInTransaction` (other transaction
 * control, or — unless `allowOutside` — a statement of the table in src/core/sql/script.ts).
 * `allowNoStatement`: a script of comments only is accepted (the rollback of a migration whose
 * only statements are data changes is its archive's restore; the caller checks one exists).
 * Pure; nothing has run when it throws.
 */
export async function prepareRollbackScript(
  script: string,
  file: string,
  migration: string,
  label: string,
  allowOutside = false,
  allowNoStatement = false,
): Promise<PreparedScript> {
  if (!script.trim())
    throw new RunbookError(
      `${file} is empty: there is no rollback to run. Generate it (\`prisma-rollback down ${migration}\` writes it) or pass the right --file. Nothing was run.`,
      'config',
      { file },
    );
  let statements: ScriptStatement[];
  try {
    statements = await splitScript(script);
  } catch (e) {
    if (e instanceof SqlParseError) {
      throw new RunbookError(
        `${label} does not parse: ${e.reason} (line ${e.line}, column ${e.column}). Nothing was run.`,
        'parse',
        {
          file,
          line: e.line,
          column: e.column,
        },
      );
    }
    throw e;
  }
  const outside = statements.filter((s) => s.notInTransaction);
  if (outside.length && !allowOutside) {
    const first = outside[0];
    throw new RunbookError(
      `Statement ${first.index} (${label}:${first.line}) cannot be part of the rollback's single transaction: ${first.notInTransaction}. ` +
        'Remove it from the file (run it separately afterwards, e.g. with psql) and retry. Nothing was run.',
      'notInTransaction',
      { file, line: first.line, statement: first.index },
    );
  }
  const skipped: string[] = [];
  const run: ScriptStatement[] = [];
  for (const s of statements) {
    if (s.transaction === 'begin' || s.transaction === 'commit')
      skipped.push(`line ${s.line}: ${statementLabel(s)} (this runner owns the transaction)`);
    else if (s.transaction) {
      throw new RunbookError(
        `Statement ${s.index} (${label}:${s.line}) is transaction control (${statementLabel(s)}); the rollback runs in one transaction, remove it. Nothing was run.`,
        'notInTransaction',
        { file, line: s.line, statement: s.index },
      );
    } else run.push(s);
  }
  if (run.length === 0 && !allowNoStatement) throw noStatementError(file);
  return { script, statements, run, skipped, outside };
}

/** The error of a rollback script with no statement and no archive to restore. */
export function noStatementError(file: string): RunbookError {
  return new RunbookError(
    `${file} contains no statement to run (and no archive of this migration to restore).`,
    'config',
    { file },
  );
}

/**
 * Reads a rollback file; rejects with `RunbookError` code `config` when it cannot be read (missing:
 * the message says how to generate it). `migration` only names it in that message. Nothing changed.
 */
export async function readRollbackFile(file: string, migration: string): Promise<string> {
  return fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new RunbookError(
      e.code === 'ENOENT'
        ? `No rollback script at ${file}. Generate it first (\`prisma-rollback down ${migration}\` writes it beside migration.sql) or pass --file.`
        : `Cannot read ${file}: ${e.message}`,
      'config',
    );
  });
}

async function loadRollbackScript(file: string, migration: string): Promise<PreparedScript> {
  const script = await readRollbackFile(file, migration);
  return prepareRollbackScript(script, file, migration, path.basename(file), false, true);
}

/**
 * The one connection a rollback runs on (single or `--to`): a connected client named
 * `prisma-rollback apply-down`, 10 s connect timeout, with an error listener. Throws RunbookError
 * `config` when it cannot connect (nothing is left open). The caller ends it.
 */
export async function connectForRollback(url: string, environment: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'prisma-rollback apply-down',
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    throw new RunbookError(`Cannot connect to ${environment}: ${describeDbError(e, url)}`, 'config');
  }
  return client;
}

/**
 * Runs `down.sql` (or `opts.file`) of `opts.migration` on `opts.url` in one transaction, under
 * Prisma Migrate's advisory lock, and records the migration rolled back in `_prisma_migrations`
 * (rolled_back_at on an applied row; Prisma's engine for a failed one). Then keeps or deletes the
 * migration folder (`opts.after`).
 *
 * Throws `RunbookError`:
 * - `config`, `parse`, `notInTransaction` — the script cannot be read or run as one transaction,
 *   or the database cannot be reached: nothing ran;
 * - `state` — the migration is not applied or failed there (or changed state while waiting for
 *   the lock): nothing ran;
 * - `lockTimeout` — another session held Prisma's advisory lock: nothing ran;
 * - `statementFailed` — a statement failed (named with its line and column): the transaction was
 *   rolled back, schema, data and `_prisma_migrations` are as before;
 * - `engine` — the script was committed but Prisma's engine could not mark the failed migration
 *   rolled back: the schema is rolled back, the row is not (the message gives the resolve command).
 * The folder is deleted only after everything else succeeded.
 * With `opts.dryRun`, everything runs (the lock, the statements, the `rolled_back_at` update) and
 * the transaction is rolled back: nothing changes, the folder is kept, and a failure ends with
 * `DRY_RUN_FAILED`; a failed migration's engine mark is not rehearsed (logged).
 */
export async function applyDown(opts: ApplyDownOptions): Promise<ApplyDownResult> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const folder = path.join(opts.migrationsDir, opts.migration);
  const file = path.resolve(opts.file ?? path.join(folder, 'down.sql'));
  const { script, statements, run, skipped } = await loadRollbackScript(file, opts.migration);

  const schema = prismaSchema(opts.url);
  log(
    `Rolling back ${opts.migration} on ${opts.environment} (${maskUrl(opts.url)}) with ${path.relative(process.cwd(), file) || file}: ${run.length} statement(s) in one transaction.`,
  );
  for (const s of skipped) log(`  skipped ${s}`);

  const client = await connectForRollback(opts.url, opts.environment);
  let previousState: 'applied' | 'failed';
  let laterApplied: string[] = [];
  let recordedBy: ApplyDownResult['recordedBy'];
  try {
    const before = await latestRow(client, schema, opts.migration);
    if (before.state !== 'applied' && before.state !== 'failed') {
      throw new RunbookError(
        `Nothing to roll back: ${describeRowState(before, opts.migration, opts.environment)}`,
        'state',
      );
    }
    previousState = before.state;
    log(`  ${describeRowState(before, opts.migration, opts.environment)}`);
    laterApplied = await laterAppliedMigrations(client, schema, opts.migration);

    const lockWait = opts.advisoryLockTimeoutMs ?? 10_000;
    log(
      `  SELECT pg_advisory_lock(${PRISMA_ADVISORY_LOCK})  -- Prisma Migrate's lock, waiting up to ${Math.round(lockWait / 1000)} s`,
    );
    await acquirePrismaLock(client, lockWait);
    try {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL lock_timeout = ${pgTimeoutMs(opts.lockTimeoutMs ?? 10_000)}`);
        await client.query(`SET LOCAL statement_timeout = ${pgTimeoutMs(opts.statementTimeoutMs ?? 0)}`);
        // Prisma runs a project's migrations in its `?schema=` (search_path); so does its rollback.
        if (schema !== 'public') {
          await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
          log(
            `  SET LOCAL search_path TO ${quoteIdent(schema)}  -- the schema of ?schema= in the connection string`,
          );
        }
        // The state may have changed while we waited for the lock.
        const locked = await latestRow(client, schema, opts.migration);
        if (locked.state !== previousState) {
          throw new RunbookError(
            `The migration changed state while waiting for the lock: ${describeRowState(locked, opts.migration, opts.environment)}`,
            'state',
          );
        }
        const archiveAfter =
          previousState === 'applied'
            ? await archiveRollbackInTransaction(client, opts.migrationsDir, opts.migration, script, log)
            : async () => {};
        for (const [i, s] of run.entries()) {
          opts.onStatement?.(i, run.length);
          const t = performance.now();
          try {
            await client.query(s.text);
          } catch (e) {
            throw failedStatementError(
              e,
              s,
              statements.length,
              file,
              script,
              opts.url,
              path.basename(file),
              opts.dryRun ? DRY_RUN_FAILED : undefined,
            );
          }
          log(
            `  [${s.index}/${statements.length}] line ${s.line}: ${statementLabel(s)}  (${(performance.now() - t).toFixed(0)} ms)`,
          );
        }
        await archiveAfter();
        const restored = await restoreArchiveInTransaction(
          client,
          opts.migration,
          log,
          opts.environment,
          schema,
        );
        if (!run.length && !restored) throw noStatementError(file);
        if (previousState === 'applied') {
          const id = await markAppliedRowRolledBack(client, schema, opts.migration);
          log(
            `  UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = '${id}'  -- the applied row`,
          );
          recordedBy = 'rolled_back_at on the applied row';
        } else recordedBy = "Prisma's engine (markMigrationRolledBack)";
        if (opts.dryRun) {
          await client.query('ROLLBACK');
          log('  ROLLBACK  -- dry run: every statement ran; nothing was changed');
        } else {
          await client.query('COMMIT');
          log('  COMMIT');
        }
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        log('  ROLLBACK — nothing was applied');
        throw e;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }

  if (previousState === 'failed' && opts.dryRun) {
    log(
      `  (dry run) Prisma's engine would then mark "${opts.migration}" rolled back (markMigrationRolledBack); not rehearsed.`,
    );
  } else if (previousState === 'failed') {
    // A failed row is Prisma's to resolve: its engine sets rolled_back_at on the failed rows.
    try {
      await withEngine(opts.url, (engine) =>
        engine.markMigrationRolledBack({ migrationName: opts.migration }),
      );
      log(`  markMigrationRolledBack("${opts.migration}") through Prisma's engine`);
    } catch (e) {
      throw new RunbookError(
        `The rollback script was applied and committed, but marking "${opts.migration}" rolled back failed: ${engineErrorMessage(e)}. ` +
          `Run: prisma-rollback resolve --rolled-back ${opts.migration} --env ${opts.environment}`,
        'engine',
      );
    }
  }

  let folderState: ApplyDownResult['folder'] = 'kept';
  if (opts.dryRun) {
    log(`  (dry run) ${folder} stays as it is.`);
  } else if (opts.after === 'delete') {
    const rel = path.relative(path.resolve(opts.migrationsDir), path.resolve(folder));
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel))
      throw new RunbookError(`Refusing to delete ${folder}: not inside the migrations folder.`, 'config');
    await fs.rm(folder, { recursive: true, force: true });
    folderState = 'deleted';
    log(
      `  Deleted ${folder}: the history no longer lists ${opts.migration}. Update schema.prisma to match (prisma db pull).`,
    );
  } else {
    log(
      `  Kept ${folder}: the migration now reads pending, and the next \`prisma migrate deploy\` re-applies it.`,
    );
    const note = reapplyAfterLaterNote(opts.migration, laterApplied);
    if (note) log(`  ${note}`);
  }
  return {
    file,
    statements: run.length,
    skipped,
    previousState,
    recordedBy: recordedBy!,
    folder: folderState,
    durationMs: performance.now() - started,
    dryRun: !!opts.dryRun,
    laterApplied,
  };
}

/**
 * Migrations after `migration` in folder order (Prisma sorts folder names bytewise: `COLLATE "C"`)
 * whose latest row is finished and not rolled back. Reads only.
 */
async function laterAppliedMigrations(
  client: pg.Client,
  schema: string,
  migration: string,
): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT migration_name AS name FROM (
       SELECT DISTINCT ON (migration_name) migration_name, finished_at, rolled_back_at
       FROM ${quoteIdent(schema)}."_prisma_migrations"
       WHERE migration_name COLLATE "C" > $1 COLLATE "C"
       ORDER BY migration_name, started_at DESC
     ) latest
     WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
     ORDER BY migration_name COLLATE "C"`,
    [migration],
  );
  return r.rows.map((x) => x.name);
}
