/**
 * Which project, migrations folder and environment a CLI command works on — one place for
 * every command. The project comes from `--project DIR` (default: the current directory);
 * environments from `prismaRollback.environments` in the nearest `.vscode/settings.json`
 * (the same setting the extension reads), else the default `local` environment.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { discoverProjects, resolveEnvironments } from '../core/project';
import type { EnvironmentConfig, PrismaProject, ResolvedEnvironment } from '../core/project/types';
import { CliError, type CliIO, flag, type ParsedArgs } from './args';

/** Parses JSON with comments and trailing commas (VS Code's settings format). */
export function parseJsonc(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (ch === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else out += ch;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/** `prismaRollback.environments` from the nearest `.vscode/settings.json` at or above `dir`. */
export async function environmentsFromSettings(dir: string): Promise<EnvironmentConfig[] | undefined> {
  let current = path.resolve(dir);
  for (;;) {
    const file = path.join(current, '.vscode', 'settings.json');
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      try {
        const settings = parseJsonc(text) as Record<string, unknown>;
        const envs = settings['prismaRollback.environments'];
        if (Array.isArray(envs)) return envs as EnvironmentConfig[];
      } catch (e) {
        throw new CliError(`Cannot read ${file}: ${(e as Error).message}`);
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

export interface CliTarget {
  project: PrismaProject;
  migrationsDir: string;
  environments: ResolvedEnvironment[];
}

/** The project for `--project DIR` (or the current directory); a monorepo root needs `--project`. */
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

/** The environment named by `--env` (default: the first configured one). */
export function pickEnvironment(target: CliTarget, name: string | undefined): ResolvedEnvironment {
  const env = name ? target.environments.find((e) => e.name === name) : target.environments[0];
  if (!env) {
    throw new CliError(
      `No environment "${name}". Configured: ${target.environments.map((e) => e.name).join(', ')}.`,
    );
  }
  return env;
}
