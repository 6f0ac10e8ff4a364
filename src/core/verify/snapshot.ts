/**
 * A normalized picture of a database schema read from `pg_catalog`, and a comparison of two
 * such pictures in plain words. Used by the rollback verifier (schema before migration N vs.
 * after N and its rollback) and by the generator's tests — one implementation.
 *
 * Works over anything that runs one SQL statement and returns rows: `pg.Pool`, `pg.Client`,
 * `PGlite` (`(sql) => db.query(sql)`). Only catalog reads, no parameters, no temporary objects.
 *
 * Besides the schema objects it reads what a rollback can leave behind around them: privileges
 * (as deviations from PostgreSQL's defaults, `acldefault()`: GRANT/REVOKE on tables, columns,
 * sequences, schemas, functions, types and the database), REPLICA IDENTITY, storage parameters
 * (`reloptions`, also of the TOAST table), column statistics targets, options and storage modes,
 * roles (attributes, memberships, settings), the current database's settings and connection
 * limit, and on PostgreSQL 18 the names of NOT NULL constraints (compared only where both
 * snapshots have one, so a PostgreSQL 15 snapshot compares with a PostgreSQL 18 one). Roles are
 * cluster-wide: a role created by someone else between two snapshots shows as a difference.
 *
 * What is left out on purpose: OIDs, owners, grantors, physical column order (a rollback that
 * re-adds a dropped column puts it last; PostgreSQL cannot do otherwise and Prisma ignores the
 * order — `compareSnapshots(…, { columnOrder: true })` reports it when wanted), sequence values,
 * extension versions, system schemas, objects that belong to an extension, built-in `pg_*`
 * roles, and Prisma's own `_prisma_migrations` table. Statements whose effect none of this sees
 * are listed by `unseenEffects` (./unseen.ts): the verifier answers "cannot prove" for them.
 */

import { quoteIdent } from '../sql/names';

// biome-ignore lint/suspicious/noExplicitAny: rows come from pg or PGlite, typed per query below.
export type QueryFn = (sql: string) => Promise<{ rows: any[] }>;

export interface ColumnSnapshot {
  /** `format_type()`, e.g. `character varying(200)`, `"Role"[]`. */
  type: string;
  default: string | null;
  notNull: boolean;
  /** `always`, `by default`, or null. */
  identity: 'always' | 'by default' | null;
  /** Expression of a generated column (`GENERATED ALWAYS AS (…) STORED`), else null. */
  generated: string | null;
  /** Collation when it is not the type's default, else null. */
  collation: string | null;
  /** `ALTER COLUMN … SET STATISTICS n`, null for the default. */
  statistics: number | null;
  /** `ALTER COLUMN … SET (n_distinct = …)`, sorted, `, `-joined; null when none. */
  options: string | null;
  /** `ALTER COLUMN … SET STORAGE` when it is not the type's default (`plain`, `external`, `main`, `extended`), else null. */
  storage: string | null;
}

export interface TableSnapshot {
  kind: 'table' | 'partitioned table' | 'foreign table';
  columns: Record<string, ColumnSnapshot>;
  /** Column names in physical order (compared only on request). */
  columnOrder: string[];
  unlogged: boolean;
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  /** `PARTITION BY …` of a partitioned table. */
  partitionKey: string | null;
  /** `FOR VALUES …` of a partition, with its parent. */
  partitionOf: string | null;
  /** `default`, `nothing`, `full` or `using index "name"` (ALTER TABLE … REPLICA IDENTITY). */
  replicaIdentity: string;
  /** Storage parameters (`fillfactor=70`, `toast.autovacuum_enabled=false`), sorted, `, `-joined; null when none. */
  parameters: string | null;
}

export interface SequenceSnapshot {
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** `"Table"."column"` when the sequence is OWNED BY a column. */
  ownedBy: string | null;
}

export interface DomainSnapshot {
  type: string;
  notNull: boolean;
  default: string | null;
  constraints: string[];
}

export interface SchemaSnapshot {
  schemas: string[];
  /** Extension name → schema it lives in. */
  extensions: Record<string, string>;
  /** Display name (`"User"`, `"auth"."User"`) → table. */
  tables: Record<string, TableSnapshot>;
  /** `"Table"."constraint"` → definition. */
  constraints: Record<string, { table: string; name: string; definition: string }>;
  /** Index display name → definition. */
  indexes: Record<string, { table: string; definition: string }>;
  /** Enum display name → labels in order. */
  enums: Record<string, string[]>;
  domains: Record<string, DomainSnapshot>;
  /** Composite type display name → `name type` of each attribute in order. */
  compositeTypes: Record<string, string[]>;
  sequences: Record<string, SequenceSnapshot>;
  views: Record<string, string>;
  materializedViews: Record<string, string>;
  /** `"fn"(integer, text)` → `pg_get_functiondef` (or a summary for aggregates). */
  functions: Record<string, string>;
  /** `"Table"."trigger"` → `pg_get_triggerdef`. */
  triggers: Record<string, { table: string; name: string; definition: string }>;
  /** `"Table"."policy"` → summary. */
  policies: Record<string, { table: string; name: string; definition: string }>;
  /** `table "User"`, `column "User"."name"`, `index "x"`… → comment text. */
  comments: Record<string, string>;
  /**
   * `table "User"`, `column "User"."email"`, `schema "public"`, `function "f"(integer)`,
   * `sequence "s"`, `type "Role"`, `database` → privileges that differ from PostgreSQL's default
   * for the object, sorted: `SELECT to "reader"`, `UPDATE to PUBLIC WITH GRANT OPTION`,
   * `revoked EXECUTE from PUBLIC`. Objects with default privileges are absent.
   */
  privileges: Record<string, string[]>;
  /** `"Table"."column"` → name of its NOT NULL constraint (PostgreSQL 18+; empty before). */
  notNullNames: Record<string, string>;
  /** Role name (not the built-in `pg_*` ones) → sorted properties: `LOGIN`, `member of "x"`, `SET work_mem=4MB`. */
  roles: Record<string, string[]>;
  /** The current database: `SET default_transaction_isolation=serializable`, `CONNECTION LIMIT 5`, sorted. */
  database: string[];
}

