/**
 * The kinds of warning the generator attaches to rollback steps, and their words on screens. A leaf
 * with no imports: the editor's activation bundle reads the words without loading the generator.
 */
export type RollbackWarningKind =
  /** Running the rollback destroys data written since the migration (dropped table/column). */
  | 'dataLoss'
  /** The migration destroyed data that the rollback cannot bring back (restore from backup). */
  | 'dataNotRestored'
  /** A step with no inverse in SQL: data changes, unknown statements, objects the history does not define. */
  | 'irreversible'
  /** A NOT NULL column or constraint comes back and rows written since need values first. */
  | 'needsBackfill'
  /** An enum value cannot be dropped in place: the type is swapped and rows holding it must change first. */
  | 'enumValue'
  /** Extensions and schemas: other code may depend on them. */
  | 'shared'
  /** The inverse can fail on data written since the migration (casts, unique/check/foreign keys). */
  | 'mayFail'
  /** The inverse cannot run inside a transaction (CONCURRENTLY). */
  | 'noTransaction';

/** Words for the generator's warning kinds. */
export const WARNING_KIND_WORDS: Record<RollbackWarningKind, string> = {
  dataLoss: 'data loss',
  dataNotRestored: 'data not restored',
  irreversible: 'irreversible',
  needsBackfill: 'needs backfill',
  enumValue: 'enum value',
  shared: 'shared object',
  mayFail: 'may fail on data',
  noTransaction: 'outside a transaction',
};

/**
 * What a warning says happens to data, in the kinds of the statement analysis
 * (script-risk.ts DataTouched): the migration dropped a table (`dropTable`) or a column
 * (`dropColumn`), rewrote a column's values with `USING` (`alterType`), or changed rows (`update`,
 * `delete`, `truncate`, `insert`); or the rollback drops a table (`createTable`) or column
 * (`addColumn`) the migration created, with whatever was written since.
 */
export type DataChangeKind =
  | 'dropTable'
  | 'dropColumn'
  | 'alterType'
  | 'update'
  | 'delete'
  | 'truncate'
  | 'insert'
  | 'createTable'
  | 'addColumn';

/**
 * The data a warning is about, set by the statement family that writes the warning
 * (src/core/generator/inverse/*, script-risk.ts). The archive's coverage of a warning is decided
 * on these fields (rollback.ts), never on the message's words.
 */
export interface WarningData {
  kind: DataChangeKind;
  /** The tables, in the names they have at the statement (several for TRUNCATE a, b). */
  tables: { schema?: string; table: string }[];
  /** The columns, for `dropColumn`, `alterType`, `addColumn`. */
  columns?: string[];
  /**
   * The words of the message that name the data (`values of "T"."c"`): what the warning keeps,
   * followed by where it is restored from, when the environment's archive holds it.
   */
  lead?: string;
}
