/**
 * `prisma-rollback resolve` and `deploy`: `prisma migrate resolve` and `prisma migrate deploy`
 * through Prisma's own schema engine (WebAssembly), with the adapter that sends whole scripts.
 */
import path from 'node:path';
import pg from 'pg';
import type { ArchiveEntry } from '../archive';
import { describeDbError, guardPool, maskUrl, prismaSchema, schemaConnectionOptions } from '../db';
import {
  engineErrorMessage,
  NO_FILTERS,
  openEngineOnPool,
  type SchemaEngine,
  toMigrationList,
} from '../engine';
import type { ScriptErrorListener, ScriptHook } from '../engine/pg-adapter';
import { type MigrationsFolder, readMigrationsFolder } from '../migrations';
import { quoteIdent } from '../sql/names';
import { readMigrationRows } from '../status';
import { verifyHistory } from '../verify';
import { checkDrift, recordedStates } from '../verify/drift';
import { blankComments, locateFailure, scriptFailure } from '../verify/failure';
import { type DeployArchiveOptions, prepareDeployArchive, purgeExpiredArchive } from './archive';
import { RunbookError } from './errors';
import { describeRowState, latestRow, markAppliedRowRolledBack } from './history';

/**
 * Runs `fn` with a schema engine over a pool of 2 connections to `url` (the schema of its
 * `?schema=`). Throws `RunbookError` code `config` when it cannot connect; errors of opening the
 * engine and of `fn` propagate as they are. Whatever happens, the engine is freed and the pool is
 * closed; what `fn` changed in the database before failing stays.
 */
export async function withEngine<T>(
  url: string,
  fn: (engine: SchemaEngine, pool: pg.Pool, schema: string) => Promise<T>,
  onScriptError?: ScriptErrorListener,
  hook?: ScriptHook,
): Promise<T> {
  const schema = prismaSchema(url);
  const pool = new pg.Pool({
    connectionString: url,
    ...schemaConnectionOptions(url),
    max: 2,
    application_name: 'prisma-rollback',
    connectionTimeoutMillis: 10_000,
  });
  guardPool(pool);
  try {
    try {
      const c = await pool.connect();
      c.release();
    } catch (e) {
      throw new RunbookError(`Cannot connect: ${describeDbError(e, url)}`, 'config');
    }
    const engine = await openEngineOnPool(pool, schema, undefined, onScriptError, hook);
    try {
      return await fn(engine, pool, schema);
    } finally {
      engine.free();
    }
  } finally {
    await pool.end().catch(() => {});
  }
}

export interface ResolveOptions {
  url: string;
  environment: string;
  migrationsDir: string;
  migration: string;
  action: 'rolledBack' | 'applied';
  log?: (line: string) => void;
  /**
   * Compare the live schema with the replay of the migrations it should then be built from before
   * marking (default true; see `resolveMigration`). False: mark without looking (the CLI's
   * `--skip-drift-check`).
   */
  checkSchema?: boolean;
  /** For the replay: `prismaRollback.shadowDatabaseUrl` (the replay cache is the shared default one). */
  shadowDatabaseUrl?: string;
  /** Wall-clock limit of each step of that replay, ms (DriftOptions.timeoutMs; default 120 s). */
  timeoutMs?: number;
}

export interface ResolveResult {
  previousState: string;
  /** What was done, in words. */
  recorded: string;
}

/**
 * `prisma migrate resolve --applied | --rolled-back` for one migration: through Prisma's engine
 * where Prisma allows it; an applied migration marked rolled back gets `rolled_back_at` on its
 * row (what Prisma refuses with P3012), in one transaction.
 *
 * Before marking, unless `checkSchema` is false, the live schema is compared with the replay of
 * the migrations it should then be built from (./verify/drift.ts): a failed migration marked
 * rolled back must have left nothing behind (live = replay of the applied ones, without it); a
 * migration marked applied must be there whole (live = replay of the applied ones and it). A
 * difference refuses with what is left and how to proceed; a check that cannot run refuses too
 * (`config`), naming `--skip-drift-check`.
 *
 * Throws `RunbookError`: `config` (the database cannot be reached, the schema check cannot run),
 * `state` (no local folder for `--applied`, nothing to mark rolled back, the live schema is not
 * what the mark would say), `engine` (Prisma's engine refused). Nothing is
 * recorded when it throws; other database errors (from pg) propagate after the transaction is
 * rolled back.
 */