const IGNORED_TABLES = new Set(['_prisma_migrations']);

/** SQL predicate on a namespace name column: not a system schema. */
// `_prisma_rollback` is the archive of src/core/archive (ARCHIVE_SCHEMA): copies of data taken by
// deploy, not schema a migration built; neither drift nor the replay's comparison sees it.
function userSchema(col: string): string {
  return `${col} NOT IN ('pg_catalog', 'information_schema', 'pg_toast', '_prisma_rollback') AND ${col} NOT LIKE 'pg\\_temp\\_%' AND ${col} NOT LIKE 'pg\\_toast\\_temp\\_%'`;
}

/** SQL predicate: the object (class catalog, oid column) is not a member of an extension. */
function notExtensionMember(catalog: string, oidCol: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oidCol} AND d.deptype = 'e')`;
}

/** `"name"` for objects in `public`, `"schema"."name"` elsewhere. */
export function displayName(schema: string, name: string): string {
  return schema === 'public' ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

function byKey<T>(entries: [string, T][]): Record<string, T> {
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Record<string, T> = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function bool(v: unknown): boolean {
  return v === true || v === 't' || v === 'true';
}

/** The catalog query: rows typed as `T`. */
type CatalogQuery = <T>(sql: string) => Promise<T[]>;

/** The first half of the catalog: schemas, extensions, relations, columns, constraints, indexes, types. */
async function readCatalogRowsA(q: CatalogQuery, relFilter: string) {
  return {
    schemaRows: await q<{ nspname: string }>(
      `SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_namespace', 'n.oid')}`,
    ),
    extRows: await q<{ extname: string; nspname: string }>(
      `SELECT e.extname, n.nspname FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'`,
    ),
    tableRows: await q<{
      nspname: string;
      relname: string;
      relkind: string;
      relpersistence: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
      partkey: string | null;
      partbound: string | null;
      parent: string | null;
      replident: string;
      params: string | null;
    }>(
      `SELECT n.nspname, c.relname, c.relkind::text AS relkind, c.relpersistence::text AS relpersistence,
              c.relrowsecurity, c.relforcerowsecurity,
              CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full'
                   ELSE 'using index ' || COALESCE((SELECT pg_catalog.quote_ident(ic.relname) FROM pg_catalog.pg_index ri
                                                      JOIN pg_catalog.pg_class ic ON ic.oid = ri.indexrelid
                                                     WHERE ri.indrelid = c.oid AND ri.indisreplident LIMIT 1), '?') END AS replident,
              NULLIF(pg_catalog.array_to_string(ARRAY(
                SELECT o FROM pg_catalog.unnest(c.reloptions) o
                UNION ALL
                SELECT 'toast.' || o FROM pg_catalog.pg_class tc, pg_catalog.unnest(tc.reloptions) o WHERE tc.oid = c.reltoastrelid
                ORDER BY 1), ', '), '') AS params,
              CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkey,
              CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound,
              (SELECT pn.nspname || '.' || pc.relname FROM pg_catalog.pg_inherits i
                 JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
                WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1) AS parent
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND ${relFilter}`,
    ),
    columnRows: await q<{
      nspname: string;
      relname: string;
      attname: string;
      attnum: number;
      type: string;
      notnull: boolean;
      def: string | null;
      identity: string;
      generated: string;
      collation: string | null;
      statistics: number | null;
      options: string | null;
      storage: string | null;
    }>(
      `SELECT n.nspname, c.relname, a.attname, a.attnum::int AS attnum,
              pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
              pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS def,
              a.attidentity::text AS identity, a.attgenerated::text AS generated,
              CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
                   THEN (SELECT cn.nspname || '.' || co.collname FROM pg_catalog.pg_collation co
                           JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation,
              CASE WHEN a.attstattarget >= 0 THEN a.attstattarget::int END AS statistics,
              NULLIF(pg_catalog.array_to_string(ARRAY(SELECT o FROM pg_catalog.unnest(a.attoptions) o ORDER BY 1), ', '), '') AS options,
              CASE WHEN a.attstorage <> t.typstorage THEN CASE a.attstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external'
                                                                             WHEN 'm' THEN 'main' ELSE 'extended' END END AS storage
         FROM pg_catalog.pg_attribute a
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f') AND ${relFilter}
        ORDER BY n.nspname, c.relname, a.attnum`,
    ),
    constraintRows: await q<{ nspname: string; relname: string; conname: string; def: string }>(
      // A foreign key is enforced by internal triggers on both tables; `ALTER TABLE … DISABLE
      // TRIGGER ALL` disables them too (PostgreSQL docs, ALTER TABLE, DISABLE/ENABLE TRIGGER):
      // the key is then no longer enforced, a state said after its definition.
      `SELECT n.nspname, c.relname, co.conname, pg_catalog.pg_get_constraintdef(co.oid, true)
              || COALESCE((SELECT ' (its triggers ' || string_agg(DISTINCT CASE t.tgenabled WHEN 'D' THEN 'disabled'
                                   WHEN 'R' THEN 'enabled on replicas only' ELSE 'enabled always' END, ', ') || ')'
                             FROM pg_catalog.pg_trigger t
                            WHERE t.tgconstraint = co.oid AND t.tgisinternal AND t.tgenabled <> 'O'), '') AS def
         FROM pg_catalog.pg_constraint co
         JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE co.contype <> 'n' AND ${relFilter}`,
    ),
    indexRows: await q<{ nspname: string; relname: string; indexname: string; def: string }>(
      // CLUSTER … USING and ALTER TABLE … CLUSTER ON mark the index (pg_index.indisclustered).
      `SELECT n.nspname, c.relname, ic.relname AS indexname,
              pg_catalog.pg_get_indexdef(i.indexrelid) || CASE WHEN i.indisclustered THEN ' (clustered)' ELSE '' END AS def
         FROM pg_catalog.pg_index i
         JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE ${relFilter}`,
    ),
    typeRows: await q<{
      nspname: string;
      typname: string;
      typtype: string;
      labels: string | null;
      basetype: string | null;
      notnull: boolean;
      def: string | null;
    }>(
      `SELECT n.nspname, t.typname, t.typtype::text AS typtype,
              CASE WHEN t.typtype = 'e' THEN (SELECT pg_catalog.json_agg(e.enumlabel ORDER BY e.enumsortorder)::text
                                               FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) END AS labels,
              CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END AS basetype,
              t.typnotnull AS notnull, t.typdefault AS def
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd') AND ${userSchema('n.nspname')} AND ${notExtensionMember('pg_type', 't.oid')}`,
    ),
    domainConstraintRows: await q<{ nspname: string; typname: string; conname: string; def: string }>(
      `SELECT n.nspname, t.typname, co.conname, pg_catalog.pg_get_constraintdef(co.oid, true) AS def
         FROM pg_catalog.pg_constraint co
         JOIN pg_catalog.pg_type t ON t.oid = co.contypid
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE co.contypid <> 0 AND co.contype <> 'n' AND ${userSchema('n.nspname')}`,
    ),
    compositeRows: await q<{ nspname: string; relname: string; attname: string; type: string }>(
      `SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
         FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relkind = 'c' AND ${relFilter}
        ORDER BY n.nspname, c.relname, a.attnum`,
    ),
    sequenceRows: await q<{
      nspname: string;
      relname: string;
      type: string;
      start: string;
      increment: string;
      min: string;
      max: string;
      cache: string;
      cycle: boolean;
      ownedby: string | null;
    }>(
      `SELECT n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL) AS type,
              s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min,
              s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
              (SELECT tn.nspname || '.' || tc.relname || '.' || ta.attname
                 FROM pg_catalog.pg_depend d
                 JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
                 JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
                 JOIN pg_catalog.pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                  AND d.deptype = 'a' LIMIT 1) AS ownedby
         FROM pg_catalog.pg_sequence s
         JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE ${relFilter}
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass
                           AND d.objid = c.oid AND d.deptype = 'i')`,
    ),
  };
}

