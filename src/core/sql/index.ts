/**
 * SQL primitives: the PostgreSQL parser (libpg-query) with statement positions, and identifier
 * quoting. The rollback generator lives in src/core/generator.
 *
 * Bundling: libpg-query loads `libpg-query.wasm` from the directory of the script that contains
 * it (`__dirname`), so a bundle must ship node_modules/libpg-query/wasm/libpg-query.wasm beside it.
 */
export { implicitConstraintName, implicitIndexName, quoteIdent, quoteLiteral, quoteQualified } from './names';
export {
  forEachStatement,
  initSqlParser,
  LineIndex,
  type ParsedMigration,
  parseMigrationSync,
  SqlParseError,
  type SqlStatement,
  scriptPieces,
} from './parser';
export { LARGE_SCRIPT_CHARS, largeScriptNote } from './script';
