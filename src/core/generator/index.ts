/**
 * The rollback generator: a schema model replayed from the migration history and the inverse of
 * each statement, written as `down.sql`.
 *
 * Typical use (editor, CLI, checklist):
 *   const r = await generateRollback(history, index); // history: {name, sql}[] in folder order
 *   r.sql                   // the down.sql text (header with checksum, summary, steps last-first)
 *   r.warnings              // {kind, message, line (migration.sql), downLine (down.sql)} for Problems
 *   r.irreversible          // steps with no SQL inverse (marked blocks in down.sql)
 *   r.summary               // {statements, inverted, noop, flagged, irreversible, byKind}
 * Before overwriting an existing down.sql: downSqlConflict(existing, r.sql, migrationSql)
 * (undefined = nothing lost; else 'handWritten' | 'handEdited' | 'stale' | 'differs').
 * Staleness for CodeLens/tree: isDownSqlStale(downSql, migrationSql).
 * A migration that does not parse: generateRollback throws SqlParseError {file, line, column, reason}
 * (from src/core/sql).
 */

export { type RollbackWarning, type RollbackWarningKind, WARNING_KIND_WORDS } from './inverse';
export type { ColumnModel, EnumModel, IndexModel, SchemaModel, TableModel } from './model';
export {
  buildSchemaModelCached,
  type CachedModel,
  DEFAULT_MODEL_CACHE_BYTES,
  defaultModelCacheDir,
} from './model-cache';
export {
  buildSchemaModelSync,
  DOWN_SQL_CONFLICT_REASONS,
  type DownSqlConflict,
  downSqlConflict,
  downSqlSourceChecksum,
  foldHistoryInto,
  GENERATOR_VERSION,
  generateAllRollbacksSync,
  generateRollback,
  generateRollbackSync,
  isDownSqlHandEdited,
  isDownSqlStale,
  type MigrationSource,
  prismaWarningsOf,
  type RollbackOptions,
  type RollbackResult,
  type RollbackSourceNote,
  type RollbackStep,
  type RollbackSummary,
  rollbackWithModel,
  sourceNoteLine,
} from './rollback';
export { type EditedAfterApply, editedAfterApply } from './source';
export {
  GENERATOR_STRATEGIES,
  type GeneratorStrategy,
  generateRollbackWith,
  isGeneratorStrategy,
} from './strategy';
