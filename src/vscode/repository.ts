/**
 * The state behind the Migrations view and the CodeLens: projects → environments →
 * EnvironmentStatus. It refreshes (debounced on file changes, immediately on request, on
 * window focus when older than the configured age), owns the connection pools, and fires
 * `onDidChange`; views only read it.
 */
import path from 'node:path';
import type pg from 'pg';
import * as vscode from 'vscode';
import type { ArchiveIndex } from '../core/archive/summary';
import type { PoolRegistry } from '../core/db';
import { redactSecrets } from '../core/db/redact';
import type { PrismaProject, ResolvedEnvironment } from '../core/project/types';
import type { EnvironmentStatus } from '../core/status/types';
import { type CoreApi, loadCore } from './core';
import { affects, readSettings } from './settings';

export interface EnvironmentEntry {
  name: string;
  protected: boolean;
  /** Marked as the rehearsal environment (`"rehearsal": true` in prismaRollback.environments). */
  rehearsal: boolean;
  resolved?: ResolvedEnvironment;
  /** The latest status (kept while a refresh runs, so the tree never blanks). */
  status?: EnvironmentStatus;
  loading: boolean;
  /**
   * The environment's archive (`_prisma_rollback`), read with the status: `index` from core
   * readArchiveIndex, `migrations` the Migrations view's badge and tooltip lines per archived migration.
   */
  archive?: { index: ArchiveIndex; migrations: Map<string, { badge: string; tooltip: string[] }> };
}

export interface ProjectEntry {
  project: PrismaProject;
  /** Empty for unsupported projects. */
  environments: EnvironmentEntry[];
}

/** What the view shows when it has no items (drives `viewsWelcome` through `prismaRollback.state`). */
export type ViewState = 'noWorkspace' | 'loading' | 'noProjects' | 'notConfigured' | 'ready' | 'error';

export const UNTRUSTED_PROBLEM =
  'Restricted Mode: this workspace is not trusted, so no database is contacted and prisma.config.ts is not evaluated. Trust the workspace to see each environment.';

const FILE_DEBOUNCE_MS = 500;

/** Glob patterns whose changes trigger a (debounced) refresh. */
export const WATCH_PATTERNS = [
  '**/migrations/**',
  '**/{.env,.env.*}',
  '**/prisma.config.{ts,mts,cts,js,mjs,cjs}',
  '**/*.prisma',
  '**/package.json',
];

/** Where a connection string set with "Set connection string…" is stored in SecretStorage. */
export function secretKey(projectId: string, environment: string): string {
  return `prismaRollback.connection:${projectId}:${environment}`;
}

function samePath(a: string, b: string): boolean {
  const na = path.resolve(a);
  const nb = path.resolve(b);
  return process.platform === 'win32' || process.platform === 'darwin'
    ? na.toLowerCase() === nb.toLowerCase()
    : na === nb;
}