/** The second half of the catalog: sequences, views, functions, triggers, policies, comments, privileges… */
async function readCatalogRowsB(q: CatalogQuery, relFilter: string) {
  return {
    viewRows: await q<{ nspname: string; relname: string; relkind: string; def: string }>(
      `SELECT n.nspname, c.relname, c.relkind::text AS relkind, pg_catalog.pg_get_viewdef(c.oid, true) AS def
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND ${relFilter}`,
    ),
    functionRows: await q<{
      nspname: string;
      proname: string;
      args: string;
      prokind: string;
      def: string | null;
    }>(
      `SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, p.prokind::text AS prokind,
              CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_catalog.pg_get_functiondef(p.oid)
                   ELSE 'aggregate returning ' || pg_catalog.format_type(p.prorettype, NULL) END AS def
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_proc', 'p.oid')}`,
    ),
    triggerRows: await q<{ nspname: string; relname: string; tgname: string; def: string }>(
      `SELECT n.nspname, c.relname, t.tgname,
              pg_catalog.pg_get_triggerdef(t.oid, true) || CASE t.tgenabled WHEN 'D' THEN ' (disabled)'
                WHEN 'R' THEN ' (enabled on replicas only)' WHEN 'A' THEN ' (enabled always)' ELSE '' END AS def
         FROM pg_catalog.pg_trigger t
         JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND ${relFilter}`,
    ),
    policyRows: await q<{ nspname: string; relname: string; polname: string; def: string }>(
      `SELECT n.nspname, c.relname, p.polname,
              CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END
              || ' FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                                          WHEN 'd' THEN 'DELETE' ELSE 'ALL' END
              || ' TO ' || COALESCE((SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(r)::text END, ', ' ORDER BY 1)
                                       FROM unnest(p.polroles) AS r), 'public')
              || COALESCE(' USING (' || pg_catalog.pg_get_expr(p.polqual, p.polrelid) || ')', '')
              || COALESCE(' WITH CHECK (' || pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) || ')', '') AS def
         FROM pg_catalog.pg_policy p
         JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE ${relFilter}`,
    ),
    commentRows: await q<{
      kind: string;
      nspname: string;
      name: string;
      sub: string | null;
      description: string;
    }>(
      `SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'f' THEN 'foreign table' WHEN 'v' THEN 'view'
                             WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index'
                             WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'type' ELSE 'relation' END AS kind,
              n.nspname, c.relname AS name, CASE WHEN d.objsubid > 0 THEN a.attname END AS sub, d.description
         FROM pg_catalog.pg_description d
         JOIN pg_catalog.pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
        WHERE ${relFilter}
       UNION ALL
       SELECT 'type', n.nspname, t.typname, NULL, d.description
         FROM pg_catalog.pg_description d
         JOIN pg_catalog.pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
        WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_type', 't.oid')}
       UNION ALL
       SELECT 'function', n.nspname, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', NULL, d.description
         FROM pg_catalog.pg_description d
         JOIN pg_catalog.pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_proc', 'p.oid')}
       UNION ALL
       SELECT 'schema', n.nspname, n.nspname, NULL, d.description
         FROM pg_catalog.pg_description d
         JOIN pg_catalog.pg_namespace n ON d.classoid = 'pg_namespace'::regclass AND n.oid = d.objoid
        WHERE ${userSchema('n.nspname')} AND ${notExtensionMember('pg_namespace', 'n.oid')}
       UNION ALL
       SELECT 'constraint', n.nspname, c.relname, co.conname, d.description
         FROM pg_catalog.pg_description d
         JOIN pg_catalog.pg_constraint co ON d.classoid = 'pg_constraint'::regclass AND co.oid = d.objoid
         JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE ${relFilter}
       UNION ALL
       SELECT 'trigger', n.nspname, c.relname, t.tgname, d.description
         FROM pg_catalog.pg_description d
         JOIN pg_catalog.pg_trigger t ON d.classoid = 'pg_trigger'::regclass AND t.oid = d.objoid
         JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE ${relFilter}`,
    ),
    privilegeRows: await q<{
      kind: string;
      nspname: string | null;
      name: string | null;
      sub: string | null;
      privs: string | null;
    }>(privilegesSql(relFilter)),
    notNullRows: await q<{ nspname: string; relname: string; attname: string; conname: string }>(
      `SELECT n.nspname, c.relname, a.attname, co.conname
         FROM pg_catalog.pg_constraint co
         JOIN pg_catalog.pg_class c ON c.oid = co.conrelid
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1]
        WHERE co.contype = 'n' AND ${relFilter}`,
    ),
    roleRows: await q<{ rolname: string; props: string | null }>(
      `SELECT r.rolname, pg_catalog.json_agg(p ORDER BY p)::text AS props
         FROM pg_catalog.pg_roles r
         LEFT JOIN LATERAL (
           SELECT 'SUPERUSER' AS p WHERE r.rolsuper
           UNION ALL SELECT 'NOINHERIT' WHERE NOT r.rolinherit
           UNION ALL SELECT 'CREATEROLE' WHERE r.rolcreaterole
           UNION ALL SELECT 'CREATEDB' WHERE r.rolcreatedb
           UNION ALL SELECT 'LOGIN' WHERE r.rolcanlogin
           UNION ALL SELECT 'REPLICATION' WHERE r.rolreplication
           UNION ALL SELECT 'BYPASSRLS' WHERE r.rolbypassrls
           UNION ALL SELECT 'CONNECTION LIMIT ' || r.rolconnlimit WHERE r.rolconnlimit >= 0
           UNION ALL SELECT 'VALID UNTIL ' || r.rolvaliduntil::text WHERE r.rolvaliduntil IS NOT NULL
           UNION ALL SELECT 'member of ' || pg_catalog.quote_ident(g.rolname)
                       FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid
           UNION ALL SELECT CASE WHEN s.setdatabase = 0 THEN 'SET ' ELSE 'in this database SET ' END || c
                       FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) c
                      WHERE s.setrole = r.oid AND s.setdatabase IN (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()))
         ) props ON true
        WHERE r.rolname !~ '^pg_'
        GROUP BY r.rolname`,
    ),
    databaseRows: await q<{ p: string }>(
      `SELECT 'SET ' || c AS p
         FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) c
        WHERE s.setrole = 0 AND s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
       UNION ALL
       SELECT 'CONNECTION LIMIT ' || d.datconnlimit FROM pg_catalog.pg_database d
        WHERE d.datname = pg_catalog.current_database() AND d.datconnlimit >= 0`,
    ),
  };
}

