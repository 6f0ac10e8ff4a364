/**
 * SQL analysis for rollbacks: the PostgreSQL parser (libpg-query), a schema model replayed from
 * the migration history, and the inverse generator that writes `down.sql`.
 */
export type { RollbackWarning, RollbackWarningKind } from './inverse';
export type { ColumnModel, EnumModel, IndexModel, SchemaModel, TableModel } from './model';
export { implicitConstraintName, implicitIndexName, quoteIdent, quoteLiteral, quoteQualified } from './names';
export {
  initSqlParser,
  LineIndex,
  type ParsedMigration,
  parseMigration,
  parseMigrationSync,
  SqlParseError,
  type SqlStatement,
} from './parser';
export {
  buildSchemaModel,
  buildSchemaModelSync,
  DOWN_SQL_CONFLICT_REASONS,
  type DownSqlConflict,
  downSqlConflict,
  downSqlSourceChecksum,
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
  type RollbackStep,
  type RollbackSummary,
} from './rollback';
