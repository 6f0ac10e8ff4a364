/**
 * `prisma-rollback restore --from <dump>`: for a migration deployed without the archive and then
 * rolled back, put back from a backup taken before it was deployed exactly the data it destroyed or
 * changed, matched by key — what the archive (src/core/archive) would have put back.
 *
 * What to restore comes from the generator's one per-statement analysis through the archive planner
 * (./restore-plan.ts planRestoreParts): the rows of dropped tables, the values of dropped, re-typed
 * (incl. Prisma's enum swap) and UPDATE-assigned columns, rows a DELETE or TRUNCATE removed, and
 * rows an INSERT … VALUES added (deleted again), with renames followed back. Flow:
 * 1. the parts, then the live tables they name (when the migration dropped or re-typed something,
 *    the rollback must have run: `_prisma_migrations` does not record it as applied and the tables
 *    and columns are back; a migration that only changes rows has no rollback script and may stay
 *    applied);
 * 2. the backup's rows of those tables (./restore-dump.ts; a backup whose `_prisma_migrations`
 *    records the migration as applied was taken after the deploy: refused);
 * 3. one transaction: the rows are loaded into the scratch schema `_prisma_rollback_restore`
 *    (columns as text), the rows each part would write are counted and shown (`confirm`), the parts
 *    run (rows the migration added deleted, tables and deleted rows inserted parents first, column
 *    values updated where they differ, sequences of refilled tables moved past the restored
 *    values), the scratch schema is dropped, COMMIT. On any failure or a "no" the transaction is
 *    rolled back: nothing changed, no scratch schema left.
 * Values are cast from the dump's text with each live column's type (its input function, PostgreSQL
 * 15 docs §8) and compared as `jsonb_build_array(…)` (every type, json included, compares).
 */
import pg from 'pg';
import { describeDbError, maskUrl, prismaSchema } from '../db';
import { buildSchemaModelSync } from '../generator';
import { statementRisks } from '../generator/script-risk';
import { objectKey, quoteIdent, quoteQualified } from '../sql/names';
import { initSqlParser, parseMigrationSync } from '../sql/parser';
import { RunbookError } from './errors';
import { appliedRowsNotIn, type CopyBlock, copyBlocks, deployedInBackup, readBackup } from './restore-dump';
import { planRestoreParts, type RestorePart } from './restore-plan';

export { type CopyBlock, copyBlocks } from './restore-dump';
export type { RestorePart } from './restore-plan';

/** A table named in a migration (`schema` absent: the connection's search path, Prisma's schema). */
export interface TableRef {
  schema?: string;
  name: string;
}

/** What a migration destroyed, read from its script. */
export interface DestroyedData {
  /** Tables it dropped (every row). */
  tables: TableRef[];
  /** Columns it dropped or changed the type of (their values), per table. */
  columns: { table: TableRef; columns: string[] }[];
}

/**
 * The tables `sql` (a migration.sql) drops and the columns it drops or re-types, in the script's
 * names, read with the generator's per-statement analysis (statementRisks). Tables the same script
 * created are not counted (nothing existed before). Throws SqlParseError when the script does not
 * parse. Used where no schema model is at hand (recreatedByRollback); the restore itself plans with
 * planRestoreParts.
 */
export async function destroyedBy(sql: string): Promise<DestroyedData> {
  await initSqlParser();
  const created = new Set<string>();
  const tables = new Map<string, TableRef>();
  const columns = new Map<string, { table: TableRef; columns: string[] }>();
  const key = (t: TableRef) => `${t.schema ?? ''}.${t.name}`;
  for (const st of parseMigrationSync(sql).statements) {
    const rv = (st.node as { CreateStmt?: { relation?: { schemaname?: string; relname: string } } })
      .CreateStmt?.relation;
    if (rv) created.add(key({ schema: rv.schemaname || undefined, name: rv.relname }));
    for (const t of statementRisks(st.node, st.line).touched) {
      const ref: TableRef = { schema: t.schema, name: t.table };
      if (created.has(key(ref))) continue;
      if (t.kind === 'dropTable') {
        tables.set(key(ref), ref);
        columns.delete(key(ref));
      } else if ((t.kind === 'dropColumn' || t.kind === 'alterType') && t.column) {
        const entry = columns.get(key(ref)) ?? { table: ref, columns: [] };
        if (!entry.columns.includes(t.column)) entry.columns.push(t.column);
        columns.set(key(ref), entry);
      }
    }
  }
  return { tables: [...tables.values()], columns: [...columns.values()] };
}

