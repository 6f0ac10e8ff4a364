/**
 * Everything heavy the editor layer calls in src/core, behind one module that is bundled on its
 * own (dist/core-api.js) and loaded on the first refresh, so activation parses none of it:
 * Prisma's internals, pg, the schema engine's glue. Add new core entry points here.
 */
export { PoolRegistry } from '../core/db';
export { discoverProjects, resolveEnvironments } from '../core/project';
export { computeStatus } from '../core/status';
export { ensureRollbackScript, verifyRollbackScript } from '../core/runbook/services';