type CatalogRows = Awaited<ReturnType<typeof readCatalogRowsA>> &
  Awaited<ReturnType<typeof readCatalogRowsB>>;

/** Reads the schema of the connected database. Read-only; a handful of catalog queries. */
export async function snapshotSchema(query: QueryFn): Promise<SchemaSnapshot> {
  const q = async <T>(sql: string): Promise<T[]> => (await query(sql)).rows as T[];
  const relFilter = `${userSchema('n.nspname')} AND ${notExtensionMember('pg_class', 'c.oid')} AND c.relname NOT IN (${[...IGNORED_TABLES].map((t) => `'${t}'`).join(', ')})`;
  return assembleSnapshot({
    ...(await readCatalogRowsA(q, relFilter)),
    ...(await readCatalogRowsB(q, relFilter)),
  });
}

type Row<K extends keyof CatalogRows> = CatalogRows[K][number];

/** `table.name` of a column, constraint, trigger or policy, its own name quoted as needed. */
function memberName(table: string, name: string): string {
  return `${table}.${quoteIdent(name)}`;
}

/** A `schema.name` as the catalog spells it (unquoted), qualified only outside public; null stays null. */
function qualifiedDotted(dotted: string | null): string | null {
  if (!dotted) return null;
  const [schema, ...rest] = dotted.split('.');
  return displayName(schema, rest.join('.'));
}

/**
 * The tables (ordinary, partitioned, foreign) with their columns, by display name: `columns`
 * keyed and sorted, `columnOrder` in attnum order. Columns of a table that is not listed are left out.
 */
