/**
 * Environments: which connection string each configured environment uses, resolved the way
 * Prisma resolves it, plus warnings for URLs that point at a connection pooler.
 *
 * Precedence for a variable (Prisma ≤ 6, `tryLoadEnvs`: dotenv never overrides what is set):
 * the process environment, then the project-root `.env` (beside the nearest package.json),
 * then the schema's `.env` (`<schema dir>/.env`, `./prisma/.env` or `./.env`). With a
 * `prisma.config.ts` Prisma loads no `.env` itself; the usual `import 'dotenv/config'` reads
 * `<project root>/.env`. A connection string kept in VS Code's SecretStorage wins over all.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import dotenv from 'dotenv';
import { connectionUrlProblem, hostLabel, isPostgresUrl, maskUrl } from '../db';
import { evaluateConfigFile } from './config-file';
import type { EnvironmentConfig, PrismaProject, ResolvedEnvironment } from './types';
import { ancestors } from './version';

/** Parses a `.env` file with dotenv (LF or CRLF); undefined when the file does not exist. */
export async function readEnvFile(file: string): Promise<Record<string, string> | undefined> {
  const buf = await fs.readFile(file).catch(() => undefined);
  return buf === undefined ? undefined : dotenv.parse(buf);
}

/**
 * `${NAME}` expansion as Prisma applies it to `.env` values (only the braced form; `\${`
 * stays literal); a name resolves in `lookup` (process env first), else to ''.
 */
export function expandEnvValue(
  value: string,
  lookup: (name: string) => string | undefined,
  depth = 0,
): string {
  if (depth > 10 || !value.includes('${')) return value;
  return value.replace(/(\\?)\$\{([A-Za-z0-9_]*)\}/g, (whole, backslash: string, name: string) => {
    if (backslash) return whole.slice(1);
    return expandEnvValue(lookup(name) ?? '', lookup, depth + 1);
  });
}

/**
 * The `.env` files Prisma would read for a project, existing ones only, first wins.
 * `schemaPath` is the schema file or folder; `configFile` set means Prisma 7 rules.
 */
export async function projectEnvFiles(root: string, schemaPath: string | undefined, configFile?: string) {
  const exists = (f: string) =>
    fs
      .stat(f)
      .then((s) => s.isFile())
      .catch(() => false);
  if (configFile) {
    const f = path.join(root, '.env');
    return (await exists(f)) ? [f] : [];
  }
  const files: string[] = [];
  // Root .env: beside the nearest package.json at or above the project root (getEnvPaths).
  for (const dir of await ancestors(root)) {
    const pkg = await fs.readFile(path.join(dir, 'package.json'), 'utf8').catch(() => undefined);
    if (pkg === undefined) continue;
    try {
      if ((JSON.parse(pkg) as { name?: string }).name === '.prisma/client') continue;
    } catch {
      // Prisma skips an unreadable package.json
      continue;
    }
    const f = path.join(dir, '.env');
    if (await exists(f)) files.push(f);
    break;
  }
  const schemaCandidates = [
    schemaPath ? path.join(path.dirname(schemaPath), '.env') : undefined,
    path.join(root, 'prisma', '.env'),
    path.join(root, '.env'),
  ];
  for (const c of schemaCandidates) {
    if (c && (await exists(c))) {
      if (!files.some((f) => path.resolve(f) === path.resolve(c))) files.push(c);
      break;
    }
  }
  return files;
}

/** Where the user should put a missing variable: the schema's `.env` (≤ 6) or the root `.env` (config). */
function suggestedEnvFile(project: PrismaProject): string {
  if (project.configFile || !project.schemaPath) return path.join(project.root, '.env');
  return path.join(path.dirname(project.schemaPath), '.env');
}

function relToRoot(project: PrismaProject, file: string): string {
  return path.relative(project.root, file).split(path.sep).join('/') || file;
}

/**
 * A warning when `url` points at a connection pooler, naming the direct URL (masked) to
 * use instead; undefined for a direct connection.
 */
