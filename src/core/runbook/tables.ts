/** The tables a migration's rollback touches, for `backup --tables-of <migration>`. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { splitScript, tablesOf } from '../sql/script';
import { RunbookError } from './errors';

/**
 * Tables named in the migration's `down.sql` when it has one (what the rollback changes), else in
 * its `migration.sql` (what the migration changed, hence what undoing it touches).
 * Throws `RunbookError` code `config` when neither file can be read; `SqlParseError` when the file
 * read does not parse, and the parser's load error, propagate. Read-only: nothing is written.
 */
export async function rollbackTables(
  migrationsDir: string,
  migration: string,
): Promise<{ source: string; tables: { schema?: string; name: string }[] }> {
  const dir = path.join(migrationsDir, migration);
  for (const file of ['down.sql', 'migration.sql']) {
    const full = path.join(dir, file);
    const sql = await fs.readFile(full, 'utf8').catch(() => undefined);
    if (sql === undefined) continue;
    const tables = tablesOf(await splitScript(sql)).filter((t) => t.name !== '_prisma_migrations');
    return { source: full, tables };
  }
  throw new RunbookError(
    `No migration "${migration}" in ${migrationsDir} (neither down.sql nor migration.sql found).`,
    'config',
  );
}
