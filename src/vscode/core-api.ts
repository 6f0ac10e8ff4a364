/**
 * Everything heavy the editor layer calls in src/core, behind one module that is bundled on its
 * own (dist/core-api.js) and loaded on the first refresh, so activation parses none of it:
 * Prisma's internals, pg, the schema engine's glue. Add new core entry points here.
 */
export {
  ARCHIVE_BADGE,
  archiveTooltipLines,
  readArchiveIndex,
  restoredFromArchive,
} from '../core/archive/summary';
export { PoolRegistry } from '../core/db';
export {
  downSqlConflict,
  editedAfterApply,
  generateRollback,
  generateRollbackWith,
  isDownSqlStale,
  isGeneratorStrategy,
} from '../core/generator';
export { readMigrationsFolder } from '../core/migrations';
export {
  clearConfigCache,
  discoverProjects,
  resolveEnvironments,
  resolveShadowDatabase,
} from '../core/project';
export { assessFailedMigration } from '../core/runbook/failed';
export { recreatedByRollback } from '../core/runbook/restore';
export {
  dependentsOf,
  ensureRollbackScript,
  impactOnTarget,
  verifyRollbackChainScripts,
  verifyRollbackScript,
} from '../core/runbook/services';
export { SqlParseError } from '../core/sql';
export { computeStatus } from '../core/status';
export {
  defaultReplayCacheDir,
  dependentMigrations,
  disposeEmbeddedVerifier,
  findRollbackScript,
  precheckRollback,
  replayProgressText,
  verifyCacheKeyInTurns,
  verifyHistory,
  verifyRollback,
  warmEmbeddedVerifier,
  warmVerifierFor,
} from '../core/verify';
export { driftOfEnvironment } from '../core/verify/drift';
export { describeLockRisk, lockRisks, measureLockRisks } from '../core/verify/lock-risk';
export { secondOpinion } from '../core/verify/prisma-diff';
