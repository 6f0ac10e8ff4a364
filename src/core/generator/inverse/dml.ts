/**
 * Statements with no inverse in SQL: data changes (INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY),
 * anonymous code blocks (DO) and SELECTs. The rollback marks them irreversible and says what to do.
 */
import { type N, tableKey } from '../model';
import { irreversible, noop, type StepInverse } from './common';

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
  );
}