export async function resolveMigration(opts: ResolveOptions): Promise<ResolveResult> {
  const log = opts.log ?? (() => {});
  const flagName = opts.action === 'rolledBack' ? '--rolled-back' : '--applied';
  log(
    `Resolving ${opts.migration} as ${opts.action === 'rolledBack' ? 'rolled back' : 'applied'} on ${opts.environment} (${maskUrl(opts.url)}).`,
  );
  return withEngine(opts.url, async (engine, pool, schema) => {
    const before = await latestRow(pool, schema, opts.migration);
    log(`  ${describeRowState(before, opts.migration, opts.environment)}`);
    // Checked where Prisma would mark: a failed row rolled back; applied when no row has finished
    // (Prisma's engine refuses --applied once one has, and says so below).
    const markable =
      opts.action === 'applied'
        ? before.state !== 'applied' && !(before.state === 'rolledBack' && before.finishedAt)
        : before.state === 'failed';
    if (opts.checkSchema !== false && markable)
      await checkBeforeResolve(opts, await recordedStates((sql, p) => pool.query(sql, p), schema), log);
    if (opts.action === 'applied') {
      const folder = await readMigrationsFolder(opts.migrationsDir);
      if (!folder.migrations.some((m) => m.name === opts.migration)) {
        throw new RunbookError(
          `No folder "${opts.migration}" in ${opts.migrationsDir}: Prisma can only mark a local migration applied.`,
          'state',
        );
      }
      try {
        await engine.markMigrationApplied({
          migrationName: opts.migration,
          migrationsList: toMigrationList(folder),
        });
      } catch (e) {
        throw new RunbookError(
          `prisma migrate resolve ${flagName} ${opts.migration} was refused by Prisma's engine: ${engineErrorMessage(e)}`,
          'engine',
        );
      }
      log(`  markMigrationApplied("${opts.migration}") through Prisma's engine`);
      return {
        previousState: before.state,
        recorded: "marked applied by Prisma's engine (markMigrationApplied)",
      };
    }
    if (before.state === 'failed') {
      try {
        await engine.markMigrationRolledBack({ migrationName: opts.migration });
      } catch (e) {
        throw new RunbookError(
          `Prisma's engine refused to mark ${opts.migration} rolled back: ${engineErrorMessage(e)}`,
          'engine',
        );
      }
      log(`  markMigrationRolledBack("${opts.migration}") through Prisma's engine`);
      return {
        previousState: before.state,
        recorded: "marked rolled back by Prisma's engine (markMigrationRolledBack)",
      };
    }
    if (before.state === 'applied') {
      // Prisma answers P3012 for an applied migration; record it the way Prisma records failed ones.
      const client = await pool.connect();
      let id: string;
      try {
        await client.query('BEGIN');
        id = await markAppliedRowRolledBack(client, schema, opts.migration);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
      log(
        `  "${opts.migration}" was applied successfully, which \`prisma migrate resolve --rolled-back\` refuses (P3012: not in a failed state). ` +
          `Recorded the rollback the way Prisma records it for failed migrations: rolled_back_at set on row ${id}. ` +
          'Prisma now reads the migration as not applied; `migrate deploy` would apply it again.',
      );
      return {
        previousState: before.state,
        recorded: `rolled_back_at set on the applied row ${id} (Prisma refuses --rolled-back for applied migrations: P3012)`,
      };
    }
    throw new RunbookError(
      `Nothing to mark rolled back: ${describeRowState(before, opts.migration, opts.environment)}`,
      'state',
    );
  });
}

/**
 * Refuses (RunbookError) to mark `opts.migration` when the live schema is not the replay of what
 * the mark says is applied: the applied migrations without it (`rolledBack`), or with it
 * (`applied`). See `resolveMigration`.
 */
async function checkBeforeResolve(
  opts: ResolveOptions,
  recorded: Awaited<ReturnType<typeof recordedStates>>,
  log: (line: string) => void,
): Promise<void> {
  const folder = await readMigrationsFolder(opts.migrationsDir);
  const migrations = verifyHistory(folder.migrations);
  const applied = [...recorded]
    .filter(([n, r]) => r.state === 'applied' && n !== opts.migration)
    .map(([n]) => n);
  const expected = opts.action === 'applied' ? [...applied, opts.migration] : applied;
  const which = opts.action === 'applied' ? `with ${opts.migration}` : `without ${opts.migration}`;
  log(`  Comparing the schema of ${opts.environment} with the replay of its applied migrations ${which}.`);
  const r = await checkDrift({
    url: opts.url,
    environment: opts.environment,
    migrations,
    expected,
    shadowDatabaseUrl: opts.shadowDatabaseUrl,
    timeoutMs: opts.timeoutMs,
  });
  const flagName = opts.action === 'rolledBack' ? '--rolled-back' : '--applied';
  if (r.kind === 'couldNotCheck')
    throw new RunbookError(
      `Refused: cannot check the schema of ${opts.environment} before marking ${opts.migration} ${opts.action === 'applied' ? 'applied' : 'rolled back'}: ${r.reason} ` +
        `Nothing was changed. Pass --skip-drift-check to mark it without checking.`,
      'config',
    );
  if (r.kind === 'none') {
    log(`  The schema of ${opts.environment} is the replay of its applied migrations ${which}.`);
    return;
  }
  const shown = r.differences.slice(0, 10).map((d) => d.message);
  const more =
    r.differences.length > shown.length ? ` (and ${r.differences.length - shown.length} more)` : '';
  const next =
    opts.action === 'rolledBack'
      ? `${opts.migration} left changes behind. Undo them with \`prisma-rollback down ${opts.migration} --partial --env ${opts.environment} --stdout\` (review the script, run it), then resolve again; or finish the migration by hand and \`prisma-rollback resolve --applied ${opts.migration} --env ${opts.environment}\`.`
      : `${opts.migration} is not applied whole there: finish it by hand (or undo what it left and resolve --rolled-back), then resolve again.`;
  throw new RunbookError(
    `Refused: resolve ${flagName} ${opts.migration} — the schema of ${opts.environment} is not the replay of its applied migrations ${which}: ${shown.join('; ')}${more}. ${next} Nothing was changed.`,
    'state',
  );
}

export interface DeployOptions {
  url: string;
  environment: string;
  migrationsDir: string;
  log?: (line: string) => void;
  /**
   * The archive (src/core/archive): before each pending migration, in its transaction, what it
   * destroys is copied into the schema `_prisma_rollback`. Default: enabled, no size limit.
   */
  archive?: DeployArchiveOptions;
}

/**
 * `prisma migrate deploy`: applies every pending migration through Prisma's engine
 * (`applyMigrations`, prisma-engines `apply_migrations.rs`), each as one simple-protocol script.
 *
 * Throws RunbookError `config` (no folder, cannot connect) or `statementFailed` when a migration
 * fails: the message names the migration, the failing statement's `file:line:column`, PostgreSQL's
 * SQLSTATE, message, detail and hint, and the next step. Left behind on failure: the migrations
 * before it stay applied; the failing one is recorded as failed in `_prisma_migrations` (with
 * PostgreSQL's error in `logs`) and, unless its script has its own transaction control, nothing of
 * it stays applied (PostgreSQL runs a multi-statement simple query as one transaction).
 */
export async function deployMigrations(
  opts: DeployOptions,
): Promise<{ applied: string[]; purged: ArchiveEntry[]; durationMs: number }> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const folder = await readMigrationsFolder(opts.migrationsDir);
  if (!folder.exists) throw new RunbookError(`No migrations folder at ${opts.migrationsDir}.`, 'config');
  log(
    `Applying pending migrations of ${opts.migrationsDir} to ${opts.environment} (${maskUrl(opts.url)}) with Prisma's engine (applyMigrations = prisma migrate deploy).`,
  );
  let refused: { error: unknown; script: string } | undefined;
  let hook: ScriptHook | undefined;
  const archive = opts.archive ?? { enabled: true };
  return withEngine(
    opts.url,
    async (engine, pool, schema) => {
      if (archive.enabled) hook = (await prepareDeployArchive(pool, schema, folder, archive, log)).hook;
      else
        log(
          '  --no-archive: nothing is archived; a rollback cannot bring back what these migrations destroy.',
        );
      let out: { appliedMigrationNames: string[] };
      const appliedBefore = await appliedRowIds(pool, schema);
      try {
        out = await engine.applyMigrations({ migrationsList: toMigrationList(folder), filters: NO_FILTERS });
      } catch (e) {
        const failure = await deployFailure(e, refused, folder, opts);
        if (failure.migration)
          await keepDatabaseErrorInLogs(pool, schema, failure.migration, failure.logs, log);
        await logAppliedBeforeFailure(pool, schema, appliedBefore, failure.migration, log);
        throw failure.error;
      }
      for (const n of out.appliedMigrationNames) log(`  applied ${n}`);
      log(
        out.appliedMigrationNames.length
          ? `${out.appliedMigrationNames.length} migration(s) applied.`
          : 'No pending migration to apply.',
      );
      const purged =
        archive.retentionDays !== undefined && archive.retentionDays > 0
          ? await purgeExpiredArchive(pool, schema, archive.retentionDays, log)
          : [];
      return { applied: out.appliedMigrationNames, purged, durationMs: performance.now() - started };
    },
    (error, script) => {
      refused = { error, script };
    },
    (script) => hook?.(script),
  );
}

