/**
 * `prisma-rollback restore --from <dump>`: after a rollback re-created what a migration destroyed
 * (a dropped table comes back empty, a dropped column comes back NULL, a column whose type changed
 * comes back with cast values), put back exactly those values from a backup taken before the
 * migration was deployed, matched by primary key.
 *
 * What the migration destroyed is read from its migration.sql with PostgreSQL's parser
 * (PostgreSQL 15 docs, ALTER TABLE / DROP TABLE): DROP TABLE → every row of the table;
 * ALTER TABLE … DROP COLUMN → the column's values; ALTER COLUMN … TYPE → the column's prior
 * values. The backup's rows of those tables (pg_dump plain or custom format; for custom,
 * `pg_restore --data-only -f -` prints them) are loaded into a scratch schema, then merged in one
 * transaction: `UPDATE … FROM` for columns (rows matched by the live table's primary key),
 * `INSERT … ON CONFLICT DO NOTHING` for tables (parents before children); sequences of the
 * restored tables are moved past the restored values. The scratch schema is dropped before the
 * commit; on any failure the transaction is rolled back and nothing is left behind.
 */
import fs from 'node:fs/promises';
import pg from 'pg';
import { describeDbError, maskUrl, prismaSchema, redactSecrets } from '../db';
import { quoteIdent, readIdentifiers } from '../sql/names';
import { initSqlParser, parseMigrationSync } from '../sql/parser';
import { run, siblingTool } from './backup';
import { RunbookError } from './errors';

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

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse tree.
type N = any;

const refKey = (t: TableRef) => `${t.schema ?? ''}.${t.name}`;

/**
 * What `sql` (a migration.sql) destroys: see the module comment. Tables the same script created
 * are not counted (nothing existed before). Throws SqlParseError when the script does not parse.
 */
export async function destroyedBy(sql: string): Promise<DestroyedData> {
  await initSqlParser();
  const created = new Set<string>();
  const tables = new Map<string, TableRef>();
  const columns = new Map<string, { table: TableRef; columns: string[] }>();
  const rv = (r: N): TableRef => ({ schema: r?.schemaname || undefined, name: r?.relname });
  for (const st of parseMigrationSync(sql).statements) {
    const n = st.node as N;
    if (n.CreateStmt) created.add(refKey(rv(n.CreateStmt.relation)));
    if (n.DropStmt?.removeType === 'OBJECT_TABLE')
      for (const o of n.DropStmt.objects ?? []) {
        const names: string[] = (o.List?.items ?? []).map((i: N) => i.String?.sval);
        const t: TableRef = names.length > 1 ? { schema: names[0], name: names[1] } : { name: names[0] };
        if (!created.has(refKey(t))) tables.set(refKey(t), t);
        columns.delete(refKey(t));
      }
    const at = n.AlterTableStmt;
    if (at && (at.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
      const t = rv(at.relation);
      if (created.has(refKey(t))) continue;
      for (const c of (at.cmds ?? []).map((x: N) => x.AlterTableCmd)) {
        if (c?.subtype !== 'AT_DropColumn' && c?.subtype !== 'AT_AlterColumnType') continue;
        const entry = columns.get(refKey(t)) ?? { table: t, columns: [] };
        if (!entry.columns.includes(c.name)) entry.columns.push(c.name);
        columns.set(refKey(t), entry);
      }
    }
  }
  return { tables: [...tables.values()], columns: [...columns.values()] };
}

// ---------------------------------------------------------------------------------------------
// The backup's rows

export interface CopyBlock {
  /** `schema.table` as named in the dump's COPY line. */
  schema: string;
  table: string;
  columns: string[];
  /** Values as COPY's text format decoded (null for `\N`). */
  rows: (string | null)[][];
}

/** One field of COPY's text format, unescaped (PostgreSQL docs, COPY, "Text Format"). */
function decodeCopyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[e] ?? e;
  });
}

/**
 * The `COPY schema.table (columns) FROM stdin;` blocks of a pg_dump script (plain format, or what
 * `pg_restore -f -` prints) whose table is wanted (`wanted(schema, table)`). Never throws; a dump
 * without COPY blocks (made with --inserts) gives none.
 */