function assembleTables(
  tableRows: readonly Row<'tableRows'>[],
  columnRows: readonly Row<'columnRows'>[],
): Map<string, TableSnapshot> {
  const tables = new Map<string, TableSnapshot>();
  for (const r of tableRows) {
    tables.set(displayName(r.nspname, r.relname), {
      kind: r.relkind === 'p' ? 'partitioned table' : r.relkind === 'f' ? 'foreign table' : 'table',
      columns: {},
      columnOrder: [],
      unlogged: r.relpersistence === 'u',
      rowSecurity: bool(r.relrowsecurity),
      forceRowSecurity: bool(r.relforcerowsecurity),
      partitionKey: strOrNull(r.partkey),
      partitionOf: r.partbound ? `${qualifiedDotted(r.parent)} ${r.partbound}` : null,
      replicaIdentity: str(r.replident),
      parameters: strOrNull(r.params),
    });
  }
  const columnEntries = new Map<string, [string, ColumnSnapshot][]>();
  for (const r of columnRows) {
    const t = displayName(r.nspname, r.relname);
    const table = tables.get(t);
    if (!table) continue;
    table.columnOrder.push(r.attname);
    const list = columnEntries.get(t) ?? [];
    list.push([r.attname, columnSnapshot(r)]);
    columnEntries.set(t, list);
  }
  for (const [t, list] of columnEntries) tables.get(t)!.columns = byKey(list);
  return tables;
}

/** One column: a generated column's expression is its `generated` (with STORED/VIRTUAL), not its default. */
function columnSnapshot(r: Row<'columnRows'>): ColumnSnapshot {
  const generated = r.generated === 's' || r.generated === 'v';
  return {
    type: str(r.type),
    default: generated ? null : strOrNull(r.def),
    notNull: bool(r.notnull),
    identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by default' : null,
    generated: generated ? `${str(r.def)}${r.generated === 'v' ? ' VIRTUAL' : ' STORED'}` : null,
    collation: strOrNull(r.collation),
    statistics: r.statistics === null || r.statistics === undefined ? null : Number(r.statistics),
    options: strOrNull(r.options),
    storage: strOrNull(r.storage),
  };
}

/**
 * The user-defined types by display name: enums (labels in sort order), domains (constraints as
 * `name CHECK (…)`, sorted) and composite types (attributes `name type` in attnum order).
 */
function assembleTypes(
  typeRows: readonly Row<'typeRows'>[],
  domainConstraintRows: readonly Row<'domainConstraintRows'>[],
  compositeRows: readonly Row<'compositeRows'>[],
): { enums: [string, string[]][]; domains: Map<string, DomainSnapshot>; composites: Map<string, string[]> } {
  const enums: [string, string[]][] = [];
  const domains = new Map<string, DomainSnapshot>();
  for (const r of typeRows) {
    const name = displayName(r.nspname, r.typname);
    if (r.typtype === 'e') enums.push([name, r.labels ? (JSON.parse(r.labels) as string[]) : []]);
    else
      domains.set(name, {
        type: str(r.basetype),
        notNull: bool(r.notnull),
        default: strOrNull(r.def),
        constraints: [],
      });
  }
  for (const r of domainConstraintRows) {
    const d = domains.get(displayName(r.nspname, r.typname));
    if (d) d.constraints.push(`${quoteIdent(r.conname)} ${r.def}`);
  }
  for (const d of domains.values()) d.constraints.sort();

  const composites = new Map<string, string[]>();
  for (const r of compositeRows) {
    const name = displayName(r.nspname, r.relname);
    const list = composites.get(name) ?? [];
    list.push(`${quoteIdent(r.attname)} ${r.type}`);
    composites.set(name, list);
  }
  return { enums, domains, composites };
}

/** One sequence; `ownedBy` is the owning column as `table.column` (from the catalog's `schema.table.column`). */
function sequenceSnapshot(r: Row<'sequenceRows'>): SchemaSnapshot['sequences'][string] {
  return {
    type: str(r.type),
    start: str(r.start),
    increment: str(r.increment),
    min: str(r.min),
    max: str(r.max),
    cache: str(r.cache),
    cycle: bool(r.cycle),
    ownedBy: r.ownedby
      ? (() => {
          const [s, t, ...c] = r.ownedby.split('.');
          return memberName(displayName(s, t), c.join('.'));
        })()
      : null,
  };
}

/** A function as `name(args)`, its schema shown only outside public (`name` is `proname(args)` as the catalog spells it). */
function functionKey(nspname: string, name: string): string {
  const paren = name.indexOf('(');
  return `function ${displayName(nspname, name.slice(0, paren))}${name.slice(paren)}`;
}

/** The key of a comment: `schema s`, `function f(args)`, `column|constraint|trigger t.x`, else `<kind> name`. */
function commentKey(r: Row<'commentRows'>): string {
  if (r.kind === 'schema') return `schema ${quoteIdent(r.name)}`;
  if (r.kind === 'function') return functionKey(r.nspname, r.name);
  if (r.sub !== null && r.sub !== undefined) {
    const owner = displayName(r.nspname, r.name);
    return `${r.kind === 'constraint' || r.kind === 'trigger' ? r.kind : 'column'} ${memberName(owner, r.sub)}`;
  }
  return `${r.kind} ${displayName(r.nspname, r.name)}`;
}