// ---------------------------------------------------------------------------------------------

/** One part of the restore as shown before writing (RestorePart on the live database). */
export interface RestorePlanItem {
  /**
   * `table`: rows of a table the rollback re-created, inserted; `columns`: values written by key;
   * `deleted`: rows the migration deleted, inserted again; `added`: rows it inserted, deleted.
   */
  kind: RestorePart['kind'];
  /** `"schema"."table"` of the live table. */
  table: string;
  /** `table`/`deleted`: the columns written; `columns`: the columns restored; `added`: the key. */
  columns: string[];
  /** The key rows are matched by; absent for a table without one. */
  key?: string[];
  /** The migration's statements behind this part (`line N: …`). */
  why: string[];
  /** Rows of this table in the backup. */
  rowsInBackup: number;
  /** Rows that will be inserted (`table`, `deleted`), updated (`columns`) or deleted (`added`). */
  rowsToWrite: number;
  /** Set when this part is not done (nothing written for it): one line saying why. */
  refused?: string;
  /** Anything else worth saying (e.g. rows of an INSERT not found as it wrote them). */
  note?: string;
}

export interface RestoreFromBackupOptions {
  url: string;
  environment: string;
  /** The migration's name and its migration.sql. */
  migration: { name: string; sql: string };
  /** The migrations before it, in order (their schema model is the one it ran on). */
  before: { name: string; sql: string }[];
  /** The backup: pg_dump plain or custom format, taken before the migration was deployed. */
  from: string;
  /** Setting `prismaRollback.pgDumpPath` (pg_restore is taken beside it). */
  pgDumpPath?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /**
   * Shown the plan before anything is written; false: the transaction is rolled back (a dry run).
   * Default: go ahead.
   */
  confirm?: (plan: RestorePlanItem[]) => boolean | Promise<boolean>;
}

export interface RestoreFromBackupResult {
  plan: RestorePlanItem[];
  /** False when `confirm` said no: nothing was written. */
  written: boolean;
  /** Rows actually inserted, updated or deleted per live table. */
  rows: Record<string, number>;
}

const SCRATCH = '_prisma_rollback_restore';

/** A live table the restore writes into, its columns' types, and its backup rows. */
interface LiveTable {
  /** `"schema"."table"`. */
  name: string;
  nspname: string;
  relname: string;
  /** Column → `format_type` (every column). */
  types: Map<string, string>;
  generated: Set<string>;
  block?: CopyBlock;
  /** Its table in the scratch schema (all columns text). */
  scratch?: string;
}

interface Work {
  part: RestorePart;
  live: LiveTable;
  item: RestorePlanItem;
}

/**
 * Restores what `opts.migration` destroyed from `opts.from` into the environment (see the module
 * comment); shows the plan to `confirm` first. Throws RunbookError: 'config' (the migration
 * destroyed nothing, the backup cannot be read, is of another database, lacks a table or column,
 * or was taken after the deploy; cannot connect), 'state' (the rollback has not run: the migration, which dropped or
 * re-typed something, is applied, or a table or column is not there), 'pgDump' (pg_restore missing or failing), 'statementFailed' (the
 * merge failed; rolled back, nothing changed); SqlParseError when a migration does not parse. The
 * scratch schema never outlives the transaction.
 */
