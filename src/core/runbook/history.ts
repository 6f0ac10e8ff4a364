/**
 * The rows of `_prisma_migrations` a rollback reads and writes: which state the migration is
 * in (from its latest row), and recording a rollback.
 *
 * Prisma records a rollback by setting `rolled_back_at` (what `migrate resolve --rolled-back`
 * does for failed rows). Its engine refuses that for a migration that was applied successfully
 * (P3012), so for those we set `rolled_back_at` on the latest applied row ourselves: Prisma's
 * engine then reads the migration as not applied, and `migrate deploy` re-applies it later,
 * keeping the old row as history.
 */
import type pg from 'pg';
import { quoteIdent } from '../sql/names';

export type RowState = 'applied' | 'failed' | 'rolledBack' | 'absent' | 'noTable';

export interface LatestRow {
  state: RowState;
  id?: string;
  checksum?: string;
  startedAt?: Date;
  finishedAt?: Date | null;
  rolledBackAt?: Date | null;
  rows: number;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export async function latestRow(db: Queryable, schema: string, migration: string): Promise<LatestRow> {
  const table = quoteIdent(schema, '_prisma_migrations');
  const exists = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table]);
  if (!exists.rows[0]?.t) return { state: 'noTable', rows: 0 };
  const res = await db.query<{
    id: string;
    checksum: string;
    started_at: Date;
    finished_at: Date | null;
    rolled_back_at: Date | null;
  }>(
    `SELECT id, checksum, started_at, finished_at, rolled_back_at FROM ${table}
      WHERE migration_name = $1 ORDER BY started_at ASC, id ASC`,
    [migration],
  );
  const latest = res.rows[res.rows.length - 1];
  if (!latest) return { state: 'absent', rows: 0 };
  const state: RowState = latest.rolled_back_at ? 'rolledBack' : latest.finished_at ? 'applied' : 'failed';
  return {
    state,
    id: latest.id,
    checksum: latest.checksum,
    startedAt: latest.started_at,
    finishedAt: latest.finished_at,
    rolledBackAt: latest.rolled_back_at,
    rows: res.rows.length,
  };
}

/**
 * The state of every migration named in `_prisma_migrations`, from its latest row (same rule as
 * `latestRow`); empty when the table does not exist.
 */
export async function latestStates(db: Queryable, schema: string): Promise<Map<string, RowState>> {
  const table = quoteIdent(schema, '_prisma_migrations');
  const exists = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table]);
  const out = new Map<string, RowState>();
  if (!exists.rows[0]?.t) return out;
  const res = await db.query<{
    migration_name: string;
    finished_at: Date | null;
    rolled_back_at: Date | null;
  }>(
    `SELECT DISTINCT ON (migration_name) migration_name, finished_at, rolled_back_at FROM ${table}
      ORDER BY migration_name, started_at DESC, id DESC`,
  );
  for (const r of res.rows)
    out.set(r.migration_name, r.rolled_back_at ? 'rolledBack' : r.finished_at ? 'applied' : 'failed');
  return out;
}

/**
 * Sets `rolled_back_at = now()` on the latest applied row of a migration; returns the row id.
 * `schema` is the schema of `_prisma_migrations` (unquoted). Throws a plain `Error` when there is
 * no applied, not rolled back row (then the UPDATE changed nothing); query errors propagate. It
 * does not commit or roll back: run it inside the caller's transaction.
 */
export async function markAppliedRowRolledBack(
  db: Queryable,
  schema: string,
  migration: string,
): Promise<string> {
  const table = quoteIdent(schema, '_prisma_migrations');
  const res = await db.query<{ id: string }>(
    `UPDATE ${table} SET rolled_back_at = now()
      WHERE id = (SELECT id FROM ${table}
                   WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL
                   ORDER BY started_at DESC, id DESC LIMIT 1)
      RETURNING id`,
    [migration],
  );
  const id = res.rows[0]?.id;
  if (!id) throw new Error(`No applied row of "${migration}" in _prisma_migrations to mark rolled back.`);
  return id;
}

/** Words for a state, for messages. */
export function describeRowState(s: LatestRow, migration: string, env: string): string {
  switch (s.state) {
    case 'noTable':
      return `${env} has no _prisma_migrations table: no migration was ever applied there.`;
    case 'absent':
      return `"${migration}" was never applied to ${env} (no row in _prisma_migrations).`;
    case 'rolledBack':
      return `"${migration}" is already rolled back in ${env} (at ${s.rolledBackAt?.toISOString()}).`;
    case 'failed':
      return `"${migration}" failed in ${env} (started ${s.startedAt?.toISOString()}, never finished).`;
    case 'applied':
      return `"${migration}" is applied in ${env} (finished ${s.finishedAt?.toISOString()}).`;
  }
}