/** The key of an object's privileges: `database`, `schema s`, `function f(args)`, `column t.c`, else `<kind> name`. */
function privilegeKey(r: Row<'privilegeRows'>): string {
  if (r.kind === 'database') return 'database';
  if (r.kind === 'schema') return `schema ${quoteIdent(r.name!)}`;
  if (r.kind === 'function') return functionKey(r.nspname!, r.name!);
  if (r.kind === 'column') return `column ${memberName(displayName(r.nspname!, r.name!), r.sub!)}`;
  return `${r.kind} ${displayName(r.nspname!, r.name!)}`;
}

/** A constraint, trigger or policy of a table, keyed `table.name`. */
function tableMember(
  nspname: string,
  relname: string,
  name: string,
  def: unknown,
): [string, { table: string; name: string; definition: string }] {
  const table = displayName(nspname, relname);
  return [memberName(table, name), { table, name, definition: str(def) }];
}

/**
 * The snapshot from the catalog's rows (normalized: sorted, names qualified only outside public).
 * Pure: throws only on a malformed JSON column of the catalog's own queries.
 */
function assembleSnapshot(rows: CatalogRows): SchemaSnapshot {
  const tables = assembleTables(rows.tableRows, rows.columnRows);
  const { enums, domains, composites } = assembleTypes(
    rows.typeRows,
    rows.domainConstraintRows,
    rows.compositeRows,
  );
  const relation = (r: { nspname: string; relname: string }) => displayName(r.nspname, r.relname);
  return {
    schemas: rows.schemaRows.map((r) => r.nspname).sort(),
    extensions: byKey(rows.extRows.map((r) => [r.extname, r.nspname])),
    tables: byKey([...tables]),
    constraints: byKey(rows.constraintRows.map((r) => tableMember(r.nspname, r.relname, r.conname, r.def))),
    indexes: byKey(
      rows.indexRows.map((r) => [
        displayName(r.nspname, r.indexname),
        { table: relation(r), definition: str(r.def) },
      ]),
    ),
    enums: byKey(enums),
    domains: byKey([...domains]),
    compositeTypes: byKey([...composites]),
    sequences: byKey(rows.sequenceRows.map((r) => [relation(r), sequenceSnapshot(r)])),
    views: byKey(rows.viewRows.filter((r) => r.relkind === 'v').map((r) => [relation(r), str(r.def)])),
    materializedViews: byKey(
      rows.viewRows.filter((r) => r.relkind === 'm').map((r) => [relation(r), str(r.def)]),
    ),
    functions: byKey(
      rows.functionRows.map((r) => [
        `${displayName(r.nspname, r.proname)}(${r.args})`,
        r.prokind === 'a' ? `aggregate ${str(r.def)}` : str(r.def),
      ]),
    ),
    triggers: byKey(rows.triggerRows.map((r) => tableMember(r.nspname, r.relname, r.tgname, r.def))),
    policies: byKey(rows.policyRows.map((r) => tableMember(r.nspname, r.relname, r.polname, r.def))),
    comments: byKey(rows.commentRows.map((r) => [commentKey(r), str(r.description)])),
    privileges: byKey(
      rows.privilegeRows
        .filter((r) => r.privs)
        .map((r) => [privilegeKey(r), JSON.parse(r.privs!) as string[]]),
    ),
    notNullNames: byKey(rows.notNullRows.map((r) => [memberName(relation(r), r.attname), str(r.conname)])),
    roles: byKey(
      rows.roleRows.map((r) => [
        r.rolname,
        r.props ? (JSON.parse(r.props) as (string | null)[]).filter((p): p is string => p !== null) : [],
      ]),
    ),
    database: rows.databaseRows.map((r) => str(r.p)).sort(),
  };
}

/**
 * One query: every object whose ACL is not the default, with its privileges that differ from
 * `acldefault()` for its kind and owner (PostgreSQL docs, "Privileges", table 5.2 "ACL Privilege
 * Abbreviations" and the defaults of 5.8). Grantors are left out.
 */
function privilegesSql(relFilter: string): string {
  const grant = `e.privilege_type || ' to ' || CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.grantee)::text) END || CASE WHEN e.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END`;
  const grants = (acl: string) => `SELECT ${grant} AS g FROM pg_catalog.aclexplode(${acl}) e`;
  const diff = `(SELECT pg_catalog.json_agg(x ORDER BY x)::text FROM (
                  SELECT g AS x FROM (${grants('o.acl')} EXCEPT ${grants('o.def')}) plus
                  UNION ALL
                  SELECT 'revoked ' || regexp_replace(g, ' to ', ' from ') FROM (${grants('o.def')} EXCEPT ${grants('o.acl')}) minus) d)`;
  return `SELECT o.kind, o.nspname, o.name, o.sub, ${diff} AS privs FROM (
      SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                            WHEN 'f' THEN 'foreign table' ELSE 'table' END AS kind,
             n.nspname, c.relname AS name, NULL::text AS sub, c.relacl AS acl,
             pg_catalog.acldefault((CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char", c.relowner) AS def
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND c.relacl IS NOT NULL AND ${relFilter}
      UNION ALL
      SELECT 'column', n.nspname, c.relname, a.attname::text, a.attacl, pg_catalog.acldefault('c'::"char", c.relowner)
        FROM pg_catalog.pg_attribute a
        JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL AND ${relFilter}
      UNION ALL
      SELECT 'schema', n.nspname, n.nspname, NULL, n.nspacl, pg_catalog.acldefault('n'::"char", n.nspowner)
        FROM pg_catalog.pg_namespace n
       WHERE n.nspacl IS NOT NULL AND ${userSchema('n.nspname')} AND ${notExtensionMember('pg_namespace', 'n.oid')}
      UNION ALL
      SELECT 'function', n.nspname, p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')', NULL,
             p.proacl, pg_catalog.acldefault('f'::"char", p.proowner)
        FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
       WHERE p.proacl IS NOT NULL AND ${userSchema('n.nspname')} AND ${notExtensionMember('pg_proc', 'p.oid')}
      UNION ALL
      SELECT 'type', n.nspname, t.typname, NULL, t.typacl, pg_catalog.acldefault('T'::"char", t.typowner)
        FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
       WHERE t.typacl IS NOT NULL AND t.typcategory <> 'A' AND ${userSchema('n.nspname')} AND ${notExtensionMember('pg_type', 't.oid')}
      UNION ALL
      SELECT 'database', NULL, NULL, NULL, d.datacl, pg_catalog.acldefault('d'::"char", d.datdba)
        FROM pg_catalog.pg_database d
       WHERE d.datname = pg_catalog.current_database() AND d.datacl IS NOT NULL
    ) o`;
}

