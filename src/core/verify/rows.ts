/**
 * The rows of every user table, read as text, and a comparison of two such readings in plain
 * words: what `verify --data` (./data.ts) uses to say whether a migration and its rollback give
 * back the same data.
 *
 * Tables are the ones of a schema snapshot (./snapshot.ts: user schemas, no `_prisma_migrations`,
 * nothing of an extension); partitions are read through their parent, foreign tables not at all.
 * Every value is `column::text` (PostgreSQL's output function: the same value prints the same
 * text), NULL stays null. Rows are matched by the table's key (primary key, else a unique key
 * whose columns are NOT NULL: ./seed.ts rowKeysOf), else by their whole content.
 */
import { quoteIdent } from '../sql/names';
import { rowKeysOf } from './seed';
import type { QueryFn, SchemaSnapshot } from './snapshot';

export interface TableRows {
  /** Column names (physical order at the time of reading). */
  columns: string[];
  /** The columns that identify a row; empty: the row's whole content does. */
  key: string[];
  /** Rows in key order (text order of the key, then of every column). */
  rows: Record<string, string | null>[];
}

/** Display name (`"User"`, `"auth"."User"`) → its rows. */
export type RowSnapshot = Record<string, TableRows>;

/**
 * Reads every row of every table of `schema` through `query`. `keys` overrides the key columns
 * per table (used to read the rows after a rollback with the keys of before). Read-only; one
 * SELECT per table; throws what `query` throws.
 */
export async function snapshotRows(
  query: QueryFn,
  schema: SchemaSnapshot,
  keys: Record<string, string[]> = rowKeysOf(schema),
): Promise<RowSnapshot> {
  const out: RowSnapshot = {};
  for (const table of Object.keys(schema.tables).sort()) {
    const t = schema.tables[table];
    if (t.kind === 'foreign table' || t.partitionOf) continue;
    const columns = t.columnOrder;
    const key = (keys[table] ?? []).filter((c) => columns.includes(c));
    const order = [...key, ...columns.filter((c) => !key.includes(c))];
    const select = columns.length
      ? columns.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(', ')
      : '';
    const sql = columns.length
      ? `SELECT ${select} FROM ${table} ORDER BY ${order.map((c) => `${quoteIdent(c)}::text COLLATE "C" NULLS FIRST`).join(', ')}`
      : `SELECT FROM ${table}`;
    const r = await query(sql);
    out[table] = { columns, key, rows: r.rows as Record<string, string | null>[] };
  }
  return out;
}

/** `'text'` or NULL, shortened to 60 characters. */
function show(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  const s = v.length > 60 ? `${v.slice(0, 57)}…` : v;
  return `'${s.replace(/'/g, "''")}'`;
}

function keyText(key: string[], row: Record<string, string | null>): string {
  return key.map((c) => `${c}=${row[c] === null ? 'NULL' : row[c]}`).join(', ');
}

export interface CompareRowsOptions {
  /** At most this many lines per table (the rest is counted); default 10. */
  perTable?: number;
}

/**
 * The differences between the rows of `before` and `after`, one line per difference, for every
 * table of `before` (tables only in `after` are not data that was there before, and are not
 * listed): a table gone (`"Post": the table is gone (3 rows)`), a column gone (`"User": column
 * "name" is gone (values of 4 rows)`), a value changed (`"User" id=1: "name" 'Ann' → NULL`), a
 * row missing or extra (`"User": row id=3 is missing`). Empty when every row reads the same.
 */
export function compareRows(
  before: RowSnapshot,
  after: RowSnapshot,
  opts: CompareRowsOptions = {},
): string[] {
  return compareRowsDetailed(before, after, opts).lines;
}

/**
 * compareRows, and how many of its lines are differences of values in rows that are there before
 * and after in the same table (a row missing, extra, or a value changed; a `… and N more` line
 * when every line it stands for is one): what an archive of the migration keeps and restores
 * (src/core/archive). The other lines (a table or column gone, a new column holding values) are
 * differences of the schema the rollback leaves.
 */
export function compareRowsDetailed(
  before: RowSnapshot,
  after: RowSnapshot,
  opts: CompareRowsOptions = {},
): { lines: string[]; values: number } {
  const limit = opts.perTable ?? 10;
  const out: string[] = [];
  let values = 0;
  for (const table of Object.keys(before).sort()) {
    const b = before[table];
    const a = after[table];
    if (!a) {
      out.push(`${table}: the table is gone (${b.rows.length} row${b.rows.length === 1 ? '' : 's'} before)`);
      continue;
    }
    const lines: string[] = [];
    // lines before this index are the schema's (columns gone or new), the rest are values
    let schemaLines = 0;
    const common = b.columns.filter((c) => a.columns.includes(c));
    for (const c of b.columns)
      if (!a.columns.includes(c)) {
        const had = b.rows.filter((r) => r[c] !== null).length;
        lines.push(`column ${quoteIdent(c)} is gone (it held values in ${had} of ${b.rows.length} rows)`);
      }
    for (const c of a.columns)
      if (!b.columns.includes(c) && a.rows.some((r) => r[c] !== null))
        lines.push(`column ${quoteIdent(c)} is new and holds values`);
    schemaLines = lines.length;
    const key = b.key.length && b.key.every((c) => a.columns.includes(c)) ? b.key : [];
    if (key.length) {
      const index = new Map(a.rows.map((r) => [JSON.stringify(key.map((c) => r[c])), r]));
      const seen = new Set<string>();
      for (const row of b.rows) {
        const k = JSON.stringify(key.map((c) => row[c]));
        seen.add(k);
        const other = index.get(k);
        if (!other) {
          lines.push(`row ${keyText(key, row)} is missing`);
          continue;
        }
        for (const c of common)
          if (row[c] !== other[c])
            lines.push(`row ${keyText(key, row)}: ${quoteIdent(c)} ${show(row[c])} → ${show(other[c])}`);
      }
      for (const row of a.rows)
        if (!seen.has(JSON.stringify(key.map((c) => row[c]))))
          lines.push(`row ${keyText(key, row)} is extra`);
    } else {
      // No key: rows are compared as a multiset of their common columns.
      const text = (r: Record<string, string | null>) => JSON.stringify(common.map((c) => r[c]));
      const counts = new Map<string, number>();
      for (const r of a.rows) counts.set(text(r), (counts.get(text(r)) ?? 0) + 1);
      for (const r of b.rows) {
        const n = counts.get(text(r)) ?? 0;
        if (n > 0) counts.set(text(r), n - 1);
        else lines.push(`row (${common.map((c) => `${c}=${show(r[c])}`).join(', ')}) is missing or changed`);
      }
      for (const [t, n] of counts)
        for (let i = 0; i < n; i++) {
          const values = JSON.parse(t) as (string | null)[];
          lines.push(
            `row (${common.map((c, j) => `${c}=${show(values[j])}`).join(', ')}) is extra or changed`,
          );
        }
    }
    for (const l of lines.slice(0, limit)) out.push(`${table}: ${l}`);
    values += Math.max(0, Math.min(limit, lines.length) - schemaLines);
    if (lines.length > limit) {
      out.push(`${table}: … and ${lines.length - limit} more`);
      if (schemaLines <= limit) values++;
    }
  }
  return { lines: out, values };
}
