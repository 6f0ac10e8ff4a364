/**
 * The archive's SQL, built as text from an ArchivePlan (pure functions: no database, no I/O), so
 * the deploy, the rollback and the embedded replay of `verify --data` run the same statements.
 *
 * Layout (schema `_prisma_rollback`, outside every schema Prisma manages):
 * - `_prisma_rollback.archive`: the catalog, one row per archived object (migration, schema_name,
 *   table_name, kind, data_table, key_columns, columns, rows, bytes, taken_at, note, origin,
 *   restore_sql text[] = the statements that put the values back);
 * - one data table per object, `(op text, k jsonb, v jsonb)`: `op` = `prior` (v = the values before
 *   the migration, as `to_jsonb` of the row or of the archived columns; k = the key as a jsonb
 *   object) or `added` (k = the key of a row the migration inserted).
 * Values are kept as jsonb, not in their own types, so the archive never depends on a type the
 * migration drops (Prisma's enum swap drops the old enum); they are read back with
 * `jsonb_populate_record(NULL::table, v)`, which runs each column type's input function on the
 * text `to_jsonb` wrote (PostgreSQL 15 docs §9.16.1): the values come back identical. Except
 * json-typed columns (`json`, `json[]`, domains over them; ArchiveItem.jsonColumns): jsonb would
 * normalise their text (key order, whitespace, duplicate keys; §8.14), so they are kept as their
 * text (a jsonb string, `x."c"::text`) and cast back with `(a.v ->> 'c')::<type>`.
 * Privileges: REVOKE ALL … FROM PUBLIC on the schema and every table; their owner is the role that
 * deploys (the one that may drop or alter the archived tables: PostgreSQL requires it to own them).
 */
import { createHash } from 'node:crypto';
import { quoteIdent, quoteLiteral, quoteQualified } from '../sql/names';
import type { ArchiveItem, ArchivePlan } from './types';

/** The schema that holds the archive. */
export const ARCHIVE_SCHEMA = '_prisma_rollback';
/** The catalog table (in ARCHIVE_SCHEMA). */
export const ARCHIVE_CATALOG = 'archive';

const S = quoteIdent(ARCHIVE_SCHEMA);
const CATALOG = `${S}.${quoteIdent(ARCHIVE_CATALOG)}`;

