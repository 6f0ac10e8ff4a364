/** Drive Prisma's real schema engine (WASM) against a test database, as `prisma migrate` would. */
import { NO_FILTERS, toMigrationList } from '../../src/core/engine';
import { readMigrationsFolder } from '../../src/core/migrations';
import { withEngine } from '../../src/core/runbook/resolve';

/** Opens Prisma's engine on `url`, runs `fn`, closes it (the runners' own helper). */
export { withEngine };

/** `prisma migrate deploy`: applies the folder's pending migrations. Rejects on a failing migration. */
export async function deploy(url: string, migrationsDir: string): Promise<string[]> {
  const folder = await readMigrationsFolder(migrationsDir);
  return withEngine(url, async (e) => {
    const out = await e.applyMigrations({ migrationsList: toMigrationList(folder), filters: NO_FILTERS });
    return out.appliedMigrationNames;
  });
}

/** `prisma migrate resolve --rolled-back NAME` (Prisma accepts it only for failed migrations). */
export async function markRolledBack(url: string, migrationsDir: string, name: string): Promise<void> {
  await withEngine(url, (e) => e.markMigrationRolledBack({ migrationName: name }));
}

/** The temp project builders live in test/support/project.ts (re-exported for older imports). */
export { tempMigrations } from './project';
