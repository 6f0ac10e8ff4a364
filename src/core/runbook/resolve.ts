/**
 * `prisma-rollback resolve` and `deploy`: `prisma migrate resolve` and `prisma migrate deploy`
 * through Prisma's own schema engine (WebAssembly), with the adapter that sends whole scripts.
 */
import pg from 'pg';
import { describeDbError, maskUrl, prismaSchema, schemaConnectionOptions } from '../db';
import {
  engineErrorMessage,
  NO_FILTERS,
  openEngineOnPool,
  type SchemaEngine,
  toMigrationList,
} from '../engine';
import { readMigrationsFolder } from '../migrations';
import { RunbookError } from './errors';
import { describeRowState, latestRow, markAppliedRowRolledBack } from './history';

export async function withEngine<T>(
  url: string,
  fn: (engine: SchemaEngine, pool: pg.Pool, schema: string) => Promise<T>,
): Promise<T> {
  const schema = prismaSchema(url);
  const pool = new pg.Pool({
    connectionString: url,
    ...schemaConnectionOptions(url),
    max: 2,
    application_name: 'prisma-rollback',
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', () => {});
  try {
    try {
      const c = await pool.connect();
      c.release();
    } catch (e) {
      throw new RunbookError(`Cannot connect: ${describeDbError(e, url)}`, 'config');
    }
    const engine = await openEngineOnPool(pool, schema);
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
}

export interface ResolveResult {
  previousState: string;
  /** What was done, in words. */
  recorded: string;
}

export async function resolveMigration(opts: ResolveOptions): Promise<ResolveResult> {
  const log = opts.log ?? (() => {});
  const flagName = opts.action === 'rolledBack' ? '--rolled-back' : '--applied';
  log(
    `Resolving ${opts.migration} as ${opts.action === 'rolledBack' ? 'rolled back' : 'applied'} on ${opts.environment} (${maskUrl(opts.url)}).`,
  );
  return withEngine(opts.url, async (engine, pool, schema) => {
    const before = await latestRow(pool, schema, opts.migration);
    log(`  ${describeRowState(before, opts.migration, opts.environment)}`);
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

export interface DeployOptions {
  url: string;
  environment: string;
  migrationsDir: string;
  log?: (line: string) => void;
}

/** `prisma migrate deploy`: applies every pending migration through Prisma's engine. */
export async function deployMigrations(
  opts: DeployOptions,
): Promise<{ applied: string[]; durationMs: number }> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const folder = await readMigrationsFolder(opts.migrationsDir);
  if (!folder.exists) throw new RunbookError(`No migrations folder at ${opts.migrationsDir}.`, 'config');
  log(
    `Applying pending migrations of ${opts.migrationsDir} to ${opts.environment} (${maskUrl(opts.url)}) with Prisma's engine (applyMigrations = prisma migrate deploy).`,
  );
  return withEngine(opts.url, async (engine) => {
    let out: { appliedMigrationNames: string[] };
    try {
      out = await engine.applyMigrations({ migrationsList: toMigrationList(folder), filters: NO_FILTERS });
    } catch (e) {
      throw new RunbookError(`migrate deploy failed: ${engineErrorMessage(e)}`, 'engine');
    }
    for (const n of out.appliedMigrationNames) log(`  applied ${n}`);
    log(
      out.appliedMigrationNames.length
        ? `${out.appliedMigrationNames.length} migration(s) applied.`
        : 'No pending migration to apply.',
    );
    return { applied: out.appliedMigrationNames, durationMs: performance.now() - started };
  });
}