export class MigrationsRepository implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires whenever projects, environments or statuses change. */
  readonly onDidChange = this.changed.event;

  private entries: ProjectEntry[] = [];
  private viewState: ViewState = 'loading';
  /** The value last sent as the `prismaRollback.state` context key (see setState). */
  private contextState: string | undefined;
  /** Created with the core on the first refresh. */
  private pools: PoolRegistry | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private projectWatchers: vscode.Disposable[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private lastRefresh = 0;
  private disposed = false;
  /** Nothing is read (no core loaded, no database contacted) until the view or a CodeLens needs it. */
  private started = false;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    for (const pattern of WATCH_PATTERNS) this.watch(pattern);
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh('workspace folders changed')),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (this.started) void this.refresh('workspace trusted');
      }),
      vscode.window.onDidChangeWindowState((s) => {
        const age = readSettings().refreshOnFocusAfterMs;
        if (s.focused && age > 0 && this.lastRefresh > 0 && Date.now() - this.lastRefresh >= age) {
          void this.refresh('window focused');
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, 'connectTimeoutSeconds', 'statementTimeoutSeconds')) {
          const old = this.pools;
          this.pools = undefined;
          void old?.closeAll();
          this.scheduleRefresh('connection settings changed');
        } else if (affects(e, 'environments')) {
          this.scheduleRefresh('environments changed');
        } else if (affects(e, 'sortOrder')) {
          this.changed.fire();
        }
      }),
      secrets.onDidChange((e) => {
        if (e.key.startsWith('prismaRollback.connection:')) this.scheduleRefresh('connection string changed');
      }),
    );
  }

  /** A workspace-wide watcher; changes under node_modules are ignored. */
  private watch(glob: string): void {
    const w = vscode.workspace.createFileSystemWatcher(glob);
    const on = (uri: vscode.Uri) => {
      if (uri.fsPath.split(path.sep).includes('node_modules')) return;
      this.scheduleRefresh(`${path.basename(uri.fsPath)} changed`);
    };
    this.disposables.push(w, w.onDidCreate(on), w.onDidChange(on), w.onDidDelete(on));
  }

  private poolsFor(core: CoreApi): PoolRegistry {
    if (this.pools) return this.pools;
    const s = readSettings();
    this.pools = new core.PoolRegistry({
      connectTimeoutMs: s.connectTimeoutMs,
      statementTimeoutMs: s.statementTimeoutMs,
      onQuery: (label, ms) => this.log.info(`query ${ms.toFixed(1)} ms: ${redactSecrets(label)}`),
    });
    return this.pools;
  }

  get state(): ViewState {
    return this.viewState;
  }

  get projects(): readonly ProjectEntry[] {
    return this.entries;
  }

  /** Milliseconds since the epoch of the last finished refresh (0 before the first). */
  get lastRefreshedAt(): number {
    return this.lastRefresh;
  }

  get refreshing(): boolean {
    return this.running !== undefined;
  }

  /** The project and migration name a `migration.sql` belongs to, if it is in a known migrations folder. */
  findMigration(sqlPath: string): { entry: ProjectEntry; name: string } | undefined {
    const migrationDir = path.dirname(sqlPath);
    const migrationsDir = path.dirname(migrationDir);
    const entry = this.entries.find((e) => samePath(e.project.migrationsDir, migrationsDir));
    return entry ? { entry, name: path.basename(migrationDir) } : undefined;
  }

  /** The connection pool of an environment (the one its status is read with), for read-only checks. */
  async pool(project: ProjectEntry, env: EnvironmentEntry): Promise<pg.Pool | undefined> {
    const url = vscode.workspace.isTrusted ? env.resolved?.url : undefined;
    if (!url) return undefined;
    const pools = this.poolsFor(await loadCore());
    return pools.get(`${project.project.id}::${env.name}`, url);
  }

  /** Re-renders the views when another source of per-migration state changes (rollback verifications). */
  relay(event: vscode.Event<void>): void {
    this.disposables.push(event(() => this.changed.fire()));
  }

  /** Starts the first refresh when something first needs the state (the view is shown, a migration.sql is opened). */
  ensureStarted(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    void this.refresh('first use');
  }

  /** Refresh after a quiet period (file changes come in bursts); ignored until the state was first needed. */
  scheduleRefresh(reason: string): void {
    if (this.disposed || !this.started) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.refresh(reason);
    }, FILE_DEBOUNCE_MS);
  }

  /** Refresh now; concurrent requests are coalesced into one more run after the current one. */
  refresh(reason = 'requested'): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.started = true;
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    const run = async () => {
      do {
        this.rerun = false;
        try {
          await this.refreshOnce(reason);
        } catch (e) {
          this.log.error(
            `Refresh failed: ${redactSecrets(e instanceof Error ? (e.stack ?? e.message) : String(e))}`,
          );
          // Keep showing what was there; with nothing to show, say so instead of "loading" forever.
          if (this.entries.length === 0) this.setState('error');
        }
        reason = 'changed while refreshing';
      } while (this.rerun && !this.disposed);
    };
    this.running = run().finally(() => {
      this.running = undefined;
      this.lastRefresh = Date.now();
    });
    return this.running;
  }

  /**
   * Sets the view's state and the `prismaRollback.state` context key its welcome texts read.
   * "No project" in Restricted Mode is its own key value (`noProjectsRestricted`), computed from
   * the extension's own `workspace.isTrusted` and sent with the state: the built-in
   * `isWorkspaceTrusted` key can arrive after ours at start-up, and the welcome text then showed
   * the Restricted Mode text in a trusted workspace for a moment.
   */
  private setState(state: ViewState): void {
    const key = state === 'noProjects' && !vscode.workspace.isTrusted ? 'noProjectsRestricted' : state;
    if (this.viewState === state && this.contextState === key) return;
    this.viewState = state;
    this.contextState = key;
    void vscode.commands.executeCommand('setContext', 'prismaRollback.state', key);
    this.changed.fire();
  }

  private async refreshOnce(reason: string): Promise<void> {
    const started = performance.now();
    const folders = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => f.uri.fsPath);
    if (folders.length === 0) {
      this.entries = [];
      this.setState('noWorkspace');
      this.changed.fire();
      return;
    }
    if (this.entries.length === 0) this.setState('loading');
    const trusted = vscode.workspace.isTrusted;
    this.log.info(`Refreshing (${reason})${trusted ? '' : ' in Restricted Mode'}`);
    // Loaded on first refresh, not at activation.
    const core = await loadCore();
    if (this.disposed) return;
    const {
      discoverProjects,
      resolveEnvironments,
      computeStatus,
      readMigrationsFolder,
      readArchiveIndex,
      archiveTooltipLines,
      ARCHIVE_BADGE,
    } = core;
    const pools = this.poolsFor(core);
    const projects = await discoverProjects(folders, { trusted });
    for (const p of projects) for (const w of p.warnings) this.log.warn(`${p.label}: ${redactSecrets(w)}`);

    const previous = new Map(this.entries.map((e) => [e.project.id, e]));
    const next: ProjectEntry[] = [];
    for (const project of projects) {
      const entry: ProjectEntry = { project, environments: [] };
      next.push(entry);
      if (!project.support.supported) continue;
      const settings = readSettings(vscode.Uri.file(project.root));
      let resolved: ResolvedEnvironment[];
      if (trusted) {
        resolved = await resolveEnvironments(project, settings.environments, {
          secret: (env: string) => Promise.resolve(this.secrets.get(secretKey(project.id, env))),
        });
      } else {
        resolved = (settings.environments ?? [{ name: 'local' }]).map((e) => ({
          name: e.name,
          protected: e.protected === true,
          rehearsal: e.rehearsal === true,
          problem: UNTRUSTED_PROBLEM,
          warnings: [],
        }));
      }
      const old = previous.get(project.id);
      entry.environments = resolved.map((r) => {
        const before = old?.environments.find((e) => e.name === r.name);
        for (const w of r.warnings) this.log.warn(`${project.label} / ${r.name}: ${redactSecrets(w)}`);
        return {
          name: r.name,
          protected: r.protected,
          rehearsal: r.rehearsal === true,
          resolved: r,
          status: before?.status,
          // Kept with the status it was read with until this refresh reads both again (no flicker).
          archive: before?.archive,
          loading: true,
        };
      });
    }
    this.entries = next;
    this.updateProjectWatchers(projects);
    this.setState(
      projects.length === 0 ? 'noProjects' : this.viewState === 'loading' ? 'loading' : this.viewState,
    );
    this.changed.fire();

    // One read of each project's migrations folder per refresh, shared by its environments (a
    // thousand migrations are 2,000 stats); a folder that cannot be read fails each status as before.
    const folderReads = new Map(
      next
        .filter((entry) => entry.environments.length > 0)
        .map((entry) => {
          const read = readMigrationsFolder(entry.project.migrationsDir);
          read.catch(() => {});
          return [entry, read] as const;
        }),
    );
    await Promise.all(
      next.flatMap((entry) =>
        entry.environments.map(async (env) => {
          const r = env.resolved;
          const url = trusted ? r?.url : undefined;
          const key = `${entry.project.id}::${env.name}`;
          const pool = url ? pools.get(key, url) : undefined;
          // The archive catalog is read on the same pool, alongside the status (never throws).
          const archiveP = pool ? readArchiveIndex(pool, url) : undefined;
          // Status and archive are published together: a tree render between the two awaits
          // must not show a fresh status with the previous (or no) archive badge.
          const status = await computeStatus({
            environment: env.name,
            migrationsDir: entry.project.migrationsDir,
            folder: folderReads.get(entry),
            url,
            problem: r?.problem,
            pool,
            log: (line) => this.log.debug(`${entry.project.label} / ${env.name}: ${redactSecrets(line)}`),
          });
          const index = archiveP ? await archiveP : undefined;
          env.status = status;
          if (index) {
            const migrations = new Map<string, { badge: string; tooltip: string[] }>();
            if (index.kind === 'known')
              for (const [name, a] of index.byMigration)
                migrations.set(name, { badge: ARCHIVE_BADGE, tooltip: archiveTooltipLines(a, env.name) });
            else
              this.log.debug(
                `${entry.project.label} / ${env.name}: archive not read: ${redactSecrets(index.reason)}`,
              );
            env.archive = { index, migrations };
          } else env.archive = undefined;
          env.loading = false;
          const d = env.status.diagnosis;
          const detail = 'reason' in d ? `: ${redactSecrets(d.reason)}` : '';
          this.log.info(
            `${entry.project.label} / ${env.name}: ${d.kind}${detail} (${env.status.migrations.length} migrations, ${env.status.durationMs.toFixed(0)} ms)`,
          );
          this.changed.fire();
        }),
      ),
    );
    const all = next.flatMap((e) => e.environments);
    const nothingConfigured =
      trusted && all.length > 0 && all.every((e) => e.status?.diagnosis.kind === 'notConfigured');
    this.setState(projects.length === 0 ? 'noProjects' : nothingConfigured ? 'notConfigured' : 'ready');
    this.changed.fire();
    this.log.info(
      `Refreshed ${projects.length} project(s) in ${(performance.now() - started).toFixed(0)} ms`,
    );
  }

  /** Migrations folders that the workspace-wide `**\/migrations/**` pattern does not cover get their own watcher. */
  private updateProjectWatchers(projects: PrismaProject[]): void {
    for (const d of this.projectWatchers) d.dispose();
    this.projectWatchers = [];
    for (const p of projects) {
      if (path.basename(p.migrationsDir) === 'migrations') continue;
      const w = vscode.workspace.createFileSystemWatcher(
        new vscode.RelativePattern(vscode.Uri.file(p.migrationsDir), '**'),
      );
      const on = () => this.scheduleRefresh(`${p.label} migrations changed`);
      this.projectWatchers.push(w, w.onDidCreate(on), w.onDidChange(on), w.onDidDelete(on));
    }
  }

  /** Closes every pool (awaited by `deactivate`). */
  async close(): Promise<void> {
    const pools = this.pools;
    this.pools = undefined;
    this.dispose();
    await pools?.closeAll();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.debounce) clearTimeout(this.debounce);
    for (const d of [...this.disposables, ...this.projectWatchers]) d.dispose();
    void this.pools?.closeAll();
    this.pools = undefined;
  }
}
