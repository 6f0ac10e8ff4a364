/**
 * Reading and pruning the archive on a live database (the catalog of ./sql.ts).
 */
import type pg from 'pg';
import { quoteIdent, quoteLiteral } from '../sql/names';
import { ARCHIVE_CATALOG, ARCHIVE_SCHEMA } from './sql';

/** One archived object as `prisma-rollback archive` lists it. */
export interface ArchiveEntry {
  migration: string;
  /** `schema.table` or `table` (names before the migration). */
  table: string;
  kind: 'table' | 'columns' | 'rows';
  /** Archived columns (for `columns`: the ones the restore writes back). */
  columns: string[];
  /** `deploy`: what the migration destroyed; `rollback`: what its rollback destroyed. */
  origin: 'deploy' | 'rollback';
  rows: number;
  /** Bytes on disk of the data table. */
  bytes: number;
  takenAt: Date;
  dataTable: string;
  note?: string;
}

type Queryable = Pick<pg.Client, 'query'> | Pick<pg.Pool, 'query'>;

const CATALOG = `${quoteIdent(ARCHIVE_SCHEMA)}.${quoteIdent(ARCHIVE_CATALOG)}`;

async function hasCatalog(db: Queryable): Promise<boolean> {
  const r = await db.query<{ c: string | null }>('SELECT to_regclass($1)::text AS c', [
    `${ARCHIVE_SCHEMA}.${ARCHIVE_CATALOG}`,
  ]);
  return r.rows[0]?.c != null;
}

/**
 * Every archived object, oldest first (empty when the schema `_prisma_rollback` does not exist).
 * Query errors (e.g. no privilege on the archive) propagate.
 */
export async function listArchive(db: Queryable): Promise<ArchiveEntry[]> {
  if (!(await hasCatalog(db))) return [];
  const r = await db.query(
    `SELECT migration, schema_name, table_name, kind, columns, origin, rows, bytes, taken_at, data_table, note FROM ${CATALOG} ORDER BY taken_at, id`,
  );
  return r.rows.map((x) => ({
    migration: x.migration,
    table: x.schema_name ? `${x.schema_name}.${x.table_name}` : x.table_name,
    kind: x.kind,
    columns: x.columns ?? [],
    origin: x.origin,
    rows: Number(x.rows),
    bytes: Number(x.bytes),
    takenAt: x.taken_at,
    dataTable: x.data_table,
    note: x.note ?? undefined,
  }));
}

/**
 * Deletes archived objects (catalog rows and their data tables) of `migration`, or taken more than
 * `olderThanDays` days ago (measured against the database clock `now()`, the one `taken_at` was
 * written with) — restricted, when `migrations` is given, to the objects of those migrations — in
 * one transaction of the caller's choosing (statements run on `db`). Returns what was deleted.
 * Query errors propagate; run it inside BEGIN/COMMIT to keep it all or nothing.
 */
export async function purgeArchive(
  db: Queryable,
  which: { migration: string } | { olderThanDays: number; migrations?: readonly string[] },
): Promise<ArchiveEntry[]> {
  const all = await listArchive(db);
  if (!all.length) return [];
  let cutoff = 0;
  if ('olderThanDays' in which) {
    const now = await db.query<{ now: Date }>('SELECT now() AS now');
    cutoff = now.rows[0].now.getTime() - which.olderThanDays * 86_400_000;
  }
  const only = 'olderThanDays' in which && which.migrations ? new Set(which.migrations) : undefined;
  const gone = all.filter((e) =>
    'migration' in which
      ? e.migration === which.migration
      : e.takenAt.getTime() < cutoff && (!only || only.has(e.migration)),
  );
  for (const e of gone) {
    await db.query(`DROP TABLE IF EXISTS ${quoteIdent(ARCHIVE_SCHEMA)}.${quoteIdent(e.dataTable)}`);
    await db.query(`DELETE FROM ${CATALOG} WHERE data_table = ${quoteLiteral(e.dataTable)}`);
  }
  return gone;
}

/** The archived objects of `migration` (origin `deploy`), for a rollback's log and warnings. */
export async function archiveOf(db: Queryable, migration: string): Promise<ArchiveEntry[]> {
  return (await listArchive(db)).filter((e) => e.migration === migration && e.origin === 'deploy');
}
