/**
 * Finds every Prisma project in the workspace folders and works out, per project, what
 * Prisma itself would use: config file, schema, migrations folder, provider, datasource URL
 * expression, `.env` files and Prisma major version — and whether Prisma Rollback supports it.
 * One bad project never hides the others: it is listed with `support.code: 'invalid'`.
 */
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { redactSecrets } from '../db';
import { lockfileProvider } from '../migrations';
import { type EvaluatedConfig, evaluateConfigFile } from './config-file';
import { projectEnvFiles, rememberConfigUrl } from './env';
import { type LoadedSchema, loadDefaultSchema, loadInternals, loadSchemaAt, readSchemaFacts } from './schema';
import type { PrismaProject, ProjectSupport, UrlExpression } from './types';
import { detectPrismaVersion } from './version';

export interface DiscoverOptions {
  /** Untrusted: files are read, nothing is evaluated (no prisma.config.ts). */
  trusted: boolean;
  /** Environment the config files see (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** How deep below each workspace folder to look (default 6). */
  maxDepth?: number;
}

/** Folders never searched: dependencies, VCS data, build output, migration folders. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', 'migrations']);
const CONFIG_EXTENSIONS = ['.js', '.ts', '.mjs', '.cjs', '.mts', '.cts'];
/** The files `@prisma/config`'s `findPrismaConfigFile` looks for, in its order. */
export const CONFIG_FILE_CANDIDATES = [
  ...['prisma7.config', path.join('.config', 'prisma7')].flatMap((b) => CONFIG_EXTENSIONS.map((e) => b + e)),
  ...['prisma.config', path.join('.config', 'prisma'), path.join('.config', 'prisma.config')].flatMap((b) => [
    ...CONFIG_EXTENSIONS.map((e) => b + e),
    ...CONFIG_EXTENSIONS.map((e) => path.join(b, `index${e}`)),
  ]),
];

const PROVIDER_NAMES: Record<string, string> = {
  mysql: 'MySQL',
  sqlite: 'SQLite',
  sqlserver: 'SQL Server',
  mongodb: 'MongoDB',
  cockroachdb: 'CockroachDB',
};

async function isFile(p: string): Promise<boolean> {
  return fs
    .stat(p)
    .then((s) => s.isFile())
    .catch(() => false);
}

/** The config file Prisma would pick in `dir`, if any. */
export async function findConfigFile(dir: string): Promise<string | undefined> {
  for (const c of CONFIG_FILE_CANDIDATES) {
    const p = path.join(dir, c);
    if (await isFile(p)) return p;
  }
  return undefined;
}

interface Candidate {
  dir: string;
  depth: number;
  folder: string;
  /** The directory holds something named like a Prisma config file (or a `.config` folder). */
  configHint: boolean;
}

/** Breadth-first walk of one workspace folder; directories that may hold a project root. */
async function walk(folder: string, maxDepth: number): Promise<Candidate[]> {
  const out: Candidate[] = [];
  let level = [path.resolve(folder)];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    await Promise.all(
      level.map(async (dir) => {
        let entries: Dirent[];
        try {
          entries = await fs.readdir(dir, { withFileTypes: true });
        } catch {
          return;
        }
        const names = new Set(entries.map((e) => e.name));
        const configHint =
          names.has('.config') || entries.some((e) => /^prisma7?\.config(\.|$)/.test(e.name));
        if (configHint || names.has('schema.prisma') || names.has('prisma') || names.has('package.json')) {
          out.push({ dir, depth, folder, configHint });
        }
        for (const e of entries) {
          if (e.isDirectory() && !e.name.startsWith('.') && !SKIP_DIRS.has(e.name))
            next.push(path.join(dir, e.name));
        }
      }),
    );
    level = next;
  }
  return out;
}

/**
 * Reads `schema` and `migrations.path` from a config file's text when they are plain string
 * literals (untrusted workspaces: the file is not evaluated).
 */