export async function restoreFromBackup(opts: RestoreFromBackupOptions): Promise<RestoreFromBackupResult> {
  const log = opts.log ?? (() => {});
  const parts = await restoreParts(opts);
  const client = await connect(opts);
  try {
    const schema = prismaSchema(opts.url);
    if (schema !== 'public') await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    await requireRolledBack(client, schema, parts, opts, log);
    const work = await resolveLive(client, parts, opts);
    log(`Reading ${opts.from}`);
    await attachBackup(client, work, schema, opts);
    return await mergeInTransaction(client, work, opts);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The parts of opts.migration (planRestoreParts); RunbookError 'config' when there are none. */
async function restoreParts(opts: RestoreFromBackupOptions): Promise<RestorePart[]> {
  await initSqlParser();
  const { model } = buildSchemaModelSync(opts.before);
  const parts = planRestoreParts(opts.migration, model);
  if (!parts.length)
    throw new RunbookError(
      `${opts.migration.name} destroys no data that existed before it (no dropped table or column, type change, UPDATE, DELETE, TRUNCATE or INSERT into an existing table): there is nothing to restore from a backup.`,
      'config',
    );
  return parts;
}

/** A connected client on opts.url; RunbookError 'config' when it cannot connect. */
async function connect(opts: RestoreFromBackupOptions): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: opts.url,
    connectionTimeoutMillis: 10_000,
    application_name: 'prisma-rollback restore',
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => {});
    throw new RunbookError(
      `Cannot connect to ${opts.environment}: ${describeDbError(e, opts.url)}`,
      'config',
    );
  }
  return client;
}

const rollBackFirst = (opts: RestoreFromBackupOptions) =>
  `roll ${opts.migration.name} back first (apply-down), then restore.`;

/**
 * RunbookError 'state' when the live `_prisma_migrations` records the migration as applied and a
 * part needs its rollback (tables or columns it dropped or re-typed). A migration that only changes
 * rows has no rollback script to apply (apply-down refuses an empty one): it may stay applied, said
 * in the log.
 */
async function requireRolledBack(
  client: pg.Client,
  schema: string,
  parts: RestorePart[],
  opts: RestoreFromBackupOptions,
  log: (line: string) => void,
) {
  const t = `${quoteIdent(schema)}."_prisma_migrations"`;
  const exists = await client.query<{ c: string | null }>('SELECT to_regclass($1)::text AS c', [t]);
  if (!exists.rows[0]?.c) return;
  const r = await client.query(
    `SELECT 1 FROM ${t} WHERE migration_name = $1 AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    [opts.migration.name],
  );
  if (!r.rowCount) return;
  if (parts.some((p) => p.needsRollback))
    throw new RunbookError(
      `${opts.migration.name} is applied on ${opts.environment}: ${rollBackFirst(opts)}`,
      'state',
    );
  log(
    `${opts.migration.name} only changed rows and is still recorded as applied: its row changes are undone, _prisma_migrations is left as it is.`,
  );
}

/**
 * Each part with its live table (resolved as the migration named it, on Prisma's search path) and
 * its plan item. RunbookError 'state' when a table, column or key column is not there.
 */
async function resolveLive(client: pg.Client, parts: RestorePart[], opts: RestoreFromBackupOptions) {
  const tables = new Map<string, LiveTable>();
  const work: Work[] = [];
  for (const part of parts) {
    const k = objectKey(part.schema, part.table);
    let live = tables.get(k);
    if (!live) {
      const r = await client.query<{ nspname: string; relname: string; oid: number }>(
        'SELECT n.nspname, c.relname, c.oid::int AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)',
        [quoteQualified(part.schema, part.table)],
      );
      if (!r.rows[0])
        throw new RunbookError(
          `Table ${part.schema ? `${part.schema}.` : ''}${part.table} is not in ${opts.environment}: ${rollBackFirst(opts)}`,
          'state',
        );
      const cols = await client.query<{ attname: string; type: string; generated: boolean }>(
        `SELECT attname, format_type(atttypid, atttypmod) AS type, attgenerated <> '' AS generated
           FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [r.rows[0].oid],
      );
      live = {
        name: quoteIdent(r.rows[0].nspname, r.rows[0].relname),
        nspname: r.rows[0].nspname,
        relname: r.rows[0].relname,
        types: new Map(cols.rows.map((c) => [c.attname, c.type])),
        generated: new Set(cols.rows.filter((c) => c.generated).map((c) => c.attname)),
      };
      tables.set(k, live);
    }
    const needed = [...(part.key ?? []), ...(part.kind === 'columns' ? part.columns : [])];
    const missing = needed.filter((c) => !live.types.has(c));
    if (missing.length)
      throw new RunbookError(
        `Column ${missing.map((c) => quoteIdent(c)).join(', ')} of ${live.name} is not in ${opts.environment}: ${rollBackFirst(opts)}`,
        'state',
      );
    const item: RestorePlanItem = {
      kind: part.kind,
      table: live.name,
      columns: part.columns.filter((c) => live.types.has(c) && !live.generated.has(c)),
      key: part.key,
      why: part.why,
      rowsInBackup: 0,
      rowsToWrite: 0,
      refused: part.refused,
    };
    work.push({ part, live, item });
  }
  return work;
}