export function copyBlocks(script: string, wanted: (schema: string, table: string) => boolean): CopyBlock[] {
  const out: CopyBlock[] = [];
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith('COPY ')) continue;
    const name = readIdentifiers(line, 5);
    if (name.names.length !== 2 || line[name.end] !== '(') continue;
    const cols = readIdentifiers(line, name.end + 1);
    if (!line.slice(cols.end).startsWith(') FROM stdin;')) continue;
    const [schema, table] = name.names;
    const take = wanted(schema, table);
    const block: CopyBlock = { schema, table, columns: cols.names, rows: [] };
    for (i++; i < lines.length && lines[i] !== '\\.'; i++)
      if (take) block.rows.push(lines[i].split('\t').map(decodeCopyField));
    if (take) out.push(block);
  }
  return out;
}

/**
 * The text of the backup's data for `tables`: a plain-format file as it is, a custom-format one
 * through `pg_restore --data-only -f -` (beside `pgDumpPath`, else on PATH).
 * Throws RunbookError 'config' when the file cannot be read, 'pgDump' when pg_restore is missing
 * or fails.
 */
async function backupText(
  file: string,
  tables: string[],
  pgDumpPath: string | undefined,
  env: NodeJS.ProcessEnv,
) {
  let head: Buffer;
  try {
    const h = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(5);
      await h.read(head, 0, 5, 0);
    } finally {
      await h.close();
    }
  } catch (e) {
    throw new RunbookError(`Cannot read the backup ${file}: ${(e as Error).message}`, 'config');
  }
  if (head.toString('latin1') !== 'PGDMP') return fs.readFile(file, 'utf8');
  const tool = siblingTool(pgDumpPath || 'pg_dump', 'pg_restore');
  let r: Awaited<ReturnType<typeof run>>;
  try {
    r = await run(tool, ['--data-only', '-f', '-', ...tables.map((t) => `--table=${t}`), file], env);
  } catch (e) {
    throw new RunbookError(
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? `pg_restore not found (${tool}): it reads custom-format backups. Install the PostgreSQL client tools or set prismaRollback.pgDumpPath (CLI: --pg-dump-path).`
        : `Cannot run ${tool}: ${(e as Error).message}`,
      'pgDump',
    );
  }
  if (r.code !== 0)
    throw new RunbookError(
      `pg_restore could not read ${file} (exit code ${r.code}): ${redactSecrets(r.stderr).trim().split('\n')[0] || 'no message'}`,
      'pgDump',
    );
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------

export interface RestorePlanItem {
  kind: 'table' | 'columns';
  /** `"schema"."table"` of the live table. */
  table: string;
  /** The columns written (every column of the backup the live table has, for `table`). */
  columns: string[];
  /** Rows of this table in the backup. */
  rowsInBackup: number;
  /** Rows that will be written: matched by primary key (`columns`), or not already there (`table`). */
  rowsToWrite: number;
}

export interface RestoreFromBackupOptions {
  url: string;
  environment: string;
  /** The migration's name and its migration.sql. */
  migration: { name: string; sql: string };
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
  /** Rows actually updated or inserted per live table. */
  rows: Record<string, number>;
}

const SCRATCH = '_prisma_rollback_restore';

/**
 * Restores what `opts.migration` destroyed from `opts.from` into the environment (see the module
 * comment); shows the plan to `confirm` first. Throws RunbookError: 'config' (the migration
 * destroyed nothing, the backup cannot be read or lacks a table, cannot connect), 'state' (a
 * destroyed table or column is not there to restore into: the rollback has not run; a table
 * without a primary key), 'pgDump' (pg_restore missing or failing), 'statementFailed' (the merge
 * failed; the transaction was rolled back, nothing changed). The scratch schema never outlives the
 * transaction.
 */
