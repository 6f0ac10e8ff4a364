/**
 * The archive: what a migration destroys, copied at deploy into the schema `_prisma_rollback` and
 * put back by its rollback (issue 12).
 *
 *   const plan = planArchive({ name, sql }, modelBefore);   // ./plan.ts, pure
 *   const { before, after } = captureSql(plan);             // ./sql.ts, pure: run around the migration
 *   restoreFromCatalogSql(name)                              // after the rollback script, same transaction
 *   listArchive(client), purgeArchive(client, …)             // ./store.ts, on a live database
 *
 * Layering: uses generator (the one per-statement analysis and the schema model), sql; runbook
 * uses it. Never imports vscode.
 */
export { type ArchiveItem, type ArchivePlan, planArchive, tableKeyColumns, UNARCHIVED_DO } from './plan';
export {
  ARCHIVE_CATALOG,
  ARCHIVE_SCHEMA,
  archiveSchemaSql,
  type CaptureSql,
  captureSql,
  dataTableName,
  estimateSizeSql,
  restoreFromCatalogSql,
  restoreSql,
} from './sql';
export {
  type ArchiveEntry,
  archiveOf,
  historyTableOf,
  listArchive,
  purgeArchive,
  staleArchiveLine,
} from './store';
export { rollbackArchiveNote } from './summary';
