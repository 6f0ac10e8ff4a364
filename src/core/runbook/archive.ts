/**
 * The archive in the runbook's deploy and rollback (issue 12): the plans of the pending migrations,
 * the size limit, the wrapper that runs the capture around each migration script inside Prisma's
 * engine, and the restore a rollback runs in its transaction. The plans and SQL come from
 * src/core/archive; this file only decides when they run.
 */
import path from 'node:path';
import type pg from 'pg';
import {
  type ArchiveEntry,
  type ArchivePlan,
  archiveOf,
  captureSql,
  estimateSizeSql,
  historyTableOf,
  listArchive,
  planArchive,
  purgeArchive,
  restoreFromCatalogSql,
  staleArchiveLine,
} from '../archive';
import type { ScriptHook, ScriptWrapper } from '../engine/pg-adapter';
import { buildSchemaModelSync, type SchemaModel } from '../generator';
import { type MigrationsFolder, readMigrationsFolder } from '../migrations';
import { quoteIdent } from '../sql/names';
import { initSqlParser, parseMigrationSync, SqlParseError } from '../sql/parser';
import { notInTransaction } from '../sql/script';
import { formatDateTime } from '../status/time';
import type { DataRoundTripHooks, DataRoundTripSql } from '../verify';
import { RunbookError } from './errors';

/** The deploy's archive settings. */
export interface DeployArchiveOptions {
  /** False: `--no-archive`, nothing is copied. */
  enabled: boolean;
  /** Refuse to deploy when the archive would copy more than this many megabytes (MiB); none when undefined. */
  maxMegabytes?: number;
  /**
   * `prismaRollback.archive.retentionDays`: after a successful deploy, the archives taken more than
   * this many days ago of migrations still applied are purged (purgeExpiredArchive); undefined: keep
   * forever. Applies with `--no-archive` too (it is housekeeping of earlier archives).
   */
  retentionDays?: number;
}

const MB = 1024 * 1024;