/** Every row id of the live `_prisma_migrations` (empty when the table does not exist). */
async function liveMigrationIds(client: pg.Client, schema: string): Promise<Set<string>> {
  const t = `${quoteIdent(schema)}."_prisma_migrations"`;
  const exists = await client.query<{ c: string | null }>('SELECT to_regclass($1)::text AS c', [t]);
  if (!exists.rows[0]?.c) return new Set();
  return new Set((await client.query<{ id: string }>(`SELECT id FROM ${t}`)).rows.map((r) => r.id));
}

/**
 * Reads the backup's rows of the work's tables (and its `_prisma_migrations`) and checks them.
 * RunbookError 'config' when it is a backup of another database (its `_prisma_migrations` records
 * a migration as applied under a row id the live table lacks: restore-dump.ts appliedRowsNotIn),
 * was taken after the deploy, lacks a table, or lacks a column.
 */
async function attachBackup(client: pg.Client, work: Work[], schema: string, opts: RestoreFromBackupOptions) {
  const tables = [...new Set(work.map((w) => w.live))];
  const names = [...new Set([...tables.map((t) => t.relname), '_prisma_migrations'])];
  const text = await readBackup(opts.from, names, opts.pgDumpPath, opts.env ?? process.env);
  const blocks = copyBlocks(
    text,
    (s, t) =>
      (s === schema && t === '_prisma_migrations') || tables.some((x) => x.nspname === s && x.relname === t),
  );
  const history = blocks.find((b) => b.schema === schema && b.table === '_prisma_migrations');
  const foreign = appliedRowsNotIn(history, await liveMigrationIds(client, schema));
  if (foreign.length)
    throw new RunbookError(
      `The backup ${opts.from} is not of ${opts.environment}: its _prisma_migrations records ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''} as applied with another row id than ${opts.environment}'s (it was taken of another database, or before ${opts.environment}'s history was reset). Use a backup of ${opts.environment} taken before ${opts.migration.name} was deployed. Nothing was changed.`,
      'config',
    );
  const deployedAt = deployedInBackup(history, opts.migration.name);
  if (deployedAt)
    throw new RunbookError(
      `The backup ${opts.from} was taken after ${opts.migration.name} was deployed (its _prisma_migrations records it as applied at ${deployedAt}): it holds the data already changed. Use a backup taken before the deploy. Nothing was changed.`,
      'config',
    );
  for (const t of tables) {
    t.block = blocks.find((b) => b.schema === t.nspname && b.table === t.relname);
    if (!t.block)
      throw new RunbookError(
        `The backup ${opts.from} holds no rows of ${t.name} (no COPY block: was it taken of this database, before ${opts.migration.name}, without --inserts?). Nothing was changed.`,
        'config',
      );
  }
  for (const w of work) {
    const block = w.live.block!;
    const needed = [...(w.part.key ?? []), ...(w.part.kind === 'columns' ? w.item.columns : [])];
    const absent = needed.filter((c) => !block.columns.includes(c));
    if (absent.length)
      throw new RunbookError(
        `The backup's ${w.item.table} has no column ${absent.map((c) => quoteIdent(c)).join(', ')}: it was not taken before ${opts.migration.name}. Nothing was changed.`,
        'config',
      );
    if (w.part.kind === 'table' || w.part.kind === 'deleted')
      w.item.columns = w.item.columns.filter((c) => block.columns.includes(c));
    w.item.rowsInBackup = block.rows.length;
  }
}

