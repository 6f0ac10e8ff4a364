/**
 * Statements with no inverse in SQL: data changes (INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY),
 * anonymous code blocks (DO) and SELECTs. The rollback marks them irreversible and says what to do.
 */
import { type N, rangeVar, tableKey } from '../model';
import { irreversible, noop, type StepInverse, type WarningData } from './common';

/**
 * What the migration did before the statement, as far as data statements care: the tables it
 * created (that did not exist before it) and the tables it put triggers on.
 */
export interface MigrationContext {
  createdTables: Set<string>;
  triggeredTables: Set<string>;
}

/** The model keys of the tables a data statement writes to, or undefined when it is not knowable. */
function writtenTables(kind: string, n: N): string[] | undefined {
  // A data-modifying WITH writes elsewhere too; DO / SELECT / MERGE are not followed.
  if (n?.withClause) return undefined;
  switch (kind) {
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
      return n.relation ? [tableKey(n.relation)] : undefined;
    case 'TruncateStmt':
      return (n.relations ?? []).map((r: N) => tableKey(r.RangeVar ?? r));
    case 'CopyStmt':
      return n.is_from && n.relation ? [tableKey(n.relation)] : undefined;
    default:
      return undefined;
  }
}

/**
 * The rows a data statement changes, as the warning's data (what the archive's coverage is matched
 * on): the written tables of an INSERT, UPDATE, DELETE or TRUNCATE, with those of the INSERT,
 * UPDATE or DELETE queries of its WITH; undefined for other statements and for a WITH holding
 * anything else than those and SELECTs (fail closed).
 */
function changedRows(kind: string, n: N | undefined): WarningData | undefined {
  const kinds = {
    InsertStmt: 'insert',
    UpdateStmt: 'update',
    DeleteStmt: 'delete',
    TruncateStmt: 'truncate',
  } as const;
  const change = kinds[kind as keyof typeof kinds];
  if (!change || !n) return undefined;
  const rels: N[] =
    kind === 'TruncateStmt' ? (n.relations ?? []).map((r: N) => r.RangeVar ?? r) : [n.relation];
  for (const cte of n.withClause?.ctes ?? []) {
    const [k] = Object.keys(cte.CommonTableExpr?.ctequery ?? {});
    const q = cte.CommonTableExpr?.ctequery?.[k];
    if (k === 'SelectStmt') continue;
    if (!['InsertStmt', 'UpdateStmt', 'DeleteStmt'].includes(k) || q?.withClause) return undefined;
    rels.push(q.relation);
  }
  if (!rels.length || rels.some((r) => !r?.relname)) return undefined;
  return {
    kind: change,
    tables: rels.map((r) => {
      const q = rangeVar(r);
      return { schema: q.schema, table: q.name };
    }),
  };
}

/** The statement kinds (parse-tree node names) handled here. */
export const DATA_STATEMENTS = new Set([
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'TruncateStmt',
  'CopyStmt',
  'DoStmt',
  'SelectStmt',
]);

/**
 * The step for a data statement of `kind` (one of `DATA_STATEMENTS`). Rows written only to tables
 * this same migration created (and put no trigger on) need no inverse: the rollback's DROP TABLE
 * removes them with the table. Everything else is irreversible from SQL.
 */
export function dataStatement(kind: string, n?: N, ctx?: MigrationContext): StepInverse {
  const tables = ctx && n ? writtenTables(kind, n) : undefined;
  if (tables?.length && tables.every((t) => ctx!.createdTables.has(t) && !ctx!.triggeredTables.has(t))) {
    const names = tables.map((t) => `"${t.split('.').at(-1)}"`).join(', ');
    return noop(
      `${kind.replace('Stmt', '').toUpperCase()} into ${names}, which this migration creates: the rollback's DROP TABLE removes these rows`,
    );
  }
  if (kind === 'DoStmt')
    return irreversible(
      'anonymous code block (DO): its effects are not known; undo them by hand or restore from the backup',
    );
  if (kind === 'SelectStmt')
    return irreversible('SELECT (possibly calling functions with side effects): undo any effects by hand');
  return irreversible(
    `data change (${kind.replace('Stmt', '').toUpperCase()}): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration`,
    changedRows(kind, n),
  );
}
