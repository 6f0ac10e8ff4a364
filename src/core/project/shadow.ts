/**
 * The one shadow-database URL resolver: where the CLI, the editor's Verify Rollback and the
 * checklist's verify step find the PostgreSQL server on which a throwaway database may be created
 * when the embedded PostgreSQL cannot replay a history (an extension it lacks, a platform role).
 */
import { isPostgresUrl } from '../db';
import { expandEnvValue, readEnvFile } from './env';

/** The variable that names the shadow server for one run (CLI, CI) and when the setting is empty. */
export const SHADOW_URL_ENV = 'PRISMA_ROLLBACK_SHADOW_DATABASE_URL';

/** `url` when one was found; `problem` (one line, no secret) when the configuration is wrong. */
export interface ShadowDatabaseUrl {
  url?: string;
  problem?: string;
  /** Where the URL came from: `the setting`, or the variable that held it. */
  from?: string;
}

/**
 * The rule for one value of `prismaRollback.shadowDatabaseUrl`: a `postgresql://` connection string,
 * or — so that no secret has to live in settings — the name of an environment variable
 * (`SHADOW_DATABASE_URL`, or `env:SHADOW_DATABASE_URL`) looked up with `lookup`. An empty value
 * gives `{}`. Pure; never throws.
 */
export function resolveShadowDatabaseUrl(
  setting: string | undefined,
  lookup: (name: string) => string | undefined,
): ShadowDatabaseUrl {
  const v = (setting ?? '').trim();
  if (!v) return {};
  if (isPostgresUrl(v)) return { url: v, from: 'the setting' };
  const m = /^(?:env:)?([A-Za-z_][A-Za-z0-9_]*)$/.exec(v);
  if (!m)
    return {
      problem:
        'prismaRollback.shadowDatabaseUrl is neither a postgresql:// connection string nor the name of an environment variable.',
    };
  const value = lookup(m[1])?.trim();
  if (!value)
    return {
      problem: `prismaRollback.shadowDatabaseUrl names the environment variable ${m[1]}, which is not set (neither in the environment nor in the project's .env files).`,
    };
  if (!isPostgresUrl(value))
    return { problem: `The environment variable ${m[1]} does not hold a postgresql:// connection string.` };
  return { url: value, from: m[1] };
}

export interface ShadowSources {
  /** The process environment (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The project's `.env` files, first wins (`PrismaProject.envFiles`); missing files are skipped. */
  envFiles?: string[];
}

/**
 * The shadow server for a project, the same for the CLI and the editor:
 *
 * 1. `$PRISMA_ROLLBACK_SHADOW_DATABASE_URL` in the process environment — an explicit choice for
 *    this run (the CLI's documented way; CI sets it) wins over the settings file;
 * 2. else `setting` (`prismaRollback.shadowDatabaseUrl`, as read from VS Code or
 *    `.vscode/settings.json`): a URL, or the name of a variable read from the environment, then
 *    the project's `.env` files (values `${}`-expanded, as Prisma expands them);
 * 3. else `PRISMA_ROLLBACK_SHADOW_DATABASE_URL` from the project's `.env` files.
 *
 * Nothing configured gives `{}`. Never throws (an unreadable `.env` counts as absent); a wrong
 * configuration comes back as `problem`, which names no secret.
 */
export async function resolveShadowDatabase(
  setting: string | undefined,
  sources: ShadowSources = {},
): Promise<ShadowDatabaseUrl> {
  const env = sources.env ?? process.env;
  const files: Record<string, string>[] = [];
  for (const f of sources.envFiles ?? []) {
    const values = await readEnvFile(f).catch(() => undefined);
    if (values) files.push(values);
  }
  const raw = (name: string): string | undefined => env[name] ?? files.find((v) => name in v)?.[name];
  const lookup = (name: string): string | undefined => {
    if (env[name] !== undefined) return env[name];
    const value = raw(name);
    return value === undefined ? undefined : expandEnvValue(value, raw);
  };
  const fromProcess = env[SHADOW_URL_ENV]?.trim();
  if (fromProcess) return describeSource(resolveShadowDatabaseUrl(fromProcess, lookup), SHADOW_URL_ENV);
  if (setting?.trim()) return resolveShadowDatabaseUrl(setting, lookup);
  const fromFiles = lookup(SHADOW_URL_ENV)?.trim();
  return fromFiles ? describeSource(resolveShadowDatabaseUrl(fromFiles, lookup), SHADOW_URL_ENV) : {};
}

/** A value of PRISMA_ROLLBACK_SHADOW_DATABASE_URL: say so, not "the setting". */
function describeSource(r: ShadowDatabaseUrl, variable: string): ShadowDatabaseUrl {
  if (r.url && r.from === 'the setting') return { ...r, from: variable };
  if (r.problem?.startsWith('prismaRollback.shadowDatabaseUrl '))
    return { problem: r.problem.replace('prismaRollback.shadowDatabaseUrl', variable) };
  return r;
}
