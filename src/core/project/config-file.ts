/**
 * Evaluates a `prisma.config.ts` (or `.js`/`.mjs`…) the way the Prisma CLI does — with
 * `@prisma/config`'s own `loadConfigFromFile` (c12 + jiti) — but in a child Node process:
 * the config may `import 'dotenv/config'` (which reads `.env` from the working directory and
 * writes `process.env`), so it runs with the project root as its cwd and the caller's env,
 * and none of that leaks into the extension host. The connection string comes back over the
 * IPC channel only; it is never printed, logged or put on a command line.
 *
 * A config that calls `env('X')` for an unset `X` makes Prisma throw. Then the config is
 * evaluated again with `X` set to a placeholder, so that the schema and migrations paths are
 * still known and the URL is reported as "X is not set".
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { redactSecrets } from '../db';

export interface EvaluatedConfig {
  /** Absolute schema path (file or folder) from `schema`, when set. */
  schema?: string;
  /** Absolute `migrations.path`, when set. */
  migrationsPath?: string;
  /** `datasource.url` as the config computed it (secret). Absent when not set or unresolved. */
  url?: string;
  /** Env variables whose value equals `url` (names only), e.g. `['DATABASE_URL']`. */
  urlEnvNames: string[];
  /** Variables `env()` asked for that are not set; the URL then is unavailable. */
  missingEnv: string[];
  /** Whether the config defines `datasource.url` at all (also when its variable is missing). */
  hasUrl: boolean;
}

export type ConfigResult =
  | { ok: true; config: EvaluatedConfig }
  /** `transient`: the process failed (timeout, crash), not the config; not cached. */
  | { ok: false; error: string; transient?: boolean };

const PLACEHOLDER = 'prisma-rollback-unset-';

/**
 * The child: plain CommonJS run with `node -e`. argv: config file, module path of
 * `@prisma/config`. It answers with one IPC message and exits.
 */
const CHILD_SOURCE = String.raw`
const [configFile, modulePath] = process.argv.slice(1);
const PLACEHOLDER = ${JSON.stringify(PLACEHOLDER)};
const send = (m) => process.send(m, () => process.exit(0));
(async () => {
  const { loadConfigFromFile } = require(modulePath);
  const baseEnv = { ...process.env };
  const missing = [];
  for (let attempt = 0; attempt < 8; attempt++) {
    process.env = { ...baseEnv };
    for (const name of missing) process.env[name] = 'postgresql://' + PLACEHOLDER + name + '@localhost/unset';
    const r = await loadConfigFromFile({ configFile, configRoot: process.cwd() });
    if (r.error) {
      const e = r.error.error;
      const msg = e && e.message ? String(e.message) : r.error._tag;
      const m = /Cannot resolve environment variable: ([A-Za-z0-9_.-]+?)\.?$/.exec(msg);
      if (m && !missing.includes(m[1])) { missing.push(m[1]); continue; }
      return send({ ok: false, tag: r.error._tag, message: msg });
    }
    const c = r.config;
    const raw = c.datasource && typeof c.datasource.url === 'string' ? c.datasource.url : undefined;
    const unresolved = raw !== undefined && raw.includes(PLACEHOLDER);
    const urlEnvNames = raw && !unresolved
      ? Object.keys(process.env).filter((k) => process.env[k] === raw).sort()
      : [];
    return send({ ok: true, config: {
      // Prisma 6.x loaders return { kind, filePath | folderPath }; 7.x a path.
      schema: typeof c.schema === 'string' ? c.schema : c.schema && (c.schema.filePath || c.schema.folderPath),
      migrationsPath: c.migrations && c.migrations.path,
      url: unresolved ? undefined : raw, urlEnvNames, hasUrl: raw !== undefined,
      missingEnv: unresolved ? missing.filter((n) => raw.includes(PLACEHOLDER + n)) : [],
    } });
  }
  send({ ok: false, tag: 'UnknownError', message: 'too many unset environment variables' });
})().catch((e) => send({ ok: false, tag: 'UnknownError', message: String(e && e.message || e) }));
`;

/**
 * Where `@prisma/config` is: the one the project's own `prisma` depends on — the loader its
 * Prisma CLI uses, which also accepts that version's config shape (Prisma 6's `earlyAccess`
 * is an error for Prisma 7's loader) — else ours (pinned; absent from the packaged extension,
 * which ships no node_modules).
 */
