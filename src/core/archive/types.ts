/**
 * The archive plan's shapes (built by ./plan.ts, turned into SQL by ./sql.ts). Plain data: a
 * caller that builds a plan its own way (e.g. from a live catalog) imports only this and ./sql.ts,
 * neither of which imports the generator.
 */

/** One archived object of a migration. Names are the ones before the migration. */
export interface ArchiveItem {
  /**
   * `table`: every row, every column (dropped table, or a table without key); `columns`: the key
   * and `columns` of every row; `rows`: prior images of the rows the migration's DML touches.
   */
  kind: 'table' | 'columns' | 'rows';
  schema?: string;
  table: string;
  /** Archived columns (for `table` and `rows`: every column, generated ones included). */
  columns: string[];
  /** Columns the restore writes (not GENERATED ALWAYS AS … STORED). */
  writable: string[];
  /**
   * Columns filled from a sequence (serial, identity, `DEFAULT nextval(…)`): after refilling a
   * table, its sequence is set past the restored values.
   */
  sequenced?: string[];
  /**
   * Columns of type `json`, `json[]` or a domain over them (before the migration): column → the
   * SQL type the restore casts their text back to. The archive keeps these as their text (a jsonb
   * string), not as jsonb, so key order, whitespace and duplicate keys come back byte-identical.
   */
  jsonColumns?: Record<string, string>;
  /**
   * For `rows`: the columns the migration's UPDATEs assign (names before the migration); the
   * restore writes back only these in the rows that survived. Undefined: every writable column
   * (an UPDATE whose SET the planner cannot name, or an INSERT that may re-add a deleted key).
   */
  updated?: string[];
  /** Key columns (primary key or unique NOT NULL), undefined when the table has none. */
  key?: string[];
  /** Why (the statements, 1-based lines of migration.sql) and any limit. */
  reasons: string[];
  note?: string;
  /**
   * For `rows`: the table and the columns as they are after the migration (for the diff that keeps
   * only touched rows); undefined when the table does not survive the migration.
   */
  after?: { schema?: string; table: string; columns: { before: string; after: string }[]; key: string[] };
}

export interface ArchivePlan {
  migration: string;
  items: ArchiveItem[];
  /** Foreign-key order of the archived tables (referenced tables first), keys as objectKey. */
  order: string[];
  /**
   * Statements whose data changes the archive cannot see (a DO block's code runs at apply time and
   * is not analysed): 1-based line in migration.sql and the sentence to show. Fail closed: nothing
   * they change is archived, and no rollback warning may say it is restored.
   */
  unarchived?: { line: number; what: string }[];
}