export async function restoreFromBackup(opts: RestoreFromBackupOptions): Promise<RestoreFromBackupResult> {
  const log = opts.log ?? (() => {});
  const destroyed = await destroyedBy(opts.migration.sql);
  if (!destroyed.tables.length && !destroyed.columns.length)
    throw new RunbookError(
      `${opts.migration.name} dropped no table and no column and changed no column type: there are no values to restore from a backup.`,
      'config',
    );
  const client = new pg.Client({
    connectionString: opts.url,
    connectionTimeoutMillis: 10_000,
    application_name: 'prisma-rollback restore',
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (e) {
    throw new RunbookError(
      `Cannot connect to ${opts.environment}: ${describeDbError(e, opts.url)}`,
      'config',
    );
  }
  try {
    // The live tables the rollback re-created (resolved as the migration named them).
    const schema = prismaSchema(opts.url);
    if (schema !== 'public') await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    const resolve = async (t: TableRef) => {
      const r = await client.query<{ nspname: string; relname: string; oid: number }>(
        'SELECT n.nspname, c.relname, c.oid::int AS oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)',
        [t.schema ? quoteIdent(t.schema, t.name) : quoteIdent(t.name)],
      );
      if (!r.rows[0])
        throw new RunbookError(
          `Table ${t.schema ? `${t.schema}.` : ''}${t.name} is not in ${opts.environment}: roll ${opts.migration.name} back first (apply-down re-creates what it dropped), then restore.`,
          'state',
        );
      return r.rows[0];
    };
    const liveColumns = async (oid: number) =>
      (
        await client.query<{ attname: string; type: string; generated: boolean }>(
          `SELECT attname, format_type(atttypid, atttypmod) AS type, attgenerated <> '' AS generated
             FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
          [oid],
        )
      ).rows;
    const primaryKey = async (oid: number) =>
      (
        await client.query<{ attname: string }>(
          `SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.ord`,
          [oid],
        )
      ).rows.map((r) => r.attname);

    interface Work {
      item: RestorePlanItem;
      live: { nspname: string; relname: string; oid: number };
      types: Map<string, string>;
      key: string[];
      block?: CopyBlock;
    }
    const work: Work[] = [];
    for (const t of destroyed.tables) {
      const live = await resolve(t);
      const cols = await liveColumns(live.oid);
      work.push({
        item: {
          kind: 'table',
          table: quoteIdent(live.nspname, live.relname),
          columns: [],
          rowsInBackup: 0,
          rowsToWrite: 0,
        },
        live,
        types: new Map(cols.filter((c) => !c.generated).map((c) => [c.attname, c.type])),
        key: await primaryKey(live.oid),
      });
    }
    for (const { table: t, columns } of destroyed.columns) {
      const live = await resolve(t);
      const cols = await liveColumns(live.oid);
      const missing = columns.filter((c) => !cols.some((x) => x.attname === c));
      if (missing.length)
        throw new RunbookError(
          `Column ${missing.map((c) => quoteIdent(c)).join(', ')} of ${quoteIdent(live.nspname, live.relname)} is not in ${opts.environment}: roll ${opts.migration.name} back first (apply-down re-creates what it dropped), then restore.`,
          'state',
        );
      const key = await primaryKey(live.oid);
      if (!key.length)
        throw new RunbookError(
          `${quoteIdent(live.nspname, live.relname)} has no primary key: its rows cannot be matched with the backup's, so the values of ${columns.map((c) => quoteIdent(c)).join(', ')} cannot be restored by this command.`,
          'state',
        );
      work.push({
        item: {
          kind: 'columns',
          table: quoteIdent(live.nspname, live.relname),
          columns,
          rowsInBackup: 0,
          rowsToWrite: 0,
        },
        live,
        types: new Map(cols.map((c) => [c.attname, c.type])),
        key,
      });
    }

    log(`Reading ${opts.from}`);
    const names = [...new Set(work.map((w) => w.live.relname))];
    const text = await backupText(opts.from, names, opts.pgDumpPath, opts.env ?? process.env);
    const blocks = copyBlocks(text, (s, t) => work.some((w) => w.live.nspname === s && w.live.relname === t));
    for (const w of work) {
      w.block = blocks.find((b) => b.schema === w.live.nspname && b.table === w.live.relname);
      if (!w.block)
        throw new RunbookError(
          `The backup ${opts.from} holds no rows of ${w.item.table} (no COPY block: was it taken before ${opts.migration.name}, of this database, without --inserts?). Nothing was changed.`,
          'config',
        );
      const absent = (w.item.kind === 'columns' ? [...w.item.columns, ...w.key] : w.key).filter(
        (c) => !w.block!.columns.includes(c),
      );
      if (absent.length)
        throw new RunbookError(
          `The backup's ${w.item.table} has no column ${absent.map((c) => quoteIdent(c)).join(', ')}: it was not taken before ${opts.migration.name}. Nothing was changed.`,
          'config',
        );
      if (w.item.kind === 'table') w.item.columns = w.block.columns.filter((c) => w.types.has(c));
      w.item.rowsInBackup = w.block.rows.length;
    }

    await client.query('BEGIN');
    try {
      await client.query(`CREATE SCHEMA ${quoteIdent(SCRATCH)}`);
      for (const [i, w] of work.entries()) {
        const scratch = `${quoteIdent(SCRATCH)}.${quoteIdent(`t${i}`)}`;
        const b = w.block!;
        await client.query(
          `CREATE TABLE ${scratch} (${b.columns.map((c) => `${quoteIdent(c)} text`).join(', ')})`,
        );
        for (let at = 0; at < b.rows.length; at += 500) {
          const batch = b.rows.slice(at, at + 500);
          const params: (string | null)[] = [];
          const values = batch.map(
            (r) => `(${b.columns.map((_, j) => `$${params.push(r[j] ?? null)}`).join(', ')})`,
          );
          await client.query(`INSERT INTO ${scratch} VALUES ${values.join(', ')}`, params);
        }
      }
      const scratchOf = (w: Work) => `${quoteIdent(SCRATCH)}.${quoteIdent(`t${work.indexOf(w)}`)}`;
      const match = (w: Work) =>
        w.key.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}::${w.types.get(k)}`).join(' AND ');
      for (const w of work) {
        const live = quoteIdent(w.live.nspname, w.live.relname);
        const sql =
          w.item.kind === 'columns' || w.key.length
            ? `SELECT count(*)::int AS n FROM ${scratchOf(w)} s WHERE ${w.item.kind === 'columns' ? '' : 'NOT '}EXISTS (SELECT 1 FROM ${live} t WHERE ${match(w)})`
            : `SELECT count(*)::int AS n FROM ${scratchOf(w)}`;
        w.item.rowsToWrite = (await client.query<{ n: number }>(sql)).rows[0].n;
      }
      const plan = work.map((w) => w.item);
      const go = opts.confirm ? await opts.confirm(plan) : true;
      if (!go) {
        await client.query('ROLLBACK');
        return { plan, written: false, rows: {} };
      }
      const rows: Record<string, number> = {};
      // Tables: parents first (foreign keys among the restored tables).
      const tablesWork = work.filter((w) => w.item.kind === 'table');
      const parents = new Map<number, Set<number>>();
      for (const w of tablesWork) {
        const r = await client.query<{ confrelid: number }>(
          `SELECT confrelid::int AS confrelid FROM pg_constraint WHERE contype = 'f' AND conrelid = $1 AND confrelid <> conrelid`,
          [w.live.oid],
        );
        parents.set(w.live.oid, new Set(r.rows.map((x) => x.confrelid)));
      }
      const done = new Set<number>();
      const ordered: Work[] = [];
      while (ordered.length < tablesWork.length) {
        const next =
          tablesWork.find(
            (w) =>
              !done.has(w.live.oid) &&
              [...parents.get(w.live.oid)!].every(
                (p) => done.has(p) || !tablesWork.some((x) => x.live.oid === p),
              ),
          ) ?? tablesWork.find((w) => !done.has(w.live.oid))!;
        done.add(next.live.oid);
        ordered.push(next);
      }
      for (const w of ordered) {
        const live = quoteIdent(w.live.nspname, w.live.relname);
        const cols = w.item.columns;
        const r = await client.query(
          `INSERT INTO ${live} (${cols.map((c) => quoteIdent(c)).join(', ')}) OVERRIDING SYSTEM VALUE SELECT ${cols.map((c) => `s.${quoteIdent(c)}::${w.types.get(c)}`).join(', ')} FROM ${scratchOf(w)} s ON CONFLICT DO NOTHING`,
        );
        rows[w.item.table] = (rows[w.item.table] ?? 0) + (r.rowCount ?? 0);
        // A re-created table's sequences start again at 1: move them past the restored values.
        for (const c of cols) {
          const seq = (
            await client.query<{ seq: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [
              live,
              c,
            ])
          ).rows[0]?.seq;
          if (seq)
            await client.query(
              `SELECT setval($1, max(${quoteIdent(c)})::bigint) FROM ${live} HAVING max(${quoteIdent(c)}) IS NOT NULL`,
              [seq],
            );
        }
      }
      for (const w of work.filter((x) => x.item.kind === 'columns')) {
        const live = quoteIdent(w.live.nspname, w.live.relname);
        const r = await client.query(
          `UPDATE ${live} t SET ${w.item.columns.map((c) => `${quoteIdent(c)} = s.${quoteIdent(c)}::${w.types.get(c)}`).join(', ')} FROM ${scratchOf(w)} s WHERE ${match(w)}`,
        );
        rows[w.item.table] = (rows[w.item.table] ?? 0) + (r.rowCount ?? 0);
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
  } finally {
    await client.end().catch(() => {});
  }
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