/**
 * One transaction: loads the scratch schema, counts each part (the plan, shown to opts.confirm),
 * writes the parts, drops the scratch schema, commits. Rolls back (nothing changed, no scratch
 * schema) on a "no" or any failure; RunbookError 'statementFailed' for a query that fails.
 */
async function mergeInTransaction(
  client: pg.Client,
  work: Work[],
  opts: RestoreFromBackupOptions,
): Promise<RestoreFromBackupResult> {
  await client.query('BEGIN');
  try {
    await loadScratch(client, [...new Set(work.map((w) => w.live))]);
    for (const w of work) await countPart(client, w);
    const plan = work.map((w) => w.item);
    if (!(opts.confirm ? await opts.confirm(plan) : true)) {
      await client.query('ROLLBACK');
      return { plan, written: false, rows: {} };
    }
    const rows: Record<string, number> = {};
    for (const w of work.filter((x) => !x.item.refused)) {
      const n = await writePart(client, w);
      rows[w.item.table] = (rows[w.item.table] ?? 0) + n;
    }
    await client.query(`DROP SCHEMA ${quoteIdent(SCRATCH)} CASCADE`);
    await client.query('COMMIT');
    return { plan, written: true, rows };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    if (e instanceof RunbookError) throw e;
    throw new RunbookError(
      `Restoring from ${opts.from} into ${opts.environment} (${maskUrl(opts.url)}) failed and was rolled back, nothing changed: ${describeDbError(e, opts.url)}`,
      'statementFailed',
    );
  }
}

/** Creates the scratch schema and one text-columned table per live table, filled from its block. */
async function loadScratch(client: pg.Client, tables: LiveTable[]) {
  await client.query(`CREATE SCHEMA ${quoteIdent(SCRATCH)}`);
  for (const [i, t] of tables.entries()) {
    t.scratch = `${quoteIdent(SCRATCH)}.${quoteIdent(`t${i}`)}`;
    const b = t.block!;
    await client.query(
      `CREATE TABLE ${t.scratch} (${b.columns.map((c) => `${quoteIdent(c)} text`).join(', ')})`,
    );
    for (let at = 0; at < b.rows.length; at += 500) {
      const params: (string | null)[] = [];
      const values = b.rows
        .slice(at, at + 500)
        .map((r) => `(${b.columns.map((_, j) => `$${params.push(r[j] ?? null)}`).join(', ')})`);
      await client.query(`INSERT INTO ${t.scratch} VALUES ${values.join(', ')}`, params);
    }
  }
}

/** `jsonb_build_array(a, b, …)` in chunks of 50 (PostgreSQL's 100-argument limit), `||`-joined. */
function jsonArray(exprs: string[]): string {
  const chunks: string[] = [];
  for (let i = 0; i < exprs.length; i += 50)
    chunks.push(`jsonb_build_array(${exprs.slice(i, i + 50).join(', ')})`);
  return chunks.length > 1 ? `(${chunks.join(' || ')})` : (chunks[0] ?? `'[]'::jsonb`);
}

