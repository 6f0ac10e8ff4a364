/** What discovery knows about one Prisma project in the workspace. */

export interface EnvironmentConfig {
  /** Display name, e.g. `local`, `staging`, `production`. */
  name: string;
  /** Name of the variable holding the connection string (process env, then the project's `.env` files). */
  urlEnv?: string;
  /** Extra env file to read `urlEnv` from (relative to the project root, or absolute). */
  envFile?: string;
  /** Destructive actions need backup + verification + typing the environment's name. */
  protected?: boolean;
  /**
   * The environment where the checklist rehearses a rollback for real before applying it to
   * another target (e.g. `staging`; the first marked one; src/core/runbook/rehearsal.ts).
   */
  rehearsal?: boolean;
}

/** Where the datasource URL comes from in the schema/config: `env("X")` or a literal. */
export type UrlExpression =
  | { kind: 'env'; name: string }
  | { kind: 'literal'; value: string }
  /** `datasource.url` of prisma.config.ts; `envName` is the variable it reads when known. */
  | { kind: 'config'; envName?: string };

export type ProjectSupport =
  | { supported: true }
  | {
      supported: false;
      reason: string;
      code: 'provider' | 'providerMismatch' | 'prisma8' | 'noMigrations' | 'invalid';
    };

export interface PrismaProject {
  /** Stable id (absolute path of the project root). */
  id: string;
  /** Directory holding package.json / prisma.config.ts (the project root). */
  root: string;
  /** Short label for the tree: path relative to its workspace folder, or the folder name. */
  label: string;
  /** `prisma.config.ts`/`.js`/`.mjs` when the project has one. */
  configFile?: string;
  /** Schema file, or folder of `*.prisma` files. */
  schemaPath?: string;
  /** Absolute path of the migrations folder (may not exist yet). */
  migrationsDir: string;
  /** Datasource provider (`postgresql`, `mysql`, …), from migration_lock.toml or the datasource block. */
  provider?: string;
  /** Major version of Prisma the project depends on, from package.json / lock file. */
  prismaMajor?: number;
  /** The datasource URL expression (`url`, or `directUrl` when Prisma ≤ 6 defines one). */
  urlExpression?: UrlExpression;
  /** Env files (absolute) whose values feed the URL, in Prisma's precedence, first wins after process env. */
  envFiles: string[];
  support: ProjectSupport;
  /** Folder of the workspace this project was found in. */
  workspaceFolder?: string;
  /** Where `prismaMajor` was read, e.g. `package.json (prisma ^6.19.0)`. */
  prismaVersionSource?: string;
  /** Why the datasource URL is unknown (untrusted workspace, config failed, none defined). */
  urlUnavailable?: string;
  /** Things the user should know (pooler URL, config that could not be evaluated…). */
  warnings: string[];
}

/** An environment's connection string once resolved, or why it could not be. */
export interface ResolvedEnvironment {
  name: string;
  protected: boolean;
  /** Marked as the rehearsal environment (EnvironmentConfig.rehearsal). */
  rehearsal?: boolean;
  /** The connection string (a secret: never log it, show `maskUrl(url)`). */
  url?: string;
  /** Where the URL came from, e.g. `DATABASE_URL in prisma/.env` (no value). */
  source?: string;
  /** Why no URL is available ("DATABASE_URL is not set in the environment or .env files"). */
  problem?: string;
  warnings: string[];
}
