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
