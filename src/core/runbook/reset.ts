/**
 * The runbook's Method 1, `prisma migrate reset`: empty the database and apply every migration
 * again, through Prisma's engine (`reset` then `applyMigrations`). Every row is lost, so it is
 * refused on a protected environment and needs the database's name typed back.
 */
import { ARCHIVE_SCHEMA } from '../archive';
import { maskUrl } from '../db';
import { engineErrorMessage, NO_FILTERS, toMigrationList } from '../engine';
import { readMigrationsFolder } from '../migrations';
import { quoteIdent } from '../sql/names';
import { RunbookError } from './errors';
import { databaseName } from './pg-env';
import { withEngine } from './resolve';

export { databaseName };

export interface ResetOptions {
  url: string;
  environment: string;
  migrationsDir: string;
  /** The environment is protected: refused. */
  protected: boolean;
  /** What the user typed: must be the database's name. */
  confirm: string;
  log?: (line: string) => void;
}

/**
 * `prisma migrate reset` through Prisma's schema engine: empties the database, then applies every
 * migration of `o.migrationsDir` again. Refused on a protected environment and unless `o.confirm`
 * is the database's name. The archive (schema `_prisma_rollback`, outside the schema Prisma's reset
 * empties) is dropped too, right after the reset: it holds values of rows that no longer exist, and
 * a later `apply-down` would otherwise write them into the new rows that reuse their keys.
 *
 * Throws `RunbookError`: `state` (protected environment, or wrong confirmation: nothing changed),
 * `config` (no migrations folder, or the database cannot be reached: nothing changed), `engine`
 * (the reset or a migration failed: the database is left as the engine left it, possibly empty or
 * partly migrated; run the reset again or `prisma migrate deploy`).
 */
export async function resetDatabase(o: ResetOptions): Promise<{ applied: string[]; durationMs: number }> {
  const log = o.log ?? (() => {});
  const started = performance.now();
  if (o.protected) {
    throw new RunbookError(
      `Refused: ${o.environment} is protected, and migrate reset deletes every row there. Roll back the one migration with the checklist instead.`,
      'state',
    );
  }
  const db = databaseName(o.url);
  if (!db || o.confirm !== db) {
    throw new RunbookError(
      `Type the database's name (${db || '?'}) to confirm the reset; nothing was changed.`,
      'state',
    );
  }
  const folder = await readMigrationsFolder(o.migrationsDir);
  if (!folder.exists) throw new RunbookError(`No migrations folder at ${o.migrationsDir}.`, 'config');
  log(
    `Resetting ${o.environment} (${maskUrl(o.url)}): every table and row goes, then ${folder.migrations.length} migration(s) are applied again.`,
  );
  return withEngine(o.url, async (engine, pool) => {
    try {
      await engine.reset({ filter: NO_FILTERS });
      log('  reset: the database is empty');
      const archive = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [ARCHIVE_SCHEMA]);
      if (archive.rowCount) {
        await pool.query(`DROP SCHEMA ${quoteIdent(ARCHIVE_SCHEMA)} CASCADE`);
        log(`  reset: the archive (${ARCHIVE_SCHEMA}) of the rows before the reset is deleted too`);
      }
      const out = await engine.applyMigrations({
        migrationsList: toMigrationList(folder),
        filters: NO_FILTERS,
      });
      for (const n of out.appliedMigrationNames) log(`  applied ${n}`);
      return { applied: out.appliedMigrationNames, durationMs: performance.now() - started };
    } catch (e) {
      throw new RunbookError(`migrate reset failed: ${engineErrorMessage(e)}`, 'engine');
    }
  });
}