export interface CompareOptions {
  /** Also report a different physical column order (off by default; see the module comment). */
  columnOrder?: boolean;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What differs between two snapshots, in plain words, one line per difference, in a fixed
 * order. `before` is the expected schema: "is missing" means in `before` but not in `after`,
 * "is extra" the reverse. An empty list means the schemas are the same.
 * Objects of a missing or extra table (its columns, constraints, indexes, triggers, policies,
 * comments) are not listed again.
 */
export function compareSnapshots(
  before: SchemaSnapshot,
  after: SchemaSnapshot,
  opts: CompareOptions = {},
): string[] {
  const out: string[] = [];
  const goneTables = new Set<string>();
  for (const t of Object.keys(before.tables)) if (!(t in after.tables)) goneTables.add(t);
  for (const t of Object.keys(after.tables)) if (!(t in before.tables)) goneTables.add(t);

  const keyed = <T>(
    label: string,
    a: Record<string, T>,
    b: Record<string, T>,
    describe: (key: string, was: T, now: T) => string[] = (key, was, now) =>
      same(was, now) ? [] : [`${label} ${key} differs: is ${show(now)}, was ${show(was)}`],
    tableOf?: (v: T) => string,
    name: (key: string, v: T) => string = (key) => key,
  ) => {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) =>
      x < y ? -1 : x > y ? 1 : 0,
    );
    for (const k of keys) {
      const was = a[k];
      const now = b[k];
      const v = (was ?? now) as T;
      if (tableOf && goneTables.has(tableOf(v))) continue;
      if (was === undefined) out.push(`${label} ${name(k, v)} is extra`);
      else if (now === undefined) out.push(`${label} ${name(k, v)} is missing`);
      else out.push(...describe(name(k, v), was, now));
    }
  };

  // schemas
  const sa = new Set(before.schemas);
  const sb = new Set(after.schemas);
  for (const s of before.schemas) if (!sb.has(s)) out.push(`schema ${quoteIdent(s)} is missing`);
  for (const s of after.schemas) if (!sa.has(s)) out.push(`schema ${quoteIdent(s)} is extra`);

  keyed('extension', before.extensions, after.extensions, (k, was, now) =>
    was === now ? [] : [`extension ${k}: schema is ${quoteIdent(now)}, was ${quoteIdent(was)}`],
  );
  keyed('enum', before.enums, after.enums, (k, was, now) => {
    if (same(was, now)) return [];
    const lines: string[] = [];
    for (const l of was) if (!now.includes(l)) lines.push(`enum ${k}: value '${l}' is missing`);
    for (const l of now) if (!was.includes(l)) lines.push(`enum ${k}: value '${l}' is extra`);
    if (lines.length === 0)
      lines.push(`enum ${k}: values are in the order ${now.join(', ')}, were ${was.join(', ')}`);
    return lines;
  });
  keyed('domain', before.domains, after.domains, (k, was, now) => fieldDiffs(`domain ${k}`, was, now));
  keyed('type', before.compositeTypes, after.compositeTypes, (k, was, now) =>
    same(was, now) ? [] : [`type ${k}: attributes are (${now.join(', ')}), were (${was.join(', ')})`],
  );
  keyed(
    'sequence',
    before.sequences,
    after.sequences,
    (k, was, now) => fieldDiffs(`sequence ${k}`, was, now),
    (v) => (v.ownedBy ? v.ownedBy.slice(0, v.ownedBy.lastIndexOf('."')) : ''),
  );

  // tables and their columns
  keyed('table', before.tables, after.tables, (k, was, now) => {
    const lines: string[] = [];
    const cols = [...new Set([...Object.keys(was.columns), ...Object.keys(now.columns)])].sort();
    for (const c of cols) {
      const label = `column ${k}.${quoteIdent(c)}`;
      const cw = was.columns[c];
      const cn = now.columns[c];
      if (!cn) lines.push(`${label} is missing`);
      else if (!cw) lines.push(`${label} is extra`);
      else lines.push(...fieldDiffs(label, cw, cn));
    }
    const { columns: _a, columnOrder: oa, ...restWas } = was;
    const { columns: _b, columnOrder: ob, ...restNow } = now;
    lines.push(...fieldDiffs(`table ${k}`, restWas, restNow));
    if (opts.columnOrder && cols.every((c) => was.columns[c] && now.columns[c]) && !same(oa, ob))
      lines.push(`table ${k}: columns are in the order ${ob.join(', ')}, were ${oa.join(', ')}`);
    return lines;
  });

  const onTable = (v: { table: string }) => v.table;
  const named = (_k: string, v: { table: string; name: string }) => `${quoteIdent(v.name)} on ${v.table}`;
  const definition =
    (label: string) => (k: string, was: { definition: string }, now: { definition: string }) =>
      was.definition === now.definition ? [] : [`${label} ${k}: is ${now.definition}, was ${was.definition}`];

  keyed('constraint', before.constraints, after.constraints, definition('constraint'), onTable, named);
  keyed('index', before.indexes, after.indexes, definition('index'), onTable);
  keyed('view', before.views, after.views, (k, was, now) =>
    was === now ? [] : [`view ${k}: definition is ${oneLine(now)}, was ${oneLine(was)}`],
  );
  keyed('materialized view', before.materializedViews, after.materializedViews, (k, was, now) =>
    was === now ? [] : [`materialized view ${k}: definition is ${oneLine(now)}, was ${oneLine(was)}`],
  );
  keyed('function', before.functions, after.functions, (k, was, now) =>
    was === now ? [] : [`function ${k}: definition differs: is ${oneLine(now)}, was ${oneLine(was)}`],
  );
  keyed('trigger', before.triggers, after.triggers, definition('trigger'), onTable, named);
  keyed('policy', before.policies, after.policies, definition('policy'), onTable, named);

  // comments (those of objects already reported missing or extra are not repeated)
  const keys = [...new Set([...Object.keys(before.comments), ...Object.keys(after.comments)])].sort();
  for (const k of keys) {
    if ([...goneTables].some((t) => commentBelongsTo(k, t))) continue;
    const was = before.comments[k];
    const now = after.comments[k];
    if (was === undefined) out.push(`comment on ${k} is extra: '${now}'`);
    else if (now === undefined) out.push(`comment on ${k} is missing: '${was}'`);
    else if (was !== now) out.push(`comment on ${k} is '${now}', was '${was}'`);
  }

  // privileges (those of missing or extra tables and their columns are not repeated)
  const privilegeKeys = [
    ...new Set([...Object.keys(before.privileges ?? {}), ...Object.keys(after.privileges ?? {})]),
  ].sort();
  for (const k of privilegeKeys) {
    if ([...goneTables].some((t) => commentBelongsTo(k, t))) continue;
    out.push(...listDiffs(`privileges on ${k}`, before.privileges?.[k] ?? [], after.privileges?.[k] ?? []));
  }

  // NOT NULL constraint names: only where both snapshots record one (PostgreSQL 18+), on tables both have
  for (const [k, was] of Object.entries(before.notNullNames ?? {})) {
    const now = after.notNullNames?.[k];
    if (now === undefined || now === was) continue;
    if ([...goneTables].some((t) => k.startsWith(`${t}.`))) continue;
    out.push(`column ${k}: NOT NULL constraint is named ${quoteIdent(now)}, was ${quoteIdent(was)}`);
  }

  keyed(
    'role',
    before.roles ?? {},
    after.roles ?? {},
    (k, was, now) => listDiffs(`role ${k}`, was, now),
    undefined,
    (k) => quoteIdent(k),
  );
  out.push(...listDiffs('database setting', before.database ?? [], after.database ?? []));
  return out;
}

