import type { LocalMigration } from '../migrations';

export type MigrationState = 'applied' | 'pending' | 'failed' | 'rolledBack' | 'edited' | 'missingLocally';

/** One row of `_prisma_migrations`. */
export interface MigrationRow {
  id: string;
  checksum: string;
  migrationName: string;
  startedAt: Date;
  finishedAt: Date | null;
  logs: string | null;
  rolledBackAt: Date | null;
  appliedStepsCount: number;
}

export interface MigrationStatus {
  name: string;
  state: MigrationState;
  /** The folder, when it exists locally. */
  local?: LocalMigration;
  /** Every row of that name, oldest first (a migration can fail, be rolled back, be re-applied). */
  rows: MigrationRow[];
  /** The row that decides the state (the latest one). */
  latest?: MigrationRow;
  /** Whether the local file matches the checksum Prisma stored (first row of that name). */
  checksumMatches?: boolean;
  /** Set when Prisma's engine and the table disagree: we show the engine's verdict and say so. */
  note?: string;
}

/** What Prisma's engine says of the two histories alone (`history` of diagnoseMigrationHistory). */
export type HistoryDiagnosis =
  | { kind: 'databaseIsBehind'; unapplied: string[] }
  | { kind: 'migrationsDirectoryIsBehind'; missingLocally: string[] }
  | { kind: 'historiesDiverge'; lastCommon?: string; unappliedLocal: string[]; missingLocally: string[] };

export type ProjectDiagnosis =
  | { kind: 'upToDate' }
  | { kind: 'noMigrationsTable' }
  /**
   * Migrations recorded as failed (started, never finished, not rolled back): Prisma's `migrate
   * deploy` refuses to run until they are resolved (P3009). Takes precedence over every other
   * verdict, as in Prisma's `migrate status` (prisma/prisma MigrateStatus.ts). `besides` is what the
   * history says besides (e.g. migrations not applied yet).
   */
  | { kind: 'failedMigrations'; failed: string[]; edited: string[]; besides?: HistoryDiagnosis }
  /** Applied migrations whose local `migration.sql` no longer matches the checksum Prisma stored. */
  | { kind: 'editedMigrations'; edited: string[]; besides?: HistoryDiagnosis }
  | { kind: 'databaseIsBehind'; unapplied: string[] }
  | { kind: 'migrationsDirectoryIsBehind'; missingLocally: string[] }
  | { kind: 'historiesDiverge'; lastCommon?: string; unappliedLocal: string[]; missingLocally: string[] }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'notConfigured'; reason: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'error'; reason: string };

export interface StatusCounts {
  applied: number;
  pending: number;
  failed: number;
  rolledBack: number;
  edited: number;
  missingLocally: number;
}

export interface EnvironmentStatus {
  environment: string;
  /** `host:port/db`, never the password. */
  target?: string;
  diagnosis: ProjectDiagnosis;
  /** Oldest first, in Prisma's order; database-only migrations are placed by their name. */
  migrations: MigrationStatus[];
  counts: StatusCounts;
  /** Names the engine reported edited / failed (raw, for the CLI's JSON). */
  engine?: { editedMigrationNames: string[]; failedMigrationNames: string[]; hasMigrationsTable: boolean };
  warnings: string[];
  fetchedAt: Date;
  durationMs: number;
}