export function staticConfigPaths(text: string): { schema?: string; migrationsPath?: string } {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const schema = /\bschema\s*:\s*(['"`])([^'"`$\n]+)\1/.exec(code)?.[2];
  const migrationsPath = /\bmigrations\s*:\s*\{[^}]*?\bpath\s*:\s*(['"`])([^'"`$\n]+)\1/.exec(code)?.[2];
  return { schema, migrationsPath };
}

function posix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Prisma 8 writes migrations as `migration.json` / `ops.json`; looks at the newest folders. */
async function hasPrisma8Migrations(migrationsDir: string, dirs: string[]): Promise<string | undefined> {
  const newest = [...dirs].sort((a, b) => a.localeCompare(b)).slice(-5);
  for (const d of newest) {
    for (const f of ['migration.json', 'ops.json']) {
      if (await isFile(path.join(migrationsDir, d, f))) return `${d}/${f}`;
    }
  }
  return undefined;
}

/** Picks the variable a config URL came from: the only one, else one named like `*URL*`. */
function pickEnvName(names: string[]): string | undefined {
  if (names.length <= 1) return names[0];
  return names.find((n) => n === 'DATABASE_URL') ?? names.find((n) => /URL/i.test(n)) ?? names[0];
}

/** Analyses one directory; undefined when it is not a Prisma project root. */
async function analyze(c: Candidate, opts: DiscoverOptions): Promise<PrismaProject | undefined> {
  const root = c.dir;
  const warnings: string[] = [];
  const configFile = c.configHint ? await findConfigFile(root) : undefined;
  let pkgSchema: string | undefined;
  const pkgText = await fs.readFile(path.join(root, 'package.json'), 'utf8').catch(() => undefined);
  if (pkgText !== undefined) {
    try {
      const s = (JSON.parse(pkgText) as { prisma?: { schema?: unknown } }).prisma?.schema;
      if (typeof s === 'string') pkgSchema = s;
    } catch {
      // an unreadable package.json is no project marker
    }
  }

  if (!configFile && !pkgSchema) {
    // Cheap check before loading Prisma's parser: any of the default schema locations?
    const defaults = ['schema.prisma', path.join('prisma', 'schema.prisma'), path.join('prisma', 'schema')];
    const found = await Promise.all(
      defaults.map((d) =>
        fs.stat(path.join(root, d)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!found.some(Boolean)) return undefined;
  }

  let config: EvaluatedConfig | undefined;
  let configError: string | undefined;
  let explicitSchema: string | undefined;
  let explicitMigrations: string | undefined;
  let versionPromise: ReturnType<typeof detectPrismaVersion> | undefined;
  const getVersion = () => {
    versionPromise ??= detectPrismaVersion(root);
    return versionPromise;
  };
  if (configFile) {
    const relConfig = posix(path.relative(root, configFile));
    const readStatically = async (why: string) => {
      const text = await fs.readFile(configFile, 'utf8').catch(() => '');
      const s = staticConfigPaths(text);
      const base = path.dirname(configFile);
      explicitSchema = s.schema ? path.resolve(base, s.schema) : undefined;
      explicitMigrations = s.migrationsPath ? path.resolve(base, s.migrationsPath) : undefined;
      warnings.push(
        `${why}: ${relConfig} was read as text, not evaluated; its schema and migrations paths are its literal values or Prisma's defaults.`,
      );
    };
    if (opts.trusted) {
      const r = await evaluateConfigFile(configFile, { cwd: root, env: opts.env });
      if (r.ok) {
        config = r.config;
        explicitSchema = config.schema;
        explicitMigrations = config.migrationsPath;
      } else if (((await getVersion())?.major ?? 7) <= 6) {
        // Prisma ≤ 6 keeps the URL in the schema: the config only moves paths.
        await readStatically(`${relConfig} could not be loaded (${r.error})`);
      } else configError = `${relConfig} could not be loaded: ${r.error}`;
    } else {
      await readStatically('The workspace is not trusted');
    }
  } else if (pkgSchema) {
    explicitSchema = path.resolve(root, pkgSchema);
  }

  let schema: LoadedSchema | undefined;
  let schemaError: string | undefined;
  try {
    schema = explicitSchema ? await loadSchemaAt(explicitSchema, root) : await loadDefaultSchema(root);
  } catch (e) {
    schemaError = redactSecrets((e as Error).message);
  }
  if (!schema && !configFile && !pkgSchema) return undefined;
  const version = await getVersion();

  const facts = schema ? await readSchemaFacts(schema, root) : undefined;
  const { inferDirectoryConfig } = await loadInternals();
  const migrationsDir = path.resolve(
    inferDirectoryConfig(
      schema ? ({ schemaRootDir: schema.schemaRootDir } as Parameters<typeof inferDirectoryConfig>[0]) : null,
      { migrations: { path: explicitMigrations } },
      root,
    ).migrationsDirPath,
  );

  const lockContent = await fs
    .readFile(path.join(migrationsDir, 'migration_lock.toml'), 'utf8')
    .catch(() => null);
  const lockProvider = lockfileProvider(lockContent);
  let migrationDirs: string[] | undefined;
  try {
    migrationDirs = (await fs.readdir(migrationsDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    migrationDirs = undefined;
  }
  const provider = lockProvider ?? facts?.provider;
  // Prisma refuses to migrate while they disagree (P3019, prisma-engines `migration_lock.rs`):
  // that, not the provider, is the problem to report.
  const providerMismatch =
    lockProvider && facts?.provider && lockProvider !== facts.provider && schema
      ? `${posix(path.relative(root, path.join(migrationsDir, 'migration_lock.toml')))} says provider "${lockProvider}" but the datasource in ${posix(path.relative(root, schema.schemaPath)) || schema.schemaPath} says "${facts.provider}": Prisma refuses to migrate until they match (P3019). Fix the one that is wrong; if the project really changed provider, its migrations must be recreated for "${facts.provider}".`
      : undefined;

  // The URL expression migrations use.
  let urlExpression: UrlExpression | undefined;
  let urlUnavailable: string | undefined;
  const relConfig = configFile ? posix(path.relative(root, configFile)) : undefined;
  if (config?.hasUrl) {
    urlExpression = { kind: 'config', envName: pickEnvName(config.urlEnvNames) ?? config.missingEnv[0] };
  } else if (facts?.directUrl || facts?.url) {
    urlExpression = facts.directUrl ?? facts.url;
  } else if (configFile && !opts.trusted) {
    urlUnavailable = `The workspace is not trusted: ${relConfig} is not evaluated, so its datasource URL is unknown. Trust the workspace to connect.`;
  } else if (configError) {
    urlUnavailable = configError;
  } else if (config) {
    urlUnavailable = `${relConfig} sets no datasource.url: add \`datasource: { url: env('DATABASE_URL') }\` to it.`;
  } else if (version?.major === 7) {
    urlUnavailable =
      'Prisma 7 reads the connection URL from prisma.config.ts (datasource.url); this project has no prisma.config.ts.';
  } else if (facts && !facts.error) {
    urlUnavailable = 'The datasource block has no url.';
  }

  let support: ProjectSupport = { supported: true };
  const prisma8File = migrationDirs ? await hasPrisma8Migrations(migrationsDir, migrationDirs) : undefined;
  const relMigrations = posix(path.relative(root, migrationsDir)) || '.';
  if ((version?.major ?? 0) >= 8 || prisma8File) {
    support = {
      supported: false,
      code: 'prisma8',
      reason: prisma8File
        ? `Prisma 8 migrations are not supported yet: ${relMigrations}/${prisma8File} uses the new migration format (migration.json/ops.json). Prisma Rollback works with Prisma 5–7 migration.sql folders.`
        : `Prisma ${version!.major} is not supported yet (${version!.source}): its new migration format (migration.json/ops.json) differs. Prisma Rollback works with Prisma 5–7.`,
    };
  } else if (configError) {
    support = { supported: false, code: 'invalid', reason: configError };
  } else if (!schema) {
    support = {
      supported: false,
      code: 'invalid',
      reason:
        schemaError ??
        `No Prisma schema found: ${relConfig ?? 'the project'} names none and neither schema.prisma, prisma/schema.prisma nor prisma/schema/ exists.`,
    };
  } else if (providerMismatch) {
    support = { supported: false, code: 'providerMismatch', reason: providerMismatch };
  } else if (provider && provider !== 'postgresql') {
    const name = PROVIDER_NAMES[provider] ?? provider;
    support = {
      supported: false,
      code: 'provider',
      reason: `${name} projects are not supported yet: Prisma Rollback works with PostgreSQL.`,
    };
  } else if (facts?.error) {
    support = { supported: false, code: 'invalid', reason: `The Prisma schema is invalid:\n${facts.error}` };
  } else if (facts?.urlInSchemaMessage && (version?.major ?? 0) >= 7) {
    support = {
      supported: false,
      code: 'invalid',
      reason: `Prisma ${version!.major} rejects this schema: ${facts.urlInSchemaMessage}`,
    };
  } else if (!migrationDirs) {
    support = {
      supported: false,
      code: 'noMigrations',
      reason: `No migrations folder yet (${relMigrations}): create the first migration with \`prisma migrate dev\`.`,
    };
  }

  const project: PrismaProject = {
    id: root,
    root,
    label: posix(path.relative(c.folder, root)) || path.basename(root),
    configFile,
    schemaPath: schema?.schemaPath ?? explicitSchema,
    migrationsDir,
    provider,
    prismaMajor: version?.major,
    prismaVersionSource: version?.source,
    urlExpression,
    envFiles: await projectEnvFiles(root, schema?.schemaPath ?? explicitSchema, configFile),
    support,
    workspaceFolder: c.folder,
    urlUnavailable,
    warnings,
  };
  if (config?.url) rememberConfigUrl(project, config.url);
  return project;
}

function inside(child: string, parent: string): boolean {
  const r = path.relative(parent, child);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * Every Prisma project in the workspace folders, shallowest first. A directory whose schema
 * or migrations another (shallower) project already owns — `prisma/` under a root that uses
 * `prisma/schema.prisma` — is not listed again.
 */
export async function discoverProjects(folders: string[], opts: DiscoverOptions): Promise<PrismaProject[]> {
  const maxDepth = opts.maxDepth ?? 6;
  const candidates = (await Promise.all(folders.map((f) => walk(f, maxDepth)))).flat();
  candidates.sort((a, b) => a.depth - b.depth || a.dir.localeCompare(b.dir));
  const seen = new Set<string>();
  const unique = candidates.filter((c) => !seen.has(c.dir) && seen.add(c.dir));
  const analysed = await mapLimit(unique, 4, async (c) => {
    try {
      return await analyze(c, opts);
    } catch (e) {
      const reason = `Could not read this project: ${redactSecrets((e as Error).message)}`;
      const p: PrismaProject = {
        id: c.dir,
        root: c.dir,
        label: posix(path.relative(c.folder, c.dir)) || path.basename(c.dir),
        migrationsDir: path.join(c.dir, 'prisma', 'migrations'),
        envFiles: [],
        support: { supported: false, code: 'invalid', reason },
        workspaceFolder: c.folder,
        warnings: [],
      };
      return p;
    }
  });
  const kept: PrismaProject[] = [];
  for (const p of analysed) {
    if (!p) continue;
    const owned = kept.some(
      (k) =>
        (p.schemaPath && k.schemaPath && inside(p.schemaPath, k.schemaPath)) ||
        inside(p.root, k.migrationsDir) ||
        (p.schemaPath && k.schemaPath && path.resolve(p.migrationsDir) === path.resolve(k.migrationsDir)),
    );
    if (!owned) kept.push(p);
  }
  return kept;
}