/** `label: item is missing` / `label: item is extra` for two sorted lists of properties. */
function listDiffs(label: string, was: string[], now: string[]): string[] {
  const lines: string[] = [];
  for (const x of was) if (!now.includes(x)) lines.push(`${label}: ${x} is missing`);
  for (const x of now) if (!was.includes(x)) lines.push(`${label}: ${x} is extra`);
  return lines;
}

function commentBelongsTo(commentKey: string, table: string): boolean {
  const object = commentKey.slice(commentKey.indexOf(' ') + 1);
  return object === table || object.startsWith(`${table}.`);
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

const FIELD_WORDS: Record<string, string> = {
  type: 'type',
  default: 'default',
  identity: 'identity',
  generated: 'generated as',
  collation: 'collation',
  kind: 'kind',
  unlogged: 'unlogged',
  rowSecurity: 'row level security',
  forceRowSecurity: 'forced row level security',
  partitionKey: 'partition key',
  partitionOf: 'partition of',
  start: 'start',
  increment: 'increment',
  min: 'minimum',
  max: 'maximum',
  cache: 'cache',
  cycle: 'cycle',
  ownedBy: 'owned by',
  constraints: 'constraints',
  statistics: 'statistics target',
  options: 'options',
  storage: 'storage',
  replicaIdentity: 'replica identity',
  parameters: 'storage parameters',
};

/** One line per differing field: `label: type is text, was character varying(200)`. */
function fieldDiffs<T extends object>(label: string, was: T, now: T): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(was) as (keyof T & string)[]) {
    const a = was[key];
    const b = now[key];
    if (same(a, b)) continue;
    if (key === 'notNull')
      lines.push(`${label}: is ${b ? 'NOT NULL' : 'nullable'}, was ${a ? 'NOT NULL' : 'nullable'}`);
    else if (typeof a === 'boolean' || typeof b === 'boolean')
      lines.push(`${label}: ${FIELD_WORDS[key] ?? key} is ${b ? 'on' : 'off'}, was ${a ? 'on' : 'off'}`);
    else if (Array.isArray(a) || Array.isArray(b))
      lines.push(
        `${label}: ${FIELD_WORDS[key] ?? key} are ${(b as string[]).join(', ') || 'none'}, were ${(a as string[]).join(', ') || 'none'}`,
      );
    else lines.push(`${label}: ${FIELD_WORDS[key] ?? key} is ${show(b)}, was ${show(a)}`);
  }
  return lines;
}