/** Ids of the applied rows (finished, not rolled back) of `_prisma_migrations`; undefined when unreadable. */
async function appliedRowIds(pool: pg.Pool, schema: string): Promise<Set<string> | undefined> {
  const rows = await readMigrationRows(pool, schema).catch(() => undefined);
  if (rows === undefined) return undefined;
  return new Set((rows ?? []).filter((r) => r.finishedAt && !r.rolledBackAt).map((r) => r.id));
}

/**
 * After a failed deploy: logs the migrations the same deploy applied before the failure (Prisma's
 * engine applies each in its own transaction, so they stay applied), read from `_prisma_migrations`
 * as the rows applied now whose ids were not applied before (`before`; nothing is said when either
 * read fails).
 */
async function logAppliedBeforeFailure(
  pool: pg.Pool,
  schema: string,
  before: Set<string> | undefined,
  failed: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  if (!before) return;
  const rows = await readMigrationRows(pool, schema).catch(() => undefined);
  if (!rows) return;
  const applied = rows
    .filter((r) => r.finishedAt && !r.rolledBackAt && !before.has(r.id))
    .sort((a, b) => a.finishedAt!.getTime() - b.finishedAt!.getTime());
  for (const r of applied) log(`  applied ${r.migrationName}`);
  log(`${applied.length} migration(s) applied before ${failed ?? 'the failure'}${failed ? ' failed' : ''}.`);
}

