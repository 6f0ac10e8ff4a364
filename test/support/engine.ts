/** Drive Prisma's real schema engine (WASM) against a test database, as `prisma migrate` would. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

/** A temporary migrations folder; `add(name, sql)` writes `<name>/migration.sql`. */
export async function tempMigrations(provider = 'postgresql') {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-mig-'));
  const dir = path.join(root, 'prisma', 'migrations');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'migration_lock.toml'), `provider = "${provider}"\n`);
  return {
    root,
    dir,
    async add(name: string, sql: string) {
      await fs.mkdir(path.join(dir, name), { recursive: true });
      await fs.writeFile(path.join(dir, name, 'migration.sql'), sql);
    },
    async remove(name: string) {
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
    },
    async cleanup() {
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}