/** Migrations recorded as applied (finished, not rolled back) in `schema`'s `_prisma_migrations`. */
async function appliedMigrations(db: pg.Pool | pg.PoolClient, schema: string): Promise<string[]> {
  const t = `${quoteIdent(schema)}."_prisma_migrations"`;
  const exists = await db.query<{ c: string | null }>('SELECT to_regclass($1)::text AS c', [t]);
  if (!exists.rows[0]?.c) return [];
  const r = await db.query<{ migration_name: string }>(
    `SELECT DISTINCT migration_name FROM ${t} WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  return r.rows.map((x) => x.migration_name);
}

/** Migrations of `folder` not applied (finished and not rolled back) on the database of `pool`. */
async function pendingMigrations(pool: pg.Pool, schema: string, folder: MigrationsFolder): Promise<string[]> {
  const applied = new Set(await appliedMigrations(pool, schema));
  return folder.migrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
}

/**
 * The archive's retention (`prismaRollback.archive.retentionDays`), run after a successful deploy:
 * in one transaction on `pool`, purges the archived objects taken more than `retentionDays` days ago
 * (database clock) of migrations recorded as applied in `schema`'s `_prisma_migrations`, and logs
 * each one purged (migration, table, rows, when taken) or that nothing was due. The archive of a
 * migration that is rolled back (not applied) or taken within the retention is never touched.
 * Returns what was purged. Never throws: a failure (e.g. no privilege on `_prisma_rollback`) is
 * logged in one line, the transaction is rolled back and the archive stays as it was — the deploy
 * itself already succeeded.
 */
export async function purgeExpiredArchive(
  pool: pg.Pool,
  schema: string,
  retentionDays: number,
  log: (line: string) => void,
): Promise<ArchiveEntry[]> {
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('BEGIN');
    const applied = await appliedMigrations(client, schema);
    const gone = await purgeArchive(client, { olderThanDays: retentionDays, migrations: applied });
    await client.query('COMMIT');
    const days = `${retentionDays} day${retentionDays === 1 ? '' : 's'}`;
    if (!gone.length) log(`  archive retention (${days}): nothing to purge.`);
    else {
      log(
        `  archive retention (${days}): purged ${gone.length} archived object(s) of applied migrations; a rollback of these can no longer restore their data:`,
      );
      for (const e of gone)
        log(
          `    ${e.migration}: ${e.kind} of ${e.table} (${e.rows} row(s), ${e.bytes} bytes), taken ${formatDateTime(e.takenAt)}`,
        );
    }
    return gone;
  } catch (e) {
    await client?.query('ROLLBACK').catch(() => {});
    log(
      `  archive retention: could not purge (the archive is unchanged): ${e instanceof Error ? e.message : String(e)}`,
    );
    return [];
  } finally {
    client?.release();
  }
}

/**
 * The archive plans of the pending migrations of `folder` and the script hook that runs their
 * capture around each migration the engine applies. Throws RunbookError `config` when the archive
 * would copy more than `opts.maxMegabytes` (saying how much), and for a migration PostgreSQL's
 * parser rejects (its `file:line:column`, the parser's reason: nothing applied). Nothing is written
 * to the database here.
 */
export async function prepareDeployArchive(
  pool: pg.Pool,
  schema: string,
  folder: MigrationsFolder,
  opts: DeployArchiveOptions,
  log: (line: string) => void,
): Promise<{ plans: ArchivePlan[]; hook: ScriptHook }> {
  await initSqlParser();
  let pendingNames: string[];
  try {
    pendingNames = await pendingMigrations(pool, schema, folder);
  } catch (e) {
    // Prisma's engine reads the same table next and reports the failure in its own words.
    log(
      `  cannot read _prisma_migrations to plan the archive (${e instanceof Error ? e.message : String(e)}): nothing is archived.`,
    );
    return { plans: [], hook: () => undefined };
  }
  const pending = new Set(pendingNames);
  // What earlier rollbacks of these migrations archived (origin `rollback`): put back after them.
  const rolledBack = new Set(
    (await listArchive(pool)).filter((e) => e.origin === 'rollback').map((e) => e.migration),
  );
  const plans: ArchivePlan[] = [];
  const bySql = new Map<string, ScriptWrapper>();
  const sources = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
  sources.forEach((m, i) => {
    if (!pending.has(m.name) || !m.sql) return;
    let model: SchemaModel;
    let plan: ArchivePlan;
    try {
      model = buildSchemaModelSync(sources.slice(0, i)).model;
      plan = planArchive(m, model);
    } catch (e) {
      if (!(e instanceof SqlParseError)) throw e;
      throw new RunbookError(
        `${path.resolve(folder.dir, e.file ?? path.join(m.name, 'migration.sql'))}:${e.line}:${e.column}: ${e.reason}. ` +
          'Nothing was applied: deploy reads every pending migration to plan its archive before it applies any. ' +
          "Fix the migration (or deploy with --no-archive: Prisma's engine then applies the migrations before it and records this one as failed).",
        'config',
      );
    }
    for (const u of plan.unarchived ?? [])
      log(
        `  WARNING ${m.name} line ${u.line}: ${u.what} — a rollback cannot restore what it changes; keep a backup taken before this deploy.`,
      );
    const forward = rolledBack.has(m.name) ? [restoreFromCatalogSql(m.name, 'rollback')] : [];
    if (forward.length)
      log(`  ${m.name}: the values its last rollback archived are put back after it (same transaction).`);
    if (!plan.items.length && !forward.length) return;
    plans.push(plan);
    const c = captureSql(plan, 'deploy', historyTableOf(schema));
    if (!plan.items.length) c.before = [];
    c.after.push(...forward);
    const outside = parseMigrationSync(m.sql).statements.some((s) => notInTransaction(s));
    if (outside)
      log(
        `  ${m.name} holds statements that cannot run in a transaction: its archive is taken in a transaction of its own just before it.`,
      );
    bySql.set(m.sql, { before: c.before, after: c.after, sameTransaction: !outside });
    for (const it of plan.items)
      log(
        `  archive for ${m.name}: ${it.kind} of ${it.schema ? `${it.schema}.` : ''}${it.table}${it.kind === 'columns' ? ` (${it.columns.join(', ')})` : ''} — ${it.reasons.join('; ')}${it.note ? `. ${it.note}` : ''}`,
      );
  });
  if (plans.length && opts.maxMegabytes !== undefined) {
    const bytes = Number((await pool.query<{ bytes: string }>(estimateSizeSql(plans))).rows[0].bytes);
    if (bytes > opts.maxMegabytes * MB)
      throw new RunbookError(
        `The archive would copy about ${(bytes / MB).toFixed(1)} MB (the tables ${plans.map((p) => p.migration).join(', ')} destroy data of), over archive.maxMegabytes = ${opts.maxMegabytes}. Nothing was applied. Raise the limit, or deploy with --no-archive (a rollback then cannot bring that data back).`,
        'config',
      );
  }
  return { plans, hook: (script) => bySql.get(script) };
}

/**
 * Restores, in the caller's open transaction on `client`, what the deploy of `migration` archived
 * (after its rollback script ran), and drops that archive. Logs what it restores. Reading the
 * catalog: query errors propagate. An archive taken by an earlier deploy of the migration than the
 * one `schema`'s `_prisma_migrations` records now (store.ts ArchiveEntry.stale: deployed again
 * outside the tool since, e.g. `prisma migrate reset`) is never restored into the new rows: throws
 * RunbookError `state` with one line (staleArchiveLine) before touching anything. The restore
 * itself failing (a data table dropped by hand, a value the re-created column's type no longer
 * accepts…) throws RunbookError `state` naming the archive, PostgreSQL's reason and the way out
 * (`archive --purge`, then roll back without it); the caller rolls back: nothing is restored and
 * the archive stays.
 */
export async function restoreArchiveInTransaction(
  client: pg.Client,
  migration: string,
  log: (line: string) => void,
  environment: string | undefined,
  schema: string,
): Promise<number> {
  const entries = await archiveOf(client, migration, historyTableOf(schema));
  if (!entries.length) return 0;
  const stale = entries.find((e) => e.stale);
  if (stale)
    throw new RunbookError(
      `${staleArchiveLine(migration, formatDateTime(stale.takenAt), environment ?? 'NAME')} Nothing was applied.`,
      'state',
    );
  try {
    await client.query(restoreFromCatalogSql(migration));
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new RunbookError(
      `The archive of ${migration} could not be restored (${reason}); nothing was applied. ` +
        `To roll back without it (the archived values stay lost): prisma-rollback archive --env ${environment ?? 'NAME'} --purge ${migration}, then run the rollback again.`,
      'state',
    );
  }
  for (const e of entries)
    log(
      `  restored from the archive of ${formatDateTime(e.takenAt)}: ${e.kind} of ${e.table} (${e.rows} row(s))`,
    );
  return entries.length;
}

/**
 * Archives, in the caller's open transaction on `client`, what the rollback script `downScript` of
 * `migration` is about to destroy (values in the columns and tables the migration added), with
 * origin `rollback`, so that a later deploy of `migration` puts them back. Runs the capture's
 * `before` statements now and returns the function that runs its `after` statements (call it once
 * the script ran). Both run under a savepoint: a failure is logged and skipped, never stops the
 * rollback. Only for a migration recorded as applied (a failed one built nothing to archive). The schema
 * model is the replay of `migrationsDir` up to and including `migration` (when the folder no longer
 * holds it, nothing is archived). Query errors propagate (the caller rolls back: nothing changes).
 */
export async function archiveRollbackInTransaction(
  client: pg.Client,
  migrationsDir: string,
  migration: string,
  downScript: string,
  log: (line: string) => void,
): Promise<() => Promise<void>> {
  const none = async () => {};
  const folder = await readMigrationsFolder(migrationsDir);
  const sources = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
  const at = sources.findIndex((m) => m.name === migration);
  if (at < 0) return none;
  await initSqlParser();
  const { model } = buildSchemaModelSync(sources.slice(0, at + 1));
  const plan = planArchive({ name: migration, sql: downScript }, model);
  if (!plan.items.length) return none;
  const c = captureSql(plan, 'rollback');
  if (!(await guarded(client, c.before, log))) return async () => {};
  for (const it of plan.items)
    log(
      `  archived what the rollback destroys (a later deploy of ${migration} puts it back): ${it.kind} of ${it.schema ? `${it.schema}.` : ''}${it.table}${it.kind === 'columns' ? ` (${it.columns.join(', ')})` : ''}`,
    );
  return async () => {
    await guarded(client, c.after, log);
  };
}

/**
 * Runs `statements` under a savepoint: on an error it is rolled back to the savepoint, logged, and
 * false is returned (the archive of a rollback never stops the rollback itself).
 */
async function guarded(client: pg.Client, statements: string[], log: (l: string) => void): Promise<boolean> {
  if (!statements.length) return true;
  let saved = false;
  try {
    await client.query('SAVEPOINT prisma_rollback_archive');
    saved = true;
    await client.query(statements.join(';\n'));
    await client.query('RELEASE SAVEPOINT prisma_rollback_archive');
    return true;
  } catch (e) {
    if (saved) await client.query('ROLLBACK TO SAVEPOINT prisma_rollback_archive');
    log(
      `  could not archive what the rollback destroys (the rollback goes on without it): ${e instanceof Error ? e.message : String(e)}`,
    );
    return false;
  }
}

/**
 * The archive's SQL for the data round trip of `verify --data` on `migration`, given the schema
 * model before it (`modelBefore`, not changed): `capture` = captureSql(plan).before (run before the
 * migration), `afterMigration` = captureSql(plan).after (right after it), `restore` =
 * restoreFromCatalogSql(name) (after the rollback) — the statements deploy and apply-down run.
 * All three are empty when the migration destroys nothing the archive covers. Throws
 * SqlParseError when the migration does not parse (the parser must be initialised).
 */
export function archiveRoundTripSql(
  migration: { name: string; sql: string },
  modelBefore: SchemaModel,
): DataRoundTripSql {
  const plan = planArchive(migration, modelBefore);
  if (!plan.items.length) return { capture: [], afterMigration: [], restore: [] };
  const c = captureSql(plan);
  return { capture: c.before, afterMigration: c.after, restore: [restoreFromCatalogSql(migration.name)] };
}

/**
 * The hooks that plug the archive into `verify --data` (VerifyRollbackOptions.data) for a migration
 * of `history` (the migrations in order, at least up to the one verified): the schema model of the
 * migrations before it, then archiveRoundTripSql. A migration not in `history` gets no archive.
 * The hooks throw SqlParseError for a migration that does not parse.
 */
export function archiveDataHooks(history: { name: string; sql: string }[]): DataRoundTripHooks {
  let cached: { name: string; sql: DataRoundTripSql } | undefined;
  const sqlOf = async (m: { name: string; sql: string }): Promise<DataRoundTripSql> => {
    if (cached?.name === m.name) return cached.sql;
    const at = history.findIndex((h) => h.name === m.name);
    if (at < 0) return { capture: [], afterMigration: [], restore: [] };
    await initSqlParser();
    const { model } = buildSchemaModelSync(history.slice(0, at));
    cached = { name: m.name, sql: archiveRoundTripSql(m, model) };
    return cached.sql;
  };
  return {
    capture: async (m) => (await sqlOf(m)).capture,
    afterMigration: async (m) => (await sqlOf(m)).afterMigration,
    restore: async (m) => (await sqlOf(m)).restore,
  };
}