export function poolerWarning(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const host = u.hostname.toLowerCase();
  const pgbouncer = u.searchParams.get('pgbouncer') === 'true';
  const risk =
    "Prisma's migration advisory lock (pg_advisory_lock) and DDL may misbehave through a transaction-mode pooler";
  const direct = new URL(u.toString());
  direct.searchParams.delete('pgbouncer');
  const isSupabase = /(^|\.)supabase\.(com|co)$/.test(host);
  if (isSupabase && (u.port === '6543' || pgbouncer)) {
    direct.port = '5432';
    return `${hostLabel(url)} is Supabase's transaction pooler (port 6543): ${risk}. Use the direct connection instead — the same host on port 5432 (${maskUrl(direct.toString())}) or the "Direct connection" string from Supabase's Connect dialog.`;
  }
  const first = host.split('.')[0] ?? '';
  if (first.endsWith('-pooler')) {
    direct.hostname = host.replace(/^([^.]*)-pooler\./, '$1.');
    return `${hostLabel(url)} is a Neon pooled endpoint (-pooler): ${risk}. Use the direct endpoint, the host without "-pooler" (${maskUrl(direct.toString())}).`;
  }
  if (pgbouncer || u.port === '6543') {
    const why = pgbouncer ? 'has pgbouncer=true' : 'uses port 6543, the usual PgBouncer port';
    return `${hostLabel(url)} ${why}: ${risk}. Use the database's direct URL (in Prisma ≤ 6 set it as \`directUrl\`; Prisma uses it for migrations).`;
  }
  return undefined;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** A connection string kept in SecretStorage for an environment name; wins when present. */
  secret?: (envName: string) => Promise<string | undefined>;
}

/** The URL a config evaluation produced, kept out of the project object (it is a secret). */
const configUrls = new WeakMap<PrismaProject, string>();

/** Discovery records the URL `prisma.config.ts` computed (not enumerable anywhere). */
export function rememberConfigUrl(project: PrismaProject, url: string | undefined): void {
  if (url) configUrls.set(project, url);
}

interface Lookup {
  value?: string;
  source?: string;
  searched: string[];
}

/** Finds a variable: process env, then the files in order (first wins); values are `${}`-expanded. */
async function lookupVariable(
  name: string,
  files: string[],
  env: NodeJS.ProcessEnv | undefined,
  project: PrismaProject,
): Promise<Lookup> {
  const processEnv = env ?? process.env;
  const parsed: { file: string; vars: Record<string, string> }[] = [];
  for (const f of files) {
    const vars = await readEnvFile(f);
    if (vars) parsed.push({ file: f, vars });
  }
  const get = (n: string): string | undefined => {
    if (processEnv[n] !== undefined) return processEnv[n];
    for (const p of parsed) if (n in p.vars) return p.vars[n];
    return undefined;
  };
  const searched = parsed.map((p) => relToRoot(project, p.file));
  if (processEnv[name]) return { value: processEnv[name], source: `${name} from the environment`, searched };
  for (const p of parsed) {
    const raw = p.vars[name];
    if (raw) {
      const value = expandEnvValue(raw, get);
      if (value) return { value, source: `${name} in ${relToRoot(project, p.file)}`, searched };
    }
  }
  return { searched };
}

function notSetMessage(name: string, suggest: string, searched: string[], envFileOnly: boolean): string {
  if (envFileOnly)
    return `${name} is not set in ${suggest}: add it there, or store a connection string for this environment.`;
  const where = searched.length ? `searched the environment, ${searched.join(', ')}` : 'no .env file found';
  return `${name} is not set: add it to ${suggest} or the environment (${where}).`;
}

/**
 * Resolves each configured environment (default: one `local` environment using the project's
 * datasource URL). Never throws; an environment without a usable URL carries a `problem`.
 *
 * - `urlEnv` names the variable (else the one the datasource uses: `env("X")` / the config's);
 * - `envFile` (relative to the project root) is then the only file read — process env and the
 *   project's `.env` files are not consulted, so a production environment never silently
 *   falls back to the local `DATABASE_URL`;
 * - a SecretStorage value (`opts.secret(name)`) wins over all.
 */