export function configModulePath(projectRoot: string, includeOwn = true): string | undefined {
  const fromProject = () => createRequire(path.join(projectRoot, 'package.json'));
  const candidates: (() => string)[] = [
    () => createRequire(fromProject().resolve('prisma/package.json')).resolve('@prisma/config'),
    () => fromProject().resolve('@prisma/config'),
    ...(includeOwn ? [() => require.resolve('@prisma/config')] : []),
  ];
  for (const c of candidates) {
    try {
      const p = c();
      if (fs.existsSync(p)) return p;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** Strips ANSI colour codes that Prisma's messages carry. */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/**
 * A config of the wrong shape makes `@prisma/config` print the whole expected type, then the
 * offending path as a `└─` tree; keep the tree. Other messages are cut at 400 characters.
 */
export function shortError(message: string): string {
  const tree = message
    .split('\n')
    .filter((l) => /^\s*└─/.test(l))
    .map((l) => l.replace(/^\s*└─\s*/, ''))
    .join(' ');
  if (tree) return `the config does not have the shape Prisma expects: ${tree}`;
  return message.length > 400 ? `${message.slice(0, 400)}…` : message;
}

export interface EvaluateOptions {
  /** Directory the CLI would run in (the project root): `dotenv/config` reads `.env` there. */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Evaluations (but transient failures), keyed by config file; reused while `stamp` is unchanged. */
const cache = new Map<string, { stamp: string; result: ConfigResult }>();

/** Forgets every cached evaluation (e.g. on a manual refresh). */
export function clearConfigCache(): void {
  cache.clear();
}

/**
 * What an evaluation depends on that we can see: the config file and the `.env*` files beside
 * the working directory (size + mtime), and the environment it runs with (hashed in memory).
 * A change in a module the config imports is not seen: `clearConfigCache()` covers that.
 */
async function stampOf(configFile: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const names = await fs.promises.readdir(cwd).catch(() => [] as string[]);
  const files = [configFile, ...names.filter((n) => n.startsWith('.env')).map((n) => path.join(cwd, n))];
  const stats = await Promise.all(
    files.map((f) =>
      fs.promises
        .stat(f)
        .then((st) => `${f}:${st.size}:${st.mtimeMs}`)
        .catch(() => `${f}:-`),
    ),
  );
  const envHash = createHash('sha256')
    .update(JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))
    .digest('hex');
  return `${cwd}|${stats.join('|')}|${envHash}`;
}

/**
 * Evaluates one config file in a child process (a successful result is reused while the
 * config, the `.env` files and the environment are unchanged). Never throws; failures come
 * back as `{ok:false}`.
 */
export async function evaluateConfigFile(
  configFile: string,
  opts: EvaluateOptions & { cache?: boolean },
): Promise<ConfigResult> {
  const env = opts.env ?? process.env;
  const useCache = opts.cache !== false;
  const stamp = useCache ? await stampOf(configFile, opts.cwd, env) : '';
  const hit = useCache ? cache.get(configFile) : undefined;
  if (hit && hit.stamp === stamp) return structuredClone(hit.result);
  const result = await evaluateUncached(configFile, { ...opts, env });
  if (useCache && (result.ok || !result.transient))
    cache.set(configFile, { stamp, result: structuredClone(result) });
  return result;
}

async function evaluateUncached(configFile: string, opts: EvaluateOptions): Promise<ConfigResult> {
  const modulePath = configModulePath(opts.cwd);
  if (!modulePath) {
    return {
      ok: false,
      transient: true,
      error:
        'Prisma is not installed in this project (no @prisma/config to load the config with): run `npm install`.',
    };
  }
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise<ConfigResult>((resolve) => {
    let settled = false;
    const done = (r: ConfigResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill();
      resolve(r);
    };
    // ELECTRON_RUN_AS_NODE makes VS Code's Electron binary behave as plain Node.
    const child = spawn(process.execPath, ['-e', CHILD_SOURCE, configFile, modulePath], {
      cwd: opts.cwd,
      env: { ...(opts.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      windowsHide: true,
    });
    const timer = setTimeout(
      () =>
        done({
          ok: false,
          transient: true,
          error: `evaluating it took longer than ${Math.round(timeoutMs / 1000)} s`,
        }),
      timeoutMs,
    );
    child.on('message', (m: unknown) => {
      const msg = m as { ok: boolean; message?: string; config?: EvaluatedConfig };
      if (msg.ok && msg.config) done({ ok: true, config: msg.config });
      else done({ ok: false, error: shortError(redactSecrets(stripAnsi(msg.message ?? 'unknown error'))) });
    });
    child.on('error', (e) =>
      done({ ok: false, transient: true, error: `could not start Node: ${e.message}` }),
    );
    child.on('close', (code, signal) =>
      done({
        ok: false,
        transient: true,
        error: `the evaluating process exited (${signal ?? `code ${code}`}) without an answer`,
      }),
    );
  });
}
