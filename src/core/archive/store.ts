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
  /**
   * The `_prisma_migrations` row of the deploy that took it (`id`, `started_at`), recorded at
   * capture (./sql.ts captureSql); undefined for archives taken before it was recorded, and for
   * origin `rollback`.
   */
  deploy?: { id: string; startedAt: Date };
  /**
   * Set by listArchive/archiveOf when given the history table: the migration's latest row in
   * `_prisma_migrations` is not the deploy that took this archive (the migration was deployed again
   * since — `prisma migrate reset`, a manual delete and re-deploy — or its row is gone), so the
   * archive belongs to an earlier deploy and must not be restored into the new rows. `startedAt`:
   * when the latest row started (undefined: no row).
   */
  stale?: { startedAt?: Date };
}

/** The qualified `_prisma_migrations` of a schema, as listArchive, archiveOf and captureSql take it. */
export function historyTableOf(schema: string): string {
  return `${quoteIdent(schema)}."_prisma_migrations"`;
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
 * With `historyTable` (the qualified `_prisma_migrations`, e.g. `"public"."_prisma_migrations"`),
 * each archive of origin `deploy` that recorded its deploy's row is checked against the
 * migration's latest row there (by `started_at`): `stale` when it is another row or none (see
 * ArchiveEntry.stale). Query errors (e.g. no privilege on the archive) propagate.
 */
export async function listArchive(db: Queryable, historyTable?: string): Promise<ArchiveEntry[]> {
  if (!(await hasCatalog(db))) return [];
  const r = await db.query(
    `SELECT migration, schema_name, table_name, kind, columns, origin, rows, bytes, taken_at, data_table, note, to_jsonb(c) -> 'deploy_id' AS deploy_id, to_jsonb(c) -> 'deploy_started_at' AS deploy_started_at FROM ${CATALOG} c ORDER BY taken_at, id`,
  );
  const latest = new Map<string, { id: string; started_at: Date }>();
  const judged = historyTable
    ? [
        ...new Set(
          r.rows.filter((x) => x.origin === 'deploy' && x.deploy_id).map((x) => x.migration as string),
        ),
      ]
    : [];
  if (judged.length) {
    const exists = await db.query<{ c: string | null }>('SELECT to_regclass($1)::text AS c', [historyTable]);
    if (exists.rows[0]?.c) {
      const rows = await db.query<{ migration_name: string; id: string; started_at: Date }>(
        `SELECT DISTINCT ON (migration_name) migration_name, id, started_at FROM ${historyTable} WHERE migration_name = ANY($1::text[]) ORDER BY migration_name, started_at DESC`,
        [judged],
      );
      for (const x of rows.rows) latest.set(x.migration_name, x);
    }
  }
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
    ...(x.deploy_id ? { deploy: { id: x.deploy_id, startedAt: new Date(x.deploy_started_at) } } : {}),
    ...(judged.includes(x.migration) &&
    x.origin === 'deploy' &&
    x.deploy_id &&
    latest.get(x.migration)?.id !== x.deploy_id
      ? { stale: { startedAt: latest.get(x.migration)?.started_at } }
      : {}),
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

/**
 * The archived objects of `migration` (origin `deploy`), for a rollback's log and warnings; with
 * `historyTable`, each marked `stale` when it belongs to an earlier deploy (see listArchive).
 */
export async function archiveOf(
  db: Queryable,
  migration: string,
  historyTable?: string,
): Promise<ArchiveEntry[]> {
  return (await listArchive(db, historyTable)).filter(
    (e) => e.migration === migration && e.origin === 'deploy',
  );
}

/**
 * The one line that refuses a stale archive (ArchiveEntry.stale): "archive of <date> belongs to an
 * earlier deploy of <m> …; purge it with `prisma-rollback archive --env <env> --purge <m>`".
 * `takenAt` is already formatted for people.
 */
export function staleArchiveLine(migration: string, takenAt: string, environment: string): string {
  return `The archive of ${takenAt} belongs to an earlier deploy of ${migration} (it was deployed again since, or its _prisma_migrations row is gone): it is not restored into the new rows. Purge it with \`prisma-rollback archive --env ${environment} --purge ${migration}\`.`;
}