export async function resolveEnvironments(
  project: PrismaProject,
  configs: EnvironmentConfig[] | undefined,
  opts: ResolveOptions = {},
): Promise<ResolvedEnvironment[]> {
  const list: EnvironmentConfig[] = configs?.length ? configs : [{ name: 'local' }];
  const out: ResolvedEnvironment[] = [];
  for (const cfg of list) {
    out.push(await resolveOne(project, cfg, opts));
  }
  return out;
}

async function configUrlFor(
  project: PrismaProject,
  env: NodeJS.ProcessEnv | undefined,
): Promise<string | undefined> {
  const known = configUrls.get(project);
  if (known || !project.configFile) return known;
  // A copy of the discovered project: evaluate its config again (it was trusted then).
  const r = await evaluateConfigFile(project.configFile, { cwd: project.root, env });
  if (r.ok && r.config.url) {
    configUrls.set(project, r.config.url);
    return r.config.url;
  }
  return undefined;
}

async function resolveOne(
  project: PrismaProject,
  cfg: EnvironmentConfig,
  opts: ResolveOptions,
): Promise<ResolvedEnvironment> {
  const env: ResolvedEnvironment = {
    name: cfg.name,
    protected: cfg.protected === true,
    ...(cfg.rehearsal === true ? { rehearsal: true } : {}),
    warnings: [],
  };
  const expr = project.urlExpression;
  let url: string | undefined;
  try {
    const stored = await opts.secret?.(cfg.name);
    if (stored) {
      url = stored;
      env.source = 'connection string stored in VS Code';
    }
  } catch (e) {
    env.warnings.push(`Could not read the stored connection string: ${(e as Error).message}`);
  }
  if (!url) {
    const varName =
      cfg.urlEnv ?? (expr?.kind === 'env' ? expr.name : expr?.kind === 'config' ? expr.envName : undefined);
    if (cfg.envFile) {
      const file = path.resolve(project.root, cfg.envFile);
      const rel = relToRoot(project, file);
      const vars = await readEnvFile(file);
      if (!vars) env.problem = `The env file ${rel} of environment "${cfg.name}" does not exist.`;
      else if (!varName)
        env.problem = `Environment "${cfg.name}" has envFile ${rel} but no urlEnv: name the variable that holds its connection string.`;
      else if (!vars[varName]) env.problem = notSetMessage(varName, rel, [], true);
      else {
        url = expandEnvValue(vars[varName], (n) => vars[n]);
        env.source = `${varName} in ${rel}`;
      }
    } else if (!cfg.urlEnv && expr?.kind === 'config' && (await configUrlFor(project, opts.env))) {
      url = await configUrlFor(project, opts.env);
      env.source = `datasource.url of ${relToRoot(project, project.configFile!)}`;
    } else if (varName) {
      const r = await lookupVariable(varName, project.envFiles, opts.env, project);
      if (r.value) {
        url = r.value;
        env.source = r.source;
      } else
        env.problem = notSetMessage(
          varName,
          relToRoot(project, suggestedEnvFile(project)),
          r.searched,
          false,
        );
    } else if (expr?.kind === 'literal') {
      url = expr.value;
      env.source = `the URL written in ${project.schemaPath ? relToRoot(project, project.schemaPath) : 'the schema'}`;
    } else {
      env.problem =
        project.urlUnavailable ??
        `No connection string for "${cfg.name}": the project defines no datasource URL. Set urlEnv for this environment or store a connection string.`;
    }
  }
  if (url && !isPostgresUrl(url)) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1];
    env.problem = `The connection string (${env.source ?? cfg.name}) is not a PostgreSQL URL${scheme ? ` (it starts with ${scheme}://)` : ''}: Prisma Rollback works with postgresql:// URLs.`;
    url = undefined;
  }
  const invalid = url ? connectionUrlProblem(url) : undefined;
  if (invalid) {
    env.problem = `The connection string (${env.source ?? cfg.name}) is not a usable URL: ${invalid}.`;
    url = undefined;
  }
  if (url) {
    env.url = url;
    const w = poolerWarning(url);
    if (w) env.warnings.push(w);
  }
  return env;
}