/** SQL pieces of a part: live `t`, scratch `s`. */
function sqlOf(w: Work) {
  const { live, item } = w;
  const cast = (c: string) => `s.${quoteIdent(c)}::${live.types.get(c)}`;
  const match = (w.part.key ?? []).map((k) => `t.${quoteIdent(k)} = ${cast(k)}`).join(' AND ');
  const differs = `${jsonArray(item.columns.map((c) => `t.${quoteIdent(c)}`))} IS DISTINCT FROM ${jsonArray(item.columns.map(cast))}`;
  const notInLive = `NOT EXISTS (SELECT 1 FROM ${live.name} t WHERE ${match})`;
  const notInBackup = `NOT EXISTS (SELECT 1 FROM ${live.scratch} s WHERE ${match})`;
  return { cast, match, differs, notInLive, notInBackup };
}

/**
 * The `added` part's row matches: one SQL condition on live `t` per row the INSERTs wrote (its
 * constants cast to the live columns' types). A string when a column is not in the table.
 */
function insertedMatches(w: Work): string[] | string {
  const out: string[] = [];
  for (const ins of w.part.inserted ?? [])
    for (const row of ins.rows) {
      const cols = ins.columns.map((c, j) => ({ c, v: row[j] })).filter((x) => x.v !== undefined);
      const unknown = cols.find((x) => !w.live.types.has(x.c));
      if (unknown)
        return `the INSERT at line ${ins.line} names ${quoteIdent(unknown.c)}, not a column of ${w.live.name}`;
      out.push(
        `${jsonArray(cols.map((x) => `t.${quoteIdent(x.c)}`))} = ${jsonArray(cols.map((x) => `(${x.v})::${w.live.types.get(x.c)}`))}`,
      );
    }
  return out;
}

/** Counts the rows the part writes into w.item.rowsToWrite; refuses it (w.item.refused) when it cannot be done safely. */
async function countPart(client: pg.Client, w: Work) {
  const { live, item, part } = w;
  if (item.refused) return;
  const q = sqlOf(w);
  const n = async (sql: string) => (await client.query<{ n: number }>(sql)).rows[0].n;
  if (part.kind === 'table' && !part.key) {
    const now = await n(`SELECT count(*)::int AS n FROM ${live.name}`);
    if (now > 0)
      item.refused = `${live.name} has no primary key or unique NOT NULL key and holds ${now} row(s): the backup's rows cannot be matched with them, so it is restored only when empty (re-created by the rollback); not restored`;
    else item.rowsToWrite = item.rowsInBackup;
  } else if ((part.kind === 'deleted' || part.kind === 'columns') && (await noKeyInCommon(client, w))) {
    item.refused = `none of the backup's ${item.rowsInBackup} row(s) of ${live.name} has the key (${(part.key ?? []).map((k) => quoteIdent(k)).join(', ')}) of a row in the table: is the backup of this database? not restored`;
  } else if (part.kind === 'table' || part.kind === 'deleted')
    item.rowsToWrite = await n(`SELECT count(*)::int AS n FROM ${live.scratch} s WHERE ${q.notInLive}`);
  else if (part.kind === 'columns')
    item.rowsToWrite = await n(
      `SELECT count(*)::int AS n FROM ${live.name} t JOIN ${live.scratch} s ON ${q.match} WHERE ${q.differs}`,
    );
  else {
    const matches = insertedMatches(w);
    if (typeof matches === 'string') {
      item.refused = `${matches}: the rows it added are not removed (delete them by hand)`;
      return;
    }
    const distinct = [...new Set(matches)];
    const r = (
      await client.query(
        `SELECT count(*) FILTER (WHERE ${matches.join(' OR ')})::int AS n, ${distinct.map((m, i) => `count(*) FILTER (WHERE ${m})::int AS c${i}`).join(', ')} FROM ${live.name} t WHERE ${q.notInBackup}`,
      )
    ).rows[0];
    const ambiguous = distinct.some((m, i) => r[`c${i}`] > matches.filter((x) => x === m).length);
    if (ambiguous)
      item.refused = `more rows of ${live.name} not in the backup hold the values the migration's INSERT wrote than it inserted: its rows cannot be told from rows added since the deploy; not removed (delete them by hand)`;
    else {
      item.rowsToWrite = r.n;
      if (r.n < matches.length)
        item.note = `${matches.length - r.n} of the ${matches.length} rows it inserted are not there as it wrote them (changed or deleted since): kept`;
    }
  }
}

