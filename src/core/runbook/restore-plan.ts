/**
 * What `restore --from` (./restore.ts) puts back for one migration, as parts per table: read from
 * the archive planner (planArchive, src/core/archive/plan.ts — the generator's one per-statement
 * analysis `statementRisks`, folded through the schema model with renames followed back), so the
 * backup restore and the archive cover the same data. Pure: no database, no I/O.
 *
 * Parts, in the names the tables and columns had before the migration (the ones its rollback brings
 * back), matched by the table's key (primary key, else unique NOT NULL key; planArchive's
 * tableKeyColumns):
 * - `table`: a table the migration dropped (the rollback re-created it): the backup's rows whose
 *   key is not in it are inserted. A table without key (any way of destroying its data) is a
 *   `table` part without key: its rows cannot be matched, so it is refilled only when it is empty
 *   (the rollback re-created it), else refused;
 * - `columns`: values of columns it dropped, re-typed (incl. Prisma's enum swap), or assigned in an
 *   UPDATE (its SET columns): written by key where they differ (an UPDATE that assigns the key
 *   itself is refused: its rows cannot be matched);
 * - `deleted`: rows its DELETE or TRUNCATE removed: the backup's rows whose key is not in the table
 *   are inserted again;
 * - `added`: rows its INSERT … VALUES added: rows whose key is not in the backup and whose values
 *   are the constants the INSERT wrote are deleted. An INSERT … SELECT, or values that are not
 *   constants (now(), a function, a subquery), cannot be told from rows the application added since
 *   the deploy: that part is refused.
 * Limits (a backup holds no record of which rows a statement touched): `columns` and `deleted`
 * also undo what the application wrote to those columns, or deleted, after the deploy.
 */
import { type ArchiveItem, planArchive } from '../archive';
import type { SchemaModel } from '../generator';
import type { N } from '../generator/model';
import { statementRisks } from '../generator/script-risk';
import { objectKey } from '../sql/names';
import { deparseNode, parseMigrationSync } from '../sql/parser';

/** Rows one `INSERT … VALUES` of the migration wrote: its columns and each row's SQL constants. */
export interface InsertedRows {
  line: number;
  columns: string[];
  /** Per row, per column: the constant as SQL, or undefined for DEFAULT (not compared). */
  rows: (string | undefined)[][];
}

/** One part of the restore (see the module comment). Names are the ones before the migration. */
export interface RestorePart {
  kind: 'table' | 'columns' | 'deleted' | 'added';
  schema?: string;
  table: string;
  /** `table`/`deleted`: the columns written (non-generated); `columns`: the columns restored. */
  columns: string[];
  /** Key columns; undefined for a table without key. */
  key?: string[];
  /** Columns filled from a sequence: set past the restored values after a `table` part. */
  sequenced: string[];
  /** The migration's statements behind it (`line N: DROP COLUMN x`…). */
  why: string[];
  /** `added`: what the INSERTs wrote. */
  inserted?: InsertedRows[];
  /** Set when this part is not done: one line saying why. */
  refused?: string;
  /**
   * True when the data lives in tables or columns the migration dropped or re-typed: the rollback
   * must have run first. False for rows only changed by DML (the schema is the same either way).
   */
  needsRollback: boolean;
}

const CONSTANT = new Set(['A_Const', 'TypeCast', 'A_ArrayExpr', 'A_Expr', 'List']);

/** True when `e` is built only of constants (literals, casts, arrays, operators on them). */
function isConstant(e: N): boolean {
  if (e === null || typeof e !== 'object') return true;
  if (Array.isArray(e)) return e.every(isConstant);
  for (const [k, v] of Object.entries(e)) {
    if (/^[A-Z]/.test(k) && !CONSTANT.has(k) && k !== 'TypeName' && k !== 'String' && k !== 'Integer')
      return false;
    if (k !== 'typeName' && !isConstant(v)) return false;
  }
  return true;
}

/**
 * The rows an INSERT statement (`ins` = InsertStmt) wrote, as constants; a string saying why they
 * cannot be identified when it is not `INSERT … VALUES` of constants. `tableColumns` names the
 * columns when the statement lists none.
 */