/** The one-paragraph error of a failed deploy (see deployMigrations). */
async function deployFailure(
  e: unknown,
  refused: { error: unknown; script: string } | undefined,
  folder: MigrationsFolder,
  opts: DeployOptions,
): Promise<{ error: RunbookError; migration?: string; logs?: string }> {
  const engineMessage = engineErrorMessage(e);
  const named = /migration_name="([^"]+)"/.exec(engineMessage)?.[1];
  const migration =
    folder.migrations.find((m) => m.name === named) ??
    (refused ? folder.migrations.find((m) => m.sql === refused.script) : undefined);
  if (!migration || !refused) {
    const firstLine = engineMessage
      .split('\n')
      .filter((l) => !/^\s+(\d+:|at |with )/.test(l))
      .join(' ');
    return {
      error: new RunbookError(`migrate deploy failed${named ? ` on ${named}` : ''}: ${firstLine}`, 'engine'),
    };
  }
  const file = path.join(folder.dir, migration.name, 'migration.sql');
  // Located from PostgreSQL's position, else the first mention of the object its message names:
  // the failing script is never re-run on the target to find the statement.
  const failure = await locateFailure(
    async () => {
      throw new Error('not re-run on a live database');
    },
    refused.script,
    scriptFailure(refused.error, refused.script, migration.name, file),
  );
  const where = failure.line !== undefined ? `${file}:${failure.line}:${failure.column}` : file;
  const ownTransaction = /^\s*(BEGIN|COMMIT|START\s+TRANSACTION)\b/im.test(blankComments(refused.script));
  const sentence = (t: string) => (/[.!?]$/.test(t) ? t : `${t}.`);
  // The words Prisma's native engine stores for a PostgreSQL error (schema-engine `apply_migration.rs`).
  const logs =
    `Database error code: ${failure.code ?? 'unknown'}\n\nDatabase error:\nERROR: ${failure.message}` +
    `${failure.detail ? `\nDETAIL: ${failure.detail}` : ''}${failure.hint ? `\nHINT: ${failure.hint}` : ''}` +
    `\n\nAt migration.sql${failure.line !== undefined ? `:${failure.line}:${failure.column}` : ''}`;
  const error = new RunbookError(
    `Migration ${migration.name} failed on ${opts.environment} at ${where}: ` +
      `${failure.message} (SQLSTATE ${failure.code ?? 'unknown'}). ` +
      `${failure.detail ? `${sentence(failure.detail)} ` : ''}${failure.hint ? `Hint: ${sentence(failure.hint)} ` : ''}` +
      (ownTransaction
        ? 'Its script has its own transaction control, so part of it may be applied: compare the schema before resolving. '
        : 'Nothing of it stays applied (PostgreSQL ran the script as one transaction). ') +
      `It is now recorded as failed in _prisma_migrations and migrate deploy refuses to run until it is resolved. ` +
      `Next: fix the data or the migration, then \`prisma-rollback resolve --rolled-back ${migration.name} --env ${opts.environment}\` and deploy again.`,
    'statementFailed',
    { file, line: failure.line, column: failure.column },
  );
  return { error, migration: migration.name, logs };
}

/**
 * Appends PostgreSQL's own error to the `logs` Prisma's engine stored for the failed migration:
 * through the driver adapter the engine keeps only its own category ("Unique constraint failed"),
 * where the native engine keeps SQLSTATE, message and detail. Best effort: without the right to
 * update `_prisma_migrations` the engine's words stay (said in the log).
 */
async function keepDatabaseErrorInLogs(
  pool: pg.Pool,
  schema: string,
  migration: string,
  logs: string | undefined,
  log: (line: string) => void,
): Promise<void> {
  if (!logs) return;
  const table = `${quoteIdent(schema)}."_prisma_migrations"`;
  try {
    await pool.query(
      `UPDATE ${table} SET logs = coalesce(logs || E'\\n\\n', '') || $2
        WHERE id = (SELECT id FROM ${table} WHERE migration_name = $1 AND finished_at IS NULL
                      AND rolled_back_at IS NULL ORDER BY started_at DESC LIMIT 1)`,
      [migration, logs],
    );
  } catch (e) {
    log(`  (could not add PostgreSQL's error to _prisma_migrations.logs: ${describeDbError(e)})`);
  }
}
