/**
 * SQL analysis for rollbacks: the PostgreSQL parser (libpg-query), a schema model replayed from
 * the migration history, and the inverse generator that writes `down.sql`.
 */
export type { RollbackWarning, RollbackWarningKind } from './inverse';
export type { SchemaModel, TableModel, ColumnModel, EnumModel, IndexModel } from './model';
export { quoteIdent, quoteQualified, quoteLiteral, implicitConstraintName, implicitIndexName } from './names';
export {
  initSqlParser,
  parseMigration,
  parseMigrationSync,
  SqlParseError,
  LineIndex,
  type ParsedMigration,
  type SqlStatement,
} from './parser';
export {
  GENERATOR_VERSION,
  buildSchemaModel,
  buildSchemaModelSync,
  DOWN_SQL_CONFLICT_REASONS,
  type DownSqlConflict,
  downSqlConflict,
  downSqlSourceChecksum,
  prismaWarningsOf,
  generateAllRollbacksSync,
  generateRollback,
  generateRollbackSync,
  isDownSqlHandEdited,
  isDownSqlStale,
  type MigrationSource,
  type RollbackOptions,
  type RollbackResult,
  type RollbackStep,
  type RollbackSummary,
} from './rollback';