/**
 * True when the backup holds rows of the part's table and the table holds rows, but no key of the
 * one is a key of the other: the backup is of another database (or the table was emptied and
 * refilled since), so writing values by key would restore nothing or insert strangers' rows.
 */
async function noKeyInCommon(client: pg.Client, w: Work): Promise<boolean> {
  if (!w.part.key?.length || w.item.rowsInBackup === 0) return false;
  const q = sqlOf(w);
  const r = await client.query<{ live: boolean; common: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${w.live.name}) AS live, EXISTS (SELECT 1 FROM ${w.live.name} t JOIN ${w.live.scratch} s ON ${q.match}) AS common`,
  );
  return r.rows[0].live && !r.rows[0].common;
}

/** Writes one part (not refused); returns the rows inserted, updated or deleted. */
async function writePart(client: pg.Client, w: Work): Promise<number> {
  const { live, item, part } = w;
  const q = sqlOf(w);
  const cols = item.columns.map((c) => quoteIdent(c));
  let sql: string;
  if (part.kind === 'table' || part.kind === 'deleted')
    sql = `INSERT INTO ${live.name} (${cols.join(', ')}) OVERRIDING SYSTEM VALUE SELECT ${item.columns.map(q.cast).join(', ')} FROM ${live.scratch} s${part.key ? ` WHERE ${q.notInLive}` : ''}`;
  else if (part.kind === 'columns')
    sql = `UPDATE ${live.name} t SET ${item.columns.map((c) => `${quoteIdent(c)} = ${q.cast(c)}`).join(', ')} FROM ${live.scratch} s WHERE ${q.match} AND ${q.differs}`;
  else
    sql = `DELETE FROM ${live.name} t WHERE ${q.notInBackup} AND (${(insertedMatches(w) as string[]).join(' OR ')})`;
  const n = (await client.query(sql)).rowCount ?? 0;
  // A re-created table's sequences start again at 1: move them past the restored values (never back).
  if (part.kind === 'table')
    for (const c of part.sequenced.filter((x) => item.columns.includes(x)))
      await client.query(
        `SELECT setval(q.s, q.m) FROM (SELECT pg_get_serial_sequence($1, $2) AS s, (SELECT max(${quoteIdent(c)}) FROM ${live.name})::bigint AS m) q
          WHERE q.s IS NOT NULL AND q.m IS NOT NULL AND q.m > coalesce(pg_sequence_last_value(q.s::regclass), 0)`,
        [live.name, c],
      );
  return n;
}

/**
 * The tables and columns (`table` / `table.column`, schema-qualified when the script qualified
 * them) whose values a rollback of the migration `sql` re-creates empty: what `restore --from`
 * can put back from a backup (ChecklistState.data.recreated). Read with destroyedBy; never
 * throws: a script that does not parse gives [] (nothing is offered).
 */
export async function recreatedByRollback(sql: string): Promise<string[]> {
  try {
    const d = await destroyedBy(sql);
    const name = (t: TableRef) => (t.schema ? `${t.schema}.${t.name}` : t.name);
    return [
      ...d.tables.map(name),
      ...d.columns.flatMap((c) => c.columns.map((col) => `${name(c.table)}.${col}`)),
    ];
  } catch {
    return [];
  }
}