/** Statements (idempotent) that create the archive schema and catalog, closed to PUBLIC. */
export function archiveSchemaSql(): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${S}`,
    `REVOKE ALL ON SCHEMA ${S} FROM PUBLIC`,
    `CREATE TABLE IF NOT EXISTS ${CATALOG} (
  id bigserial PRIMARY KEY,
  migration text NOT NULL,
  schema_name text,
  table_name text NOT NULL,
  kind text NOT NULL,
  data_table text NOT NULL,
  key_columns text[],
  columns text[] NOT NULL,
  rows bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  taken_at timestamptz NOT NULL DEFAULT now(),
  note text,
  origin text NOT NULL DEFAULT 'deploy',
  restore_sql text[] NOT NULL,
  deploy_id text,
  deploy_started_at timestamptz
)`,
    // catalogs created before the deploy's identity was recorded
    `ALTER TABLE ${CATALOG} ADD COLUMN IF NOT EXISTS deploy_id text`,
    `ALTER TABLE ${CATALOG} ADD COLUMN IF NOT EXISTS deploy_started_at timestamptz`,
    `REVOKE ALL ON ${CATALOG} FROM PUBLIC`,
  ];
}

/** The data table's name of item `index` of `migration` (≤ 63 bytes, stable). */
export function dataTableName(migration: string, index: number, origin = 'deploy'): string {
  const h = createHash('sha1').update(`${origin}\0${migration}\0${index}`).digest('hex').slice(0, 8);
  return `${migration.slice(0, 40)}_${index}_${h}`;
}

/**
 * `jsonb_build_object('c', x."c", …)` in chunks of 50 pairs (PostgreSQL's 100-argument limit);
 * a pair with `text` keeps the column's text (`x."c"::text`, a jsonb string): json values; a
 * pair with `expr` uses that SQL expression as the value.
 */
function jsonOf(
  alias: string,
  pairs: { name: string; col: string; text?: boolean; expr?: string }[],
): string {
  if (!pairs.length) return `'{}'::jsonb`;
  const chunks: string[] = [];
  for (let i = 0; i < pairs.length; i += 50)
    chunks.push(
      `jsonb_build_object(${pairs
        .slice(i, i + 50)
        .map(
          (p) =>
            `${quoteLiteral(p.name)}, ${p.expr ?? `${alias}.${quoteIdent(p.col)}${p.text ? '::text' : ''}`}`,
        )
        .join(', ')})`,
    );
  return chunks.join(' || ');
}

/** The type text of plain json columns (not a domain): `pg_catalog.json`, `json[]`. */
const BUILTIN_JSON = /^(pg_catalog\.)?json(\[\])*$/;

/** Whether column `c` of `item` is json-typed (kept as text, see ArchiveItem.jsonColumns). */
const isJson = (item: ArchiveItem, c: string) => !!item.jsonColumns && Object.hasOwn(item.jsonColumns, c);

/**
 * The archived values of a row of `item` (alias x): `to_jsonb(x)` (or the `columns` item's
 * columns), with each json-typed column replaced by its text so jsonb does not normalise it.
 */
function valuesOf(item: ArchiveItem): string {
  if (item.kind === 'columns')
    return jsonOf(
      'x',
      item.columns.map((c) => ({ name: c, col: c, text: isJson(item, c) })),
    );
  const texts = item.columns.filter((c) => isJson(item, c)).map((c) => ({ name: c, col: c, text: true }));
  return texts.length ? `(to_jsonb(x) || ${jsonOf('x', texts)})` : 'to_jsonb(x)';
}

const same = (cols: string[]) => cols.map((c) => ({ name: c, col: c }));
const rel = (i: { schema?: string; table: string }) => quoteQualified(i.schema, i.table);

/**
 * The statements that put `item` back, run after the rollback script brought its tables and columns
 * back (names before the migration). `dataTable` is its data table in ARCHIVE_SCHEMA.
 * - `table`: DELETE every row, INSERT the archived ones (OVERRIDING SYSTEM VALUE: identity values too),
 *   then set each sequence-filled column's sequence to the largest restored value (`setval`, so the
 *   next insert does not collide with a restored key);
 * - `columns`: UPDATE the archived columns of each row matched by key;
 * - `rows`: DELETE the rows the migration added, UPDATE the rows it changed (only the columns its
 *   UPDATEs assign, `item.updated`, when the plan names them), INSERT the rows it deleted (matched
 *   by key); without the post-migration diff, rows not in the image are deleted.
 */
export function restoreSql(item: ArchiveItem, dataTable: string): string[] {
  const t = rel(item);
  const dt = `${S}.${quoteIdent(dataTable)}`;
  // jsonb_populate_record checks every field of the row type, json-typed ones too (whose value
  // here is the text, not a json object): a domain's CHECK or NOT NULL would refuse that text, so
  // a domain column is given its value cast to the domain (the check runs on the archived value);
  // the restore itself writes the exact text (`value`)
  const domains = Object.entries(item.jsonColumns ?? {}).filter(([, type]) => !BUILTIN_JSON.test(type));
  const populated = (v: string) =>
    domains.length
      ? `(${v} || ${jsonOf(
          'a',
          domains.map(([c, type]) => ({
            name: c,
            col: c,
            expr: `to_jsonb((a.v ->> ${quoteLiteral(c)})::${type})`,
          })),
        )})`
      : v;
  const from = `${dt} a CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, ${populated('a.v')}) r`;
  // a json-typed column's archived text, cast back (not through jsonb_populate_record's jsonb)
  const value = (c: string) =>
    isJson(item, c) ? `(a.v ->> ${quoteLiteral(c)})::${item.jsonColumns![c]}` : `r.${quoteIdent(c)}`;
  const cols = item.writable.map((c) => quoteIdent(c)).join(', ');
  const rcols = item.writable.map(value).join(', ');
  // Rows are matched on the key in its own type (r = the archived key read back through the
  // column's input function), not as jsonb: a hash join on typed columns (restoreFromCatalogSql
  // turns nested loops off), the key's own equality. Keys are NOT NULL, so `=` matches exactly.
  const typedKey = (alias: string) =>
    (item.key ?? []).map((c) => `x.${quoteIdent(c)} = ${alias}.${quoteIdent(c)}`).join(' AND ');
  const set = (names: string[]) => names.map((c) => `${quoteIdent(c)} = ${value(c)}`).join(', ');
  if (item.kind === 'table' || !item.key)
    return [
      `DELETE FROM ${t}`,
      `INSERT INTO ${t} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${rcols} FROM ${from} WHERE a.op = 'prior'`,
      // the table was re-created (or refilled): its sequences go past the restored values
      ...(item.sequenced ?? []).map(
        (c) =>
          `SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence(${quoteLiteral(t)}, ${quoteLiteral(c)}) AS s, (SELECT max(${quoteIdent(c)}) FROM ${t}) AS m) q WHERE s IS NOT NULL AND m IS NOT NULL`,
      ),
    ];
  if (item.kind === 'columns')
    return item.writable.length
      ? [
          // k holds the key, v the archived columns: one record with both
          `UPDATE ${t} x SET ${set(item.writable)} FROM ${dt} a CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, ${populated('a.k || a.v')}) r WHERE ${typedKey('r')}`,
        ]
      : [];
  // rows that survived: only the columns the migration's UPDATEs assign (others may have been
  // changed by the application since), every writable one when the plan cannot say
  const nonKey = item.writable.filter(
    (c) => !item.key!.includes(c) && (!item.updated || item.updated.includes(c)),
  );
  const keys = `${dt} a CROSS JOIN LATERAL jsonb_populate_record(NULL::${t}, a.k) k`;
  return [
    item.after
      ? `DELETE FROM ${t} x USING ${keys} WHERE a.op = 'added' AND ${typedKey('k')}`
      : `DELETE FROM ${t} x WHERE NOT EXISTS (SELECT 1 FROM ${from} WHERE a.op = 'prior' AND ${typedKey('r')})`,
    ...(nonKey.length
      ? [`UPDATE ${t} x SET ${set(nonKey)} FROM ${from} WHERE a.op = 'prior' AND ${typedKey('r')}`]
      : []),
    `INSERT INTO ${t} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${rcols} FROM ${from} WHERE a.op = 'prior' AND NOT EXISTS (SELECT 1 FROM ${t} x WHERE ${typedKey('r')})`,
  ];
}

/** Items in restore order: `table` items referenced tables first, then `columns`, then `rows` last-first. */
function restoreOrder(plan: ArchivePlan): number[] {
  const idx = plan.items.map((_, i) => i);
  const pos = (i: number) => {
    const it = plan.items[i];
    const k = `${it.schema && it.schema !== 'public' ? it.schema : ''}.${it.table}`;
    return plan.order.indexOf(k);
  };
  const rank = { table: 0, columns: 1, rows: 2 } as const;
  return idx.sort(
    (a, b) =>
      rank[plan.items[a].kind] - rank[plan.items[b].kind] ||
      (plan.items[a].kind === 'rows' ? pos(b) - pos(a) : pos(a) - pos(b)),
  );
}

/** The SQL that archives `plan`: `before` runs just before the migration, `after` just after. */
export interface CaptureSql {
  /** Statements run before the migration, in the same transaction (schema, catalog, copies). */
  before: string[];
  /** Statements run after the migration, in the same transaction (row diff, sizes in the catalog). */
  after: string[];
  /** The data table of each item (same order as plan.items). */
  dataTables: string[];
}

/**
 * The capture statements of `plan` (see CaptureSql). Any earlier archive of the same migration
 * (left by a deploy rolled back without the restore) is dropped first: the new one replaces it.
 * `origin` is `deploy` (what a migration destroys) or `rollback` (what its rollback destroys).
 * `historyTable` (the qualified `_prisma_migrations` of the deploy, e.g. `"public"."_prisma_migrations"`):
 * the archive records the identity (`id`, `started_at`) of the row Prisma's engine inserted for
 * this run of the migration (started, not finished: prisma-engines records a migration started
 * before it runs its script), so that a later restore uses it only for that deploy
 * (./store.ts staleness). Without it (verify --data, a rollback's archive) nothing is recorded.
 */
export function captureSql(
  plan: ArchivePlan,
  origin: 'deploy' | 'rollback' = 'deploy',
  historyTable?: string,
): CaptureSql {
  const m = quoteLiteral(plan.migration);
  const o = quoteLiteral(origin);
  const before = [
    ...archiveSchemaSql(),
    `DO $archive$ DECLARE d text; BEGIN FOR d IN SELECT data_table FROM ${CATALOG} WHERE migration = ${m} AND origin = ${o} LOOP EXECUTE format('DROP TABLE IF EXISTS ${S}.%I', d); END LOOP; DELETE FROM ${CATALOG} WHERE migration = ${m} AND origin = ${o}; END $archive$`,
  ];
  const after: string[] = [];
  const dataTables = plan.items.map((_, i) => dataTableName(plan.migration, i, origin));
  const order = restoreOrder(plan);
  for (const i of order) {
    const item = plan.items[i];
    const dt = `${S}.${quoteIdent(dataTables[i])}`;
    const t = rel(item);
    const values = valuesOf(item);
    before.push(
      `CREATE TABLE ${dt} (op text NOT NULL DEFAULT 'prior', k jsonb, v jsonb)`,
      `REVOKE ALL ON ${dt} FROM PUBLIC`,
      `INSERT INTO ${dt} (k, v) SELECT ${item.key ? jsonOf('x', same(item.key)) : 'NULL'}, ${values} FROM ${t} x`,
      `INSERT INTO ${CATALOG} (migration, schema_name, table_name, kind, data_table, key_columns, columns, note, origin, restore_sql) VALUES (${m}, ${item.schema ? quoteLiteral(item.schema) : 'NULL'}, ${quoteLiteral(item.table)}, ${quoteLiteral(item.kind)}, ${quoteLiteral(dataTables[i])}, ${item.key ? arrayLiteral(item.key) : 'NULL'}, ${arrayLiteral(item.columns)}, ${item.note ? quoteLiteral(item.note) : 'NULL'}, ${o}, ${arrayLiteral(restoreSql(item, dataTables[i]))})`,
    );
    if (item.kind === 'rows' && item.after) {
      const a = item.after;
      const ta = rel(a);
      const keyAfter = jsonOf(
        'x',
        item.key!.map((k, j) => ({ name: k, col: a.key[j] })),
      );
      const kept = a.columns.map((p) => ({
        name: p.before,
        col: p.after,
        text: isJson(item, p.before),
      }));
      const gone = item.columns.filter((c) => !a.columns.some((p) => p.before === c));
      after.push(
        `INSERT INTO ${dt} (op, k) SELECT 'added', ${keyAfter} FROM ${ta} x WHERE NOT EXISTS (SELECT 1 FROM ${dt} a WHERE a.op = 'prior' AND a.k = ${keyAfter})`,
        `DELETE FROM ${dt} a USING ${ta} x WHERE a.op = 'prior' AND a.k = ${keyAfter} AND (a.v${gone.length ? ` - ${arrayLiteral(gone)}` : ''}) = ${jsonOf('x', kept)}`,
      );
    }
    after.push(
      `UPDATE ${CATALOG} SET rows = (SELECT count(*) FROM ${dt}), bytes = pg_total_relation_size(${quoteLiteral(`${S}.${quoteIdent(dataTables[i])}`)}::regclass) WHERE data_table = ${quoteLiteral(dataTables[i])}`,
    );
  }
  if (historyTable && plan.items.length) {
    const h = quoteLiteral(historyTable);
    const identity = `UPDATE ${CATALOG} c SET deploy_id = r.id, deploy_started_at = r.started_at FROM (SELECT id, started_at FROM ${historyTable} WHERE migration_name = ${m} AND finished_at IS NULL AND rolled_back_at IS NULL ORDER BY started_at DESC LIMIT 1) r WHERE c.migration = ${m} AND c.origin = ${o}`;
    before.push(
      `DO $archive$ BEGIN IF to_regclass(${h}) IS NOT NULL THEN EXECUTE ${quoteLiteral(identity)}; END IF; END $archive$`,
    );
  }
  return { before, after, dataTables };
}

/** `ARRAY['a', 'b']::text[]`. */
function arrayLiteral(values: string[]): string {
  return `ARRAY[${values.map(quoteLiteral).join(', ')}]::text[]`;
}

/**
 * One query returning `{ bytes }`: the on-disk size (bytes, tables with their TOAST and indexes) of
 * the tables `plans` would copy, as they are now (tables a not-yet-applied migration creates count 0).
 * An estimate made before archiving, for the size limit (`archive.maxMegabytes`).
 */
export function estimateSizeSql(plans: ArchivePlan[]): string {
  const names = [...new Set(plans.flatMap((p) => p.items.map((i) => rel(i))))];
  if (!names.length) return 'SELECT 0::bigint AS bytes';
  return `SELECT coalesce(sum(pg_total_relation_size(to_regclass(n))), 0)::bigint AS bytes FROM unnest(${arrayLiteral(names)}) n`;
}

/**
 * The statements that restore every archived object of `migration` (of `origin`) from the catalog
 * and then drop them (the archive is consumed by the restore): one DO block, run in the caller's
 * transaction after the rollback (or migration) script. Objects are restored in the order the
 * capture recorded them (catalog id). Speed: nested loops are off while the restore statements run (`set_config(…, true)`: this transaction only, put back
 * after), so the planner joins the archive to the table by a hash join on the typed key instead of
 * one index probe per row (1,000,000 rows: 57 s → 24 s, the cost of the UPDATE itself).
 */
export function restoreFromCatalogSql(migration: string, origin: 'deploy' | 'rollback' = 'deploy'): string {
  const m = quoteLiteral(migration);
  const o = quoteLiteral(origin);
  return `DO $archive$ DECLARE r record; s text; nl text := current_setting('enable_nestloop'); BEGIN
IF to_regclass(${quoteLiteral(`${S}.${quoteIdent(ARCHIVE_CATALOG)}`)}) IS NULL THEN RETURN; END IF;
PERFORM set_config('enable_nestloop', 'off', true);
FOR r IN SELECT id, data_table, restore_sql FROM ${CATALOG} WHERE migration = ${m} AND origin = ${o} ORDER BY id LOOP
  FOREACH s IN ARRAY r.restore_sql LOOP EXECUTE s; END LOOP;
  EXECUTE format('DROP TABLE ${S}.%I', r.data_table);
  DELETE FROM ${CATALOG} WHERE id = r.id;
END LOOP;
PERFORM set_config('enable_nestloop', nl, true);
END $archive$`;
}
