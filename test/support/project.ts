/**
 * The one builder of a temporary Prisma project for tests: a folder under the OS temp dir with a
 * migrations folder (`migration_lock.toml`, one `<name>/migration.sql` [+ `down.sql`] per
 * migration) and, as asked, `prisma/schema.prisma`, `package.json`, `.vscode/settings.json`, `.env`
 * and any other file (a `prisma.config.ts`, a `.gitignore`…).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A Prisma 6 schema.prisma: a PostgreSQL datasource whose URL is `env("DATABASE_URL")`. */
export const SCHEMA_WITH_URL_ENV =
  'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n';

/** A migration: its migration.sql, or migration.sql and down.sql. */
export type TempMigration = string | { sql: string; down?: string };

export interface TempProjectOptions {
  /** The temp folder's name prefix (default `prisma-rollback-mig-`). */
  prefix?: string;
  /** The migrations folder, relative to the root (default `prisma/migrations`). */
  migrationsDir?: string;
  /** `provider` of migration_lock.toml (default `postgresql`). */
  provider?: string;
  /** prisma/schema.prisma's text (none written when absent). */
  schema?: string;
  /** package.json's content, written as JSON (none written when absent). */
  packageJson?: Record<string, unknown>;
  /** .vscode/settings.json: a string is written as is (JSONC), anything else as JSON (none when absent). */
  settings?: unknown;
  /** .env: a string is written as is; a record as one `KEY="value"\n` line per entry (none when absent). */
  dotenv?: string | Record<string, string>;
  /** Any other file, by path relative to the root → its text. */
  files?: Record<string, string>;
  /** The migrations, written in this order: name → migration.sql or { sql, down }. */
  migrations?: Record<string, TempMigration>;
}

export interface TempProject {
  /** The project root (the temp folder). */
  root: string;
  /** The migrations folder (absolute). */
  dir: string;
  /** Writes `<name>/migration.sql` (replacing it), and `<name>/down.sql` when `down` is given. */
  add(name: string, sql: string, down?: string): Promise<void>;
  /** Removes the migration folder `<name>` (nothing when absent). */
  remove(name: string): Promise<void>;
  /** Removes the whole project. */
  cleanup(): Promise<void>;
}

/** A `package.json` declaring `prisma` at `version` as a dev dependency (as `prisma init` leaves it). */
export function prismaPackageJson(version = '6.19.0'): Record<string, unknown> {
  return { name: 'app', private: true, devDependencies: { prisma: version } };
}

/**
 * Creates the project described by `o` in a new temp folder. Rejects with the file system's error;
 * a half-built folder is then left behind (under the OS temp dir).
 */
export async function tempProject(o: TempProjectOptions = {}): Promise<TempProject> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), o.prefix ?? 'prisma-rollback-mig-'));
  const dir = path.join(root, o.migrationsDir ?? path.join('prisma', 'migrations'));
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'migration_lock.toml'), `provider = "${o.provider ?? 'postgresql'}"\n`);
  const write = async (rel: string, text: string) => {
    await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await fs.writeFile(path.join(root, rel), text);
  };
  if (o.schema !== undefined) await write(path.join('prisma', 'schema.prisma'), o.schema);
  if (o.packageJson) await write('package.json', JSON.stringify(o.packageJson));
  if (o.settings !== undefined)
    await write(
      path.join('.vscode', 'settings.json'),
      typeof o.settings === 'string' ? o.settings : JSON.stringify(o.settings),
    );
  if (o.dotenv !== undefined)
    await write(
      '.env',
      typeof o.dotenv === 'string'
        ? o.dotenv
        : Object.entries(o.dotenv)
            .map(([k, v]) => `${k}="${v}"\n`)
            .join(''),
    );
  for (const [rel, text] of Object.entries(o.files ?? {})) await write(rel, text);
  const project: TempProject = {
    root,
    dir,
    async add(name, sql, down) {
      await fs.mkdir(path.join(dir, name), { recursive: true });
      await fs.writeFile(path.join(dir, name, 'migration.sql'), sql);
      if (down !== undefined) await fs.writeFile(path.join(dir, name, 'down.sql'), down);
    },
    async remove(name) {
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
    },
    async cleanup() {
      await fs.rm(root, { recursive: true, force: true });
    },
  };
  for (const [name, m] of Object.entries(o.migrations ?? {}))
    await (typeof m === 'string' ? project.add(name, m) : project.add(name, m.sql, m.down));
  return project;
}

/** A bare migrations folder (no schema.prisma) under `prisma/migrations` of a temp folder. */
export function tempMigrations(provider = 'postgresql'): Promise<TempProject> {
  return tempProject({ provider });
}