function insertedRows(ins: N, line: number, tableColumns: string[]): InsertedRows | string {
  if (ins.onConflictClause?.action === 'ONCONFLICT_UPDATE')
    return `INSERT … ON CONFLICT DO UPDATE (line ${line})`;
  const sel = ins.selectStmt?.SelectStmt;
  const lists: N[] | undefined = sel?.valuesLists;
  if (!lists?.length || sel.fromClause) return `INSERT … SELECT (line ${line})`;
  const columns: string[] = ins.cols?.length
    ? ins.cols.map((c: N) => c.ResTarget?.name as string)
    : tableColumns;
  const rows: (string | undefined)[][] = [];
  for (const l of lists) {
    const items: N[] = l.List?.items ?? [];
    if (items.length > columns.length) return `INSERT … VALUES with more values than columns (line ${line})`;
    const row: (string | undefined)[] = [];
    for (const e of items) {
      if (e.SetToDefault) row.push(undefined);
      else if (isConstant(e)) row.push(deparseNode(e));
      else return `INSERT … VALUES with values that are not constants (line ${line})`;
    }
    if (row.every((v) => v === undefined)) return `INSERT … DEFAULT VALUES (line ${line})`;
    rows.push(row);
  }
  return { line, columns: columns.slice(0, Math.max(...rows.map((r) => r.length))), rows };
}

/**
 * The restore parts of `migration` run on `before` (the schema model after every earlier
 * migration; not changed), in restore order: `added` parts referencing tables last-first, then
 * `table` and `deleted` referenced tables first, then `columns`. Throws SqlParseError when the
 * migration does not parse (the parser must be initialised).
 */
export function planRestoreParts(
  migration: { name: string; sql: string },
  before: SchemaModel,
): RestorePart[] {
  const plan = planArchive(migration, before);
  const statements = parseMigrationSync(migration.sql, `${migration.name}/migration.sql`).statements.map(
    (st) => ({ node: st.node as N, touched: statementRisks(st.node as N, st.line).touched }),
  );
  const parts: RestorePart[] = [];
  for (const item of plan.items) parts.push(...partsOf(item, statements));
  const pos = (p: RestorePart) => plan.order.indexOf(objectKey(p.schema, p.table));
  const rank = { added: 0, table: 1, deleted: 1, columns: 2 } as const;
  return parts.sort(
    (a, b) => rank[a.kind] - rank[b.kind] || (a.kind === 'added' ? pos(b) - pos(a) : pos(a) - pos(b)),
  );
}

/** The parts of one archive item (the statements: each with its DataTouched). */
function partsOf(
  item: ArchiveItem,
  statements: { node: N; touched: ReturnType<typeof statementRisks>['touched'] }[],
): RestorePart[] {
  // The statements on this table, under its name before or after the migration.
  const names = new Set([objectKey(item.schema, item.table)]);
  if (item.after) names.add(objectKey(item.after.schema, item.after.table));
  const on = statements.flatMap((s) =>
    s.touched.filter((t) => names.has(objectKey(t.schema, t.table))).map((t) => ({ t, node: s.node })),
  );
  const dml = on.filter((d) => ['update', 'delete', 'truncate', 'insert'].includes(d.t.kind));
  const base = {
    schema: item.schema,
    table: item.table,
    key: item.key,
    sequenced: item.sequenced ?? [],
    why: item.reasons,
    needsRollback: item.kind !== 'rows' && !(dml.length && dml.length === on.length),
  };
  if (item.kind === 'table') return [{ ...base, kind: 'table', columns: item.writable }];
  if (item.kind === 'columns') return [{ ...base, kind: 'columns', columns: item.writable }];
  const out: RestorePart[] = [];
  const why = (kinds: string[]) =>
    dml.filter((d) => kinds.includes(d.t.kind)).map((d) => `line ${d.t.line}: ${d.t.kind.toUpperCase()}`);
  const updates = dml.filter((d) => d.t.kind === 'update');
  if (updates.length) {
    const nonKey = item.writable.filter((c) => !item.key?.includes(c));
    const set = [...new Set(updates.flatMap((d) => d.t.columns ?? []))];
    // a SET column not known under its name before (renamed by the migration): every column
    const columns = set.every((c) => nonKey.includes(c)) ? set : nonKey;
    const keySet = set.filter((c) => item.key?.includes(c));
    out.push({
      ...base,
      kind: 'columns',
      columns,
      why: why(['update']),
      refused: keySet.length
        ? `its UPDATE assigns the key ${keySet.map((c) => `"${c}"`).join(', ')}: rows cannot be matched with the backup's by key; not restored`
        : undefined,
    });
  }
  if (dml.some((d) => d.t.kind === 'delete' || d.t.kind === 'truncate'))
    out.push({ ...base, kind: 'deleted', columns: item.writable, why: why(['delete', 'truncate']) });
  const inserts = dml.filter((d) => d.t.kind === 'insert');
  if (inserts.length) {
    const read = inserts.map((d) => insertedRows(d.node.InsertStmt, d.t.line, item.columns));
    const bad = read.find((r): r is string => typeof r === 'string');
    out.push({
      ...base,
      kind: 'added',
      columns: item.key ?? [],
      why: why(['insert']),
      inserted: read.filter((r): r is InsertedRows => typeof r !== 'string'),
      refused: bad
        ? `the rows ${bad} added cannot be told from rows added since the deploy: not removed (delete them by hand)`
        : undefined,
    });
  }
  return out;
}
