/**
 * Prisma project discovery and environments. See `discover.ts` (what a project is, where its
 * schema, migrations and URL are) and `env.ts` (which connection string each environment uses).
 */
export { clearConfigCache } from './config-file';
export { type DiscoverOptions, discoverProjects } from './discover';
export {
  expandEnvValue,
  poolerWarning,
  projectEnvFiles,
  type ResolveOptions,
  readEnvFile,
  resolveEnvironments,
} from './env';
export {
  parseJsonc,
  readArchiveMaxMegabytes,
  readArchiveRetentionDays,
  readWorkspaceSetting,
  SettingsFileError,
} from './settings-file';
export {
  resolveShadowDatabase,
  resolveShadowDatabaseUrl,
  SHADOW_URL_ENV,
  type ShadowDatabaseUrl,
  type ShadowSources,
} from './shadow';
export type * from './types';
