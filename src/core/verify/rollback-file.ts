/**
 * Which script rolls a migration back: `down.sql` in its folder (Prisma's documented layout), else
 * a later `<timestamp>_rollback_<name>` migration (the runbook's Method 2).
 */
import fs from 'node:fs/promises';
import type { LocalMigration } from '../migrations';

export interface RollbackScript {
  sql: string;
  /** `down.sql`, or the rollback migration's folder name. */
  name: string;
  /** Absolute path of the file. */
  path: string;
  kind: 'downSql' | 'rollbackMigration';
}

/** The `_rollback_<name>` suffix of a Method 2 rollback of `migrationName`. */
export function rollbackMigrationSuffix(migrationName: string): string {
  return `_rollback_${migrationName.replace(/^\d+_/, '')}`;
}

/** Whether a folder name is a Method 2 rollback migration. */
export function isRollbackMigration(name: string): boolean {
  return /^\d+_rollback_/.test(name);
}

/** Whether folder `name` is the Method 2 rollback migration of `migrationName` (`<ts>_rollback_<name>`). */
export function isRollbackOf(name: string, migrationName: string): boolean {
  return isRollbackMigration(name) && name.endsWith(rollbackMigrationSuffix(migrationName));
}

/** The rollback of `migrations[index]`, or undefined when it has none (or it cannot be read). */
export async function findRollbackScript(
  migrations: LocalMigration[],
  index: number,
): Promise<RollbackScript | undefined> {
  const target = migrations[index];
  if (target.downSqlPath) {
    const sql = await fs.readFile(target.downSqlPath, 'utf8').catch(() => undefined);
    if (sql !== undefined) return { sql, name: 'down.sql', path: target.downSqlPath, kind: 'downSql' };
  }
  const suffix = rollbackMigrationSuffix(target.name);
  const method2 = migrations.slice(index + 1).find((m) => m.name.endsWith(suffix));
  if (method2?.sql !== undefined)
    return { sql: method2.sql, name: method2.name, path: method2.sqlPath, kind: 'rollbackMigration' };
  return undefined;
}
