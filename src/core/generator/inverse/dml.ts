/**
 * Statements with no inverse in SQL: data changes (INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY),
 * anonymous code blocks (DO) and SELECTs. The rollback marks them irreversible and says what to do.
 */
import { irreversible, type StepInverse } from './common';

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

/** The irreversible step for a data statement of `kind` (one of `DATA_STATEMENTS`). */
export function dataStatement(kind: string): StepInverse {
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
