/**
 * Which project, migrations folder and environment a CLI command works on — one place for
 * every command. The project comes from `--project DIR` (default: the current directory);
 * environments from `prismaRollback.environments` in the nearest `.vscode/settings.json`
 * (the same setting the extension reads), else the default `local` environment.
 */
import path from 'node:path';
import { type LocalMigration, type MigrationsFolder, readMigrationsFolder } from '../core/migrations';
import { discoverProjects, readWorkspaceSetting, resolveEnvironments } from '../core/project';
import type { EnvironmentConfig, PrismaProject, ResolvedEnvironment } from '../core/project/types';
import { CliError, type CliIO, flag, type ParsedArgs } from './args';

/** `prismaRollback.environments` from the nearest `.vscode/settings.json` at or above `dir`. */
export async function environmentsFromSettings(dir: string): Promise<EnvironmentConfig[] | undefined> {
  const envs = await readWorkspaceSetting(dir, 'prismaRollback.environments');
  return Array.isArray(envs) ? (envs as EnvironmentConfig[]) : undefined;
}

export interface CliTarget {
  project: PrismaProject;
  migrationsDir: string;
  environments: ResolvedEnvironment[];
}

/**
 * The project for `--project DIR` (or the current directory); a monorepo root needs `--project`.
 * `--migrations DIR` overrides the project's migrations folder (relative to `io.cwd`).
 * Throws `CliError` (exit code 2) when no Prisma project is found, several are found and none is
 * at DIR, or the project is not supported; file-system errors of discovery propagate.
 * Read-only: nothing is written on failure.
 */
export async function resolveProject(args: ParsedArgs, io: CliIO): Promise<CliTarget> {
  const dir = path.resolve(io.cwd, flag(args, 'project') ?? '.');
  const projects = await discoverProjects([dir], { trusted: true, env: io.env });
  if (projects.length === 0)
    throw new CliError(`No Prisma project found in ${dir}. Pass --project <dir of the project>.`);
  let project = projects.find((p) => path.resolve(p.root) === dir);
  if (!project && projects.length === 1) project = projects[0];
  if (!project) {
    throw new CliError(
      `Several Prisma projects under ${dir}; pass --project with one of: ${projects.map((p) => path.relative(io.cwd, p.root) || '.').join(', ')}`,
    );
  }
  if (!project.support.supported) throw new CliError(`${project.label}: ${project.support.reason}`);
  const migrationsDir = flag(args, 'migrations')
    ? path.resolve(io.cwd, flag(args, 'migrations')!)
    : project.migrationsDir;
  const configs = await environmentsFromSettings(project.root);
  const environments = await resolveEnvironments(project, configs, { env: io.env });
  return { project, migrationsDir, environments };
}

/**
 * The environment named by `--env` (default: the first configured one). Pure: throws `CliError`
 * (exit code 2) listing the configured names when there is no such environment (or none at all).
 */
export function pickEnvironment(target: CliTarget, name: string | undefined): ResolvedEnvironment {
  const env = name ? target.environments.find((e) => e.name === name) : target.environments[0];
  if (!env) {
    throw new CliError(
      `No environment "${name}". Configured: ${target.environments.map((e) => e.name).join(', ')}.`,
    );
  }
  return env;
}

/**
 * The migrations folder a command works on: `--migrations DIR`, else the project's. `root` is
 * where settings are looked up; `project` is set when discovery ran.
 */
export async function migrationsDirOf(
  args: ParsedArgs,
  io: CliIO,
): Promise<{ dir: string; root: string; project?: PrismaProject }> {
  const explicit = flag(args, 'migrations');
  if (explicit) {
    const dir = path.resolve(io.cwd, explicit);
    return { dir, root: flag(args, 'project') ? path.resolve(io.cwd, flag(args, 'project')!) : dir };
  }
  const target = await resolveProject(args, io);
  return { dir: target.migrationsDir, root: target.project.root, project: target.project };
}

/**
 * `20240101_init`, a unique part of a name (`init`), or a path to the migration's folder or files.
 * Returns the index of the match in `names`. Pure: throws `CliError` (exit code 2) when `wanted`
 * matches several migrations or none.
 */
export function findMigration(names: string[], wanted: string): number {
  const base = path.basename(wanted.replace(/[\\/]+((migration|down)\.sql)?$/, ''));
  const exact = names.indexOf(base);
  if (exact >= 0) return exact;
  const partial = names.map((n, i) => [n, i] as const).filter(([n]) => n.includes(base));
  if (partial.length === 1) return partial[0][1];
  if (partial.length > 1)
    throw new CliError(
      `"${wanted}" matches several migrations: ${partial.map(([n]) => n).join(', ')}. Name one exactly.`,
    );
  throw new CliError(`No migration "${wanted}" in the migrations folder.`);
}

/**
 * The migrations folder `dir` (core `readMigrationsFolder`), which must exist. Throws `CliError`
 * (exit code 2) when it does not, telling to pass `pass` (`--migrations DIR or --project DIR` where
 * discovery can be overridden either way, `--migrations DIR` where the project was resolved for an
 * environment); errors of reading it propagate. Reads only.
 */
export async function readExistingFolder(
  dir: string,
  pass = '--migrations DIR or --project DIR',
): Promise<MigrationsFolder> {
  const folder = await readMigrationsFolder(dir);
  if (!folder.exists) throw new CliError(`Migrations folder ${dir} does not exist. Pass ${pass}.`);
  return folder;
}

/**
 * Every migration of `migrations` has a readable migration.sql. Pure: throws `CliError` (exit
 * code 2) naming the first one that could not be read, with the reading error.
 */
export function requireReadable(migrations: readonly LocalMigration[]): void {
  const unreadable = migrations.find((m) => m.sql === undefined);
  if (unreadable) throw new CliError(`Cannot read ${unreadable.sqlPath}: ${unreadable.error}`);
}

/**
 * How the CLI shows a file: relative to its working directory (`io.cwd`), or as given when that is
 * the directory itself. `file` may be relative to `io.cwd` or absolute. Never throws.
 */
export function shownPath(io: Pick<CliIO, 'cwd'>, file: string): string {
  return path.relative(io.cwd, path.resolve(io.cwd, file)) || file;
}
