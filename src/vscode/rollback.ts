/**
 * The rollback in the editor: "Create Rollback…" (down.sql beside migration.sql, or a new
 * `<timestamp>_rollback_<name>` migration), "Verify Rollback" (embedded replay, cancellable),
 * "Check Rollback Impact…" (live read-only pre-check against an environment), the CodeLens on
 * `migration.sql` and `down.sql`, and Problems entries on `down.sql` (the generator's warnings,
 * the verifier's differences) and on `migration.sql` (parse errors).
 *
 * The generator and the verifier live in src/core (loaded lazily through core-api); wording is in
 * src/core/status/present-rollback.ts. Handlers are entries of the command table in commands.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LocalMigration } from '../core/migrations';
import type { RollbackResult } from '../core/sql';
import { escapeMarkdown } from '../core/status/present';
import {
  conflictQuestion,
  downSqlProblems,
  generationMessage,
  impactReport,
  type ProblemEntry,
  prismaDiffDifference,
  resolveShadowDatabaseUrl,
  rollbackFileDescription,
  rollbackMigrationName,
  verificationDescription,
  verificationLensTitle,
  verificationMessage,
  verificationProblems,
  verificationTooltipLines,
} from '../core/status/present-rollback';
import type { VerifyResult } from '../core/verify';
import { isRollbackMigration, rollbackMigrationSuffix } from '../core/verify/rollback-file';
import { type CoreApi, coreLoadMs, loadCore } from './core';
import { redactSecrets } from './redact';
import type { EnvironmentEntry, MigrationsRepository, ProjectEntry } from './repository';
import { readSettings } from './settings';
import { isMigrationNode } from './tree';
import { VerificationStore } from './verification';

/** The `prismaRollback.generator` setting for a file (an unknown value falls back to `statements`). */
function generatorStrategy(uri: vscode.Uri, core: { isGeneratorStrategy(v: unknown): boolean }) {
  const v = vscode.workspace.getConfiguration('prismaRollback', uri).get<string>('generator', 'statements');
  return (core.isGeneratorStrategy(v) ? v : 'statements') as 'statements' | 'prismaDiff';
}

/** A migration's down.sql as read from disk: its flagged steps and whether migration.sql changed since. */
export interface RollbackFileInfo {
  warnings: number;
  irreversible: number;
  /** Generated from an earlier migration.sql (header checksum differs). */
  stale: boolean;
}

/** Stable command ids (the manifest, the CodeLens and the e2e journeys use them). */
export const ROLLBACK_COMMAND_IDS = {
  create: 'prismaRollback.createRollback',
  createAsMigration: 'prismaRollback.createRollbackAsMigration',
  open: 'prismaRollback.openRollback',
  verify: 'prismaRollback.verifyRollback',
  impact: 'prismaRollback.checkImpact',
} as const;

/** migration.sql and down.sql directly inside a migration folder of a `migrations` folder. */
export const ROLLBACK_SELECTOR: vscode.DocumentFilter = {
  scheme: 'file',
  pattern: '**/migrations/*/{migration,down}.sql',
};

/** Where the shadow server comes from when the setting is empty (the CLI reads the same variable). */
export const SHADOW_URL_ENV = 'PRISMA_ROLLBACK_SHADOW_DATABASE_URL';

/** A message meant for the user as is (the command table's error boundary shows it without prefix). */
export class RollbackUserError extends Error {}

/** One migration, resolved from a tree item, a file or a quick pick. */
export interface RollbackTarget {
  migrationsDir: string;
  name: string;
  project?: ProjectEntry;
  /** The environment of the tree item the command came from. */
  env?: EnvironmentEntry;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

async function readText(file: string): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  if (open) return open.getText();
  return fs.promises.readFile(file, 'utf8').catch(() => undefined);
}

function toDiagnostic(p: ProblemEntry): vscode.Diagnostic {
  const severity =
    p.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : p.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : vscode.DiagnosticSeverity.Information;
  const d = new vscode.Diagnostic(
    new vscode.Range(p.line, p.startColumn, p.line, Math.max(p.endColumn, p.startColumn + 1)),
    p.message,
    severity,
  );
  d.source = 'Prisma Rollback';
  d.code = p.code;
  return d;
}

export class RollbackEditor implements vscode.Disposable, vscode.CodeLensProvider {
  readonly store: VerificationStore;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('prisma-rollback');
  /** Parse errors of migration.sql files, by path (cleared when the file changes). */
  private readonly parseErrors = new Map<string, vscode.Diagnostic>();
  private readonly lensChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensChanged.event;
  /** Cache keys already looked up in workspaceState (one lookup per key). */
  private readonly peeked = new Set<string>();
  /** Migrations whose remembered result was looked for since their files last changed. */
  private readonly peekedTargets = new Set<string>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly repo: MigrationsRepository,
    private readonly log: vscode.LogOutputChannel,
    memento?: vscode.Memento,
  ) {
    this.store = new VerificationStore(memento);
    const watcher = vscode.workspace.createFileSystemWatcher('**/migrations/*/{migration,down}.sql');
    const isDown = (d: vscode.TextDocument) =>
      d.uri.scheme === 'file' && path.basename(d.uri.fsPath) === 'down.sql';
    this.subscriptions = [
      this.store,
      this.diagnostics,
      this.lensChanged,
      repo.onDidChange(() => this.lensChanged.fire()),
      watcher,
      watcher.onDidChange((u) => this.filesChanged(u.fsPath)),
      watcher.onDidCreate((u) => this.filesChanged(u.fsPath)),
      watcher.onDidDelete((u) => this.filesChanged(u.fsPath)),
      this.store.onDidChange(() => this.scheduleDiagnostics()),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (isDown(d)) void this.refreshDownDiagnostics(d.uri.fsPath);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const file = e.document.uri.fsPath;
        if (isDown(e.document)) void this.refreshDownDiagnostics(file);
        else if (this.parseErrors.delete(file)) this.diagnostics.delete(e.document.uri);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('prismaRollback.codeLens.enabled')) this.lensChanged.fire();
      }),
    ];
    for (const d of vscode.workspace.textDocuments)
      if (isDown(d)) void this.refreshDownDiagnostics(d.uri.fsPath);
  }

  dispose(): void {
    if (this.diagnosticsTimer) clearTimeout(this.diagnosticsTimer);
    for (const s of this.subscriptions) s.dispose();
  }

  private diagnosticsTimer: NodeJS.Timeout | undefined;

  /** Problems of open and known down.sql files follow the store (coalesced). */
  private scheduleDiagnostics(): void {
    if (this.diagnosticsTimer) clearTimeout(this.diagnosticsTimer);
    this.diagnosticsTimer = setTimeout(() => {
      this.diagnosticsTimer = undefined;
      void this.refreshAllDiagnostics();
    }, 50);
  }

  private filesChanged(file: string): void {
    this.peekedTargets.clear();
    void this.revalidate(file).catch((e) =>
      this.log.debug(`Revalidating verifications failed: ${e instanceof Error ? e.message : e}`),
    );
  }

  /**
   * After a migration.sql or down.sql changed, forgets the verifications it made out of date: those
   * whose cache key (checksums of migrations 1..N and of the rollback) no longer matches the files.
   * Comparing keys, not reacting to the event alone, keeps a result that a late event of the
   * rollback's own writing would otherwise wipe.
   */
  private async revalidate(file: string, keepUnkeyed = false): Promise<void> {
    const dir = path.dirname(file);
    const migrationsDir = path.dirname(dir);
    const name = path.basename(dir);
    const isDownSql = path.basename(file) === 'down.sql';
    const affected = this.store.verifiedIn(migrationsDir).filter((n) => (isDownSql ? n === name : n >= name));
    if (!affected.length) return;
    const core = await loadCore();
    const folder = await core.readMigrationsFolder(migrationsDir);
    const migrations = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    for (const n of affected) {
      const state = this.store.verification(migrationsDir, n);
      if (!state || state.kind === 'running') continue;
      const index = folder.migrations.findIndex((m) => m.name === n);
      const rollback = index < 0 ? undefined : await core.findRollbackScript(folder.migrations, index);
      const key = rollback ? core.verifyCacheKey(migrations, index, rollback.sql) : undefined;
      const stale = state.kind === 'couldNotVerify' ? !keepUnkeyed : state.key !== key;
      if (stale) this.store.dropVerification(migrationsDir, n);
    }
  }

  /** Re-renders the views once (the core became available to read staleness with). */
  private repoChanged(): void {
    this.store.touch();
  }

  /** The loaded core (set once something loaded it; the tree reads staleness with it). */
  private core: CoreApi | undefined;
  private readonly fileCache = new Map<string, { stamp: string; info: RollbackFileInfo | undefined }>();

  /**
   * What a migration's down.sql on disk says, for the tree: its warnings and whether migration.sql
   * changed since it was generated. Synchronous and cached by the files' sizes and times, so the
   * tree's own refresh (the repository watches these files) shows it without extra events.
   */
  private fileInfo(migrationsDir: string, name: string): RollbackFileInfo | undefined {
    const dir = path.join(migrationsDir, name);
    const down = path.join(dir, 'down.sql');
    const sqlPath = path.join(dir, 'migration.sql');
    const stat = (f: string) => {
      try {
        const s = fs.statSync(f);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return undefined;
      }
    };
    const downStamp = stat(down);
    if (!downStamp) return undefined;
    if (!this.core && coreLoadMs() > 0)
      void loadCore().then((c) => {
        if (this.core) return;
        this.core = c;
        this.fileCache.clear();
        this.repoChanged();
      });
    const stamp = `${downStamp}|${stat(sqlPath)}|${this.core ? 'core' : ''}`;
    const hit = this.fileCache.get(down);
    if (hit?.stamp === stamp) return hit.info;
    let info: RollbackFileInfo | undefined;
    try {
      const text = fs.readFileSync(down, 'utf8');
      const problems = downSqlProblems(text);
      let stale = false;
      if (this.core) {
        const sql = fs.readFileSync(sqlPath, 'utf8');
        stale = this.core.isDownSqlStale(text, sql) === true;
      }
      info = {
        warnings: problems.filter((x) => x.code !== 'irreversible').length,
        irreversible: problems.filter((x) => x.code === 'irreversible').length,
        stale,
      };
    } catch {
      info = undefined;
    }
    this.fileCache.set(down, { stamp, info });
    return info;
  }

  // -------------------------------------------------------------------------------------------
  // Targets

  /** The migration a tree item, a file URI (migration.sql / down.sql) or a quick pick names. */
  async target(arg: unknown, placeHolder: string): Promise<RollbackTarget | undefined> {
    if (isMigrationNode(arg)) {
      if (!arg.migration.local)
        throw new RollbackUserError(
          `${arg.migration.name} is not in the local migrations folder (it exists only in the database): there is no migration.sql to work from.`,
        );
      return {
        migrationsDir: arg.project.project.migrationsDir,
        name: arg.migration.name,
        project: arg.project,
        env: arg.env,
      };
    }
    const uri =
      arg instanceof vscode.Uri
        ? arg
        : typeof arg === 'string' && path.isAbsolute(arg)
          ? vscode.Uri.file(arg)
          : undefined;
    if (uri) return this.fromFile(uri.fsPath);
    return this.pick(placeHolder);
  }

  private fromFile(file: string): RollbackTarget {
    const base = path.basename(file);
    if (base !== 'migration.sql' && base !== 'down.sql')
      throw new RollbackUserError(
        `${base} is not a migration: run this on a migration.sql or down.sql in a Prisma migrations folder.`,
      );
    const dir = path.dirname(file);
    const found = this.repo.findMigration(path.join(dir, 'migration.sql'));
    return {
      migrationsDir: found?.entry.project.migrationsDir ?? path.dirname(dir),
      name: path.basename(dir),
      project: found?.entry,
    };
  }

  /** Quick pick of every local migration, most recent first; the active editor's migration on top. */
  private async pick(placeHolder: string): Promise<RollbackTarget | undefined> {
    if (this.repo.projects.length === 0) await this.repo.refresh('migration quick pick');
    const core = await loadCore();
    const projects = this.repo.projects.filter((p) => p.project.support.supported);
    if (projects.length === 0)
      throw new RollbackUserError(
        'No Prisma project with a PostgreSQL migrations folder was found in this workspace.',
      );
    const active = vscode.window.activeTextEditor?.document.uri;
    const activeDir =
      active?.scheme === 'file' && /^(migration|down)\.sql$/.test(path.basename(active.fsPath))
        ? path.dirname(active.fsPath)
        : undefined;
    type Item = vscode.QuickPickItem & { target: RollbackTarget };
    const items: Item[] = [];
    for (const p of projects) {
      const folder = await core.readMigrationsFolder(p.project.migrationsDir);
      for (const m of [...folder.migrations].reverse()) {
        items.push({
          label: m.name,
          description: [
            m.dir === activeDir ? 'current file' : '',
            m.downSqlPath ? 'has down.sql' : '',
            projects.length > 1 ? p.project.label : '',
          ]
            .filter(Boolean)
            .join(' · '),
          target: { migrationsDir: p.project.migrationsDir, name: m.name, project: p },
        });
      }
    }
    const current = items.findIndex((i) => i.description?.startsWith('current file'));
    if (current > 0) items.unshift(...items.splice(current, 1));
    if (items.length === 0) throw new RollbackUserError('The migrations folder has no migrations yet.');
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true });
    return picked?.target;
  }

  private async history(core: CoreApi, t: RollbackTarget) {
    const folder = await core.readMigrationsFolder(t.migrationsDir);
    if (!folder.exists)
      throw new RollbackUserError(`The migrations folder ${t.migrationsDir} does not exist.`);
    const index = folder.migrations.findIndex((m) => m.name === t.name);
    if (index < 0) throw new RollbackUserError(`No migration folder "${t.name}" in ${t.migrationsDir}.`);
    const unreadable = folder.migrations.slice(0, index + 1).find((m) => m.sql === undefined);
    if (unreadable) throw new RollbackUserError(`Cannot read ${unreadable.sqlPath}: ${unreadable.error}`);
    return { migrations: folder.migrations, index, local: folder.migrations[index] };
  }

  // -------------------------------------------------------------------------------------------
  // Create Rollback…

  async create(arg: unknown, asMigration = false): Promise<void> {
    const t = await this.target(
      arg,
      asMigration
        ? 'Migration to roll back with a new migration'
        : 'Migration to create a rollback (down.sql) for',
    );
    if (!t) return;
    const core = await loadCore();
    const { migrations, index, local } = await this.history(core, t);
    if (isRollbackMigration(t.name) && !asMigration)
      this.log.warn(`${t.name} is itself a rollback migration; generating its inverse anyway.`);
    const sqlUri = vscode.Uri.file(local.sqlPath);
    const source = migrations.slice(0, index + 1).map((m) => ({ name: m.name, sql: m.sql ?? '' }));

    let result: RollbackResult;
    try {
      result = await withDelayedProgress(
        `Generating the rollback of ${t.name} (replaying ${index} earlier migrations)…`,
        core.generateRollbackWith(generatorStrategy(sqlUri, core), source, index),
      );
    } catch (e) {
      if (e instanceof core.SqlParseError) {
        const line = Math.max(0, e.line - 1);
        const d = new vscode.Diagnostic(
          new vscode.Range(line, Math.max(0, e.column - 1), line, Math.max(0, e.column - 1) + 1),
          `PostgreSQL cannot parse this migration: ${e.reason}`,
          vscode.DiagnosticSeverity.Error,
        );
        d.source = 'Prisma Rollback';
        d.code = 'parse';
        this.parseErrors.set(local.sqlPath, d);
        this.diagnostics.set(sqlUri, [d]);
        const where = `${vscode.workspace.asRelativePath(local.sqlPath)}:${e.line}:${e.column}`;
        this.log.error(`Cannot generate the rollback of ${t.name}: ${where}: ${e.reason}`);
        void vscode.window
          .showErrorMessage(
            `Cannot generate the rollback of ${t.name}: ${where}: ${e.reason}. Nothing was written.`,
            'Go to Error',
          )
          .then((c) => {
            if (c)
              void vscode.window.showTextDocument(sqlUri, {
                selection: new vscode.Range(line, Math.max(0, e.column - 1), line, Math.max(0, e.column - 1)),
              });
          });
        return;
      }
      throw e;
    }
    if (this.parseErrors.delete(local.sqlPath)) this.diagnostics.delete(sqlUri);
    for (const p of result.historyProblems) this.log.warn(`${t.name}: ${p}`);

    if (asMigration) return this.writeAsMigration(t, local, result);

    let file = path.join(local.dir, 'down.sql');
    const existing = await fs.promises.readFile(file, 'utf8').catch(() => undefined);
    if (existing !== undefined) {
      const conflict = core.downSqlConflict(existing, result.sql, local.sql ?? '');
      if (!conflict) {
        void vscode.window.showInformationMessage(`${t.name}/down.sql is already up to date.`);
        await this.openDiff(local.sqlPath, file, t.name);
        return;
      }
      const overwrite = 'Overwrite';
      const beside = 'Write down.new.sql';
      const openExisting = 'Open Existing';
      const choice = await vscode.window.showWarningMessage(
        conflictQuestion(t.name, conflict),
        {
          modal: true,
          detail:
            'Overwrite replaces it with the newly generated rollback. Write down.new.sql keeps it and puts the new rollback beside it to compare.',
        },
        overwrite,
        beside,
        openExisting,
      );
      if (!choice) return;
      if (choice === openExisting) {
        await this.openDiff(local.sqlPath, file, t.name);
        return;
      }
      if (choice === beside) file = path.join(local.dir, 'down.new.sql');
      this.log.info(`${t.name}: ${choice === overwrite ? 'overwriting' : 'keeping'} down.sql (${conflict})`);
    }
    await fs.promises.writeFile(file, result.sql, 'utf8');
    this.log.info(
      `Wrote ${file}: ${result.summary.statements} statements, ${result.summary.flagged} flagged`,
    );
    await this.openDiff(local.sqlPath, file, t.name);
    await this.refreshDownDiagnostics(file);
    this.announceGeneration(t, path.basename(file), result);
  }

  private announceGeneration(t: RollbackTarget, fileName: string, result: RollbackResult): void {
    const s = result.summary;
    const text = generationMessage(t.name, `${t.name}/${fileName}`, s);
    const verify = 'Verify Rollback';
    const problems = 'Show Problems';
    const buttons = fileName === 'down.sql' ? [verify] : [];
    if (s.flagged > 0 || s.irreversible > 0) buttons.push(problems);
    const show =
      s.irreversible > 0 || s.flagged > 0
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
    void show(text, ...buttons).then((c) => {
      if (c === verify)
        void vscode.commands.executeCommand(
          ROLLBACK_COMMAND_IDS.verify,
          vscode.Uri.file(path.join(t.migrationsDir, t.name, 'migration.sql')),
        );
      if (c === problems) void vscode.commands.executeCommand('workbench.actions.view.problems');
    });
  }

  private async writeAsMigration(
    t: RollbackTarget,
    local: LocalMigration,
    result: RollbackResult,
  ): Promise<void> {
    const name = rollbackMigrationName(t.name);
    const create = 'Create Migration';
    const choice = await vscode.window.showWarningMessage(
      `Create the rollback of ${t.name} as a new migration ${name}?`,
      {
        modal: true,
        detail:
          'A rollback written as a migration becomes part of the history: `prisma migrate deploy` applies it in every environment it reaches, after the migrations before it. Use it when the migration must be undone everywhere (the runbook\'s Method 2); to undo it in one database, use "Create Rollback…" (down.sql) instead.',
      },
      create,
    );
    if (choice !== create) return;
    const dir = path.join(t.migrationsDir, name);
    try {
      await fs.promises.mkdir(dir);
    } catch (e) {
      throw new RollbackUserError(
        `Cannot create ${dir}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? 'it already exists' : (e as Error).message}`,
      );
    }
    const file = path.join(dir, 'migration.sql');
    await fs.promises.writeFile(file, result.sql, 'utf8');
    this.log.info(`Wrote ${file} (rollback of ${t.name} as a new migration)`);
    await vscode.commands.executeCommand(
      'vscode.diff',
      vscode.Uri.file(local.sqlPath),
      vscode.Uri.file(file),
      `${t.name}/migration.sql ↔ ${name}/migration.sql (rollback as new migration)`,
    );
    await this.refreshDownDiagnostics(file);
    this.announceGeneration({ ...t, name }, 'migration.sql', result);
    void this.repo.refresh('rollback migration created');
  }

  /** The diff editor: migration.sql on the left, its rollback on the right. */
  async openDiff(sqlPath: string, downPath: string, name: string): Promise<void> {
    await vscode.commands.executeCommand(
      'vscode.diff',
      vscode.Uri.file(sqlPath),
      vscode.Uri.file(downPath),
      `${name}: migration.sql ↔ ${path.basename(downPath)} (rollback)`,
      { preview: false },
    );
  }

  async open(arg: unknown): Promise<void> {
    const t = await this.target(arg, 'Migration whose rollback to open');
    if (!t) return;
    const dir = path.join(t.migrationsDir, t.name);
    const down = path.join(dir, 'down.sql');
    if (!isFile(down)) {
      const create = 'Create Rollback…';
      const c = await vscode.window.showInformationMessage(`${t.name} has no down.sql yet.`, create);
      if (c) await this.create(vscode.Uri.file(path.join(dir, 'migration.sql')));
      return;
    }
    await this.openDiff(path.join(dir, 'migration.sql'), down, t.name);
  }

  // -------------------------------------------------------------------------------------------
  // Verify Rollback

  /** A `_rollback_` migration verifies as the rollback of the migration it undoes. */
  private undoneBy(migrations: LocalMigration[], name: string): string | undefined {
    if (!isRollbackMigration(name)) return undefined;
    const i = migrations.findIndex((m) => m.name === name);
    return migrations
      .slice(0, i)
      .reverse()
      .find((m) => name.endsWith(rollbackMigrationSuffix(m.name)))?.name;
  }

  private shadowUrl(t: RollbackTarget): string | undefined {
    const setting = vscode.workspace
      .getConfiguration('prismaRollback', vscode.Uri.file(t.migrationsDir))
      .get<string>('shadowDatabaseUrl');
    const dotenv = t.project ? readDotEnv(t.project.project.root) : {};
    const lookup = (n: string) => process.env[n] ?? dotenv[n];
    const r = resolveShadowDatabaseUrl(setting || lookup(SHADOW_URL_ENV) || '', lookup);
    if (r.problem) this.log.warn(r.problem);
    return r.url;
  }

  async verify(arg: unknown): Promise<VerifyResult | undefined> {
    let t = await this.target(arg, 'Migration whose rollback to verify');
    if (!t) return undefined;
    const core = await loadCore();
    let h = await this.history(core, t);
    const undone = this.undoneBy(h.migrations, t.name);
    if (undone) {
      t = { ...t, name: undone };
      h = await this.history(core, t);
    }
    // What is verified is the file on disk: unsaved edits of it are saved first.
    const dirty = vscode.workspace.textDocuments.find(
      (d) => d.isDirty && d.uri.scheme === 'file' && path.dirname(d.uri.fsPath) === h.local.dir,
    );
    if (dirty) await dirty.save();
    const rollback = await core.findRollbackScript(h.migrations, h.index);
    if (!rollback) {
      const create = 'Create Rollback…';
      const c = await vscode.window.showInformationMessage(
        `${t.name} has no rollback to verify yet: no down.sql in its folder and no later *_rollback_ migration.`,
        create,
      );
      if (c) await this.create(vscode.Uri.file(h.local.sqlPath));
      return undefined;
    }
    const rollbackSql = rollback.sql;
    const trusted = vscode.workspace.isTrusted;
    const shadowDatabaseUrl = trusted ? this.shadowUrl(t) : undefined;
    const secondOpinion =
      vscode.workspace
        .getConfiguration('prismaRollback', vscode.Uri.file(t.migrationsDir))
        .get<boolean>('verify.prismaDiff') === true;
    const before = this.store.setRunning(t.migrationsDir, t.name);
    const started = Date.now();
    let result: VerifyResult;
    try {
      result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Verifying the rollback of ${t.name}`,
          cancellable: true,
        },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => {
            this.log.info(`Verification of the rollback of ${t.name}: cancel requested`);
            abort.abort();
          });
          const migrations = h.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '', path: m.sqlPath }));
          const r = await core.verifyRollback({
            migrations,
            index: h.index,
            rollbackSql,
            rollbackName: rollback.name,
            rollbackPath: rollback.path,
            shadowDatabaseUrl,
            // In Restricted Mode nothing but the in-process PostgreSQL is used.
            engine: trusted ? 'auto' : 'embedded',
            signal: abort.signal,
            onProgress: (message) => progress.report({ message: redactSecrets(message) }),
          });
          if (r.kind !== 'verified' || r.cached || token.isCancellationRequested || !secondOpinion) return r;
          // Setting prismaRollback.verify.prismaDiff: Prisma's own engine must agree.
          progress.report({ message: "asking Prisma's schema engine (migrate diff) for a second opinion" });
          try {
            const diff = await core.prismaDiffRollback({ migrations, index: h.index, rollbackSql });
            this.log.info(
              `Prisma's migrate diff after the rollback of ${t.name}: ${diff.empty ? 'empty' : diff.script} (${diff.ms.toFixed(0)} ms)`,
            );
            if (diff.empty) return r;
            return {
              ...r,
              kind: 'differences',
              differences: [prismaDiffDifference(diff.script)],
            } satisfies VerifyResult;
          } catch (e) {
            this.log.warn(
              `Prisma's migrate diff could not run: ${redactSecrets(e instanceof Error ? e.message : String(e))}`,
            );
            return r;
          }
        },
      );
    } catch (e) {
      this.store.restore(t.migrationsDir, t.name, before);
      throw e;
    }
    if (result.kind === 'couldNotVerify' && result.cancelled) {
      this.store.restore(t.migrationsDir, t.name, before);
      void vscode.window.showInformationMessage(`Verification of the rollback of ${t.name} cancelled.`);
      return result;
    }
    if (result.kind === 'couldNotVerify' && !trusted && /extension/i.test(result.reason))
      result = {
        ...result,
        reason: `${result.reason} (Restricted Mode: verifying on a shadow database server needs a trusted workspace)`,
      };
    this.store.setResult(t.migrationsDir, t.name, result);
    void this.revalidate(h.local.sqlPath, true).catch(() => {});
    const detail =
      result.kind === 'differences'
        ? `: ${result.differences.join('; ')}`
        : result.kind === 'cannotProve'
          ? `: ${result.reasons.join('; ')}`
          : '';
    this.log.info(
      `Verify ${t.name} (${rollback.name}): ${result.kind}${result.kind === 'couldNotVerify' ? `: ${redactSecrets(result.reason)}` : detail} in ${Date.now() - started} ms`,
    );
    await this.refreshDownDiagnostics(rollback.path);
    const text = redactSecrets(verificationMessage(t.name, result));
    if (result.kind === 'verified') void vscode.window.showInformationMessage(text);
    else {
      const problems = 'Show Problems';
      const log = 'Show Log';
      void vscode.window
        .showWarningMessage(text, ...(result.kind === 'differences' ? [problems] : [log]))
        .then((c) => {
          if (c === problems) void vscode.commands.executeCommand('workbench.actions.view.problems');
          if (c === log) this.log.show(true);
        });
    }
    return result;
  }

  /** Looks up a result of an earlier session for the current files (instant after a reload). */
  private async peek(t: RollbackTarget): Promise<void> {
    const core = await loadCore();
    const folder = await core.readMigrationsFolder(t.migrationsDir);
    const index = folder.migrations.findIndex((m) => m.name === t.name);
    if (index < 0) return;
    const rollback = await core.findRollbackScript(folder.migrations, index);
    if (!rollback) return;
    const sql = rollback.sql;
    const key = core.verifyCacheKey(
      folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' })),
      index,
      sql,
    );
    if (this.peeked.has(key)) return;
    this.peeked.add(key);
    const r = this.store.remembered(key);
    if (r && !this.store.verification(t.migrationsDir, t.name))
      this.store.setResult(t.migrationsDir, t.name, r);
  }

  // -------------------------------------------------------------------------------------------
  // Problems

  private async refreshDownDiagnostics(file: string): Promise<void> {
    const uri = vscode.Uri.file(file);
    const text = await readText(file);
    if (text === undefined) {
      this.diagnostics.delete(uri);
      return;
    }
    const problems = downSqlProblems(text);
    const dir = path.dirname(file);
    const migrationsDir = this.repo.findMigration(path.join(dir, 'migration.sql'))?.entry.project
      .migrationsDir;
    const owner = path.basename(file) === 'down.sql' ? path.basename(dir) : undefined;
    const state = owner ? this.store.verification(migrationsDir ?? path.dirname(dir), owner) : undefined;
    if (state && state.kind !== 'running') problems.push(...verificationProblems(state, text, file));
    this.diagnostics.set(uri, problems.map(toDiagnostic));
  }

  private async refreshAllDiagnostics(): Promise<void> {
    const files = new Set<string>();
    this.diagnostics.forEach((uri) => {
      if (path.basename(uri.fsPath) === 'down.sql') files.add(uri.fsPath);
    });
    for (const d of vscode.workspace.textDocuments)
      if (d.uri.scheme === 'file' && path.basename(d.uri.fsPath) === 'down.sql') files.add(d.uri.fsPath);
    await Promise.all([...files].map((f) => this.refreshDownDiagnostics(f)));
  }

  // -------------------------------------------------------------------------------------------
  // Tree

  /** Extra words for a migration's tree item description, and tooltip lines. */
  treeDecoration(migrationsDir: string, name: string): { description?: string; tooltip: string[] } {
    const e = this.store.get(migrationsDir, name);
    const file = this.fileInfo(migrationsDir, name);
    const parts = [
      file ? rollbackFileDescription(file) : undefined,
      verificationDescription(e?.verification),
    ].filter((x): x is string => !!x);
    const tooltip = verificationTooltipLines(e?.verification, escapeMarkdown);
    if (file?.stale)
      tooltip.unshift(
        'down.sql is **out of date**: it was generated from an earlier migration.sql. Regenerate it with *Create Rollback…* (asks before overwriting).',
      );
    return { description: parts.length ? parts.join(' · ') : undefined, tooltip };
  }

  // -------------------------------------------------------------------------------------------
  // CodeLens

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!readSettings(document.uri).codeLensEnabled) return [];
    this.repo.ensureStarted();
    const file = document.uri.fsPath;
    const isDown = path.basename(file) === 'down.sql';
    const dir = path.dirname(file);
    const sqlPath = path.join(dir, 'migration.sql');
    const found = this.repo.findMigration(sqlPath);
    if (!found?.entry.project.support.supported) return [];
    const t: RollbackTarget = {
      migrationsDir: found.entry.project.migrationsDir,
      name: found.name,
      project: found.entry,
    };
    const range = new vscode.Range(0, 0, 0, 0);
    const lens = (
      title: string,
      command: string,
      tooltip: string,
      args: unknown[] = [vscode.Uri.file(sqlPath)],
    ) => new vscode.CodeLens(range, { title, command, tooltip, arguments: args });
    const downPath = path.join(dir, 'down.sql');
    const out: vscode.CodeLens[] = [];
    const hasDown = isDown || isFile(downPath);
    const verification = this.store.verification(t.migrationsDir, t.name);
    const target = `${t.migrationsDir}::${t.name}`;
    if (!verification && hasDown && !this.peekedTargets.has(target)) {
      this.peekedTargets.add(target);
      void this.peek(t).catch(() => {});
    }
    const verifyLens = () =>
      lens(
        verificationLensTitle(verification),
        ROLLBACK_COMMAND_IDS.verify,
        verification && verification.kind !== 'running'
          ? 'Prisma Rollback: verify again (replays the history in an embedded PostgreSQL)'
          : 'Prisma Rollback: replay the history in an embedded PostgreSQL, apply this migration and its rollback, and compare the schemas',
      );
    if (!isDown) {
      if (!hasDown) {
        out.push(
          lens(
            'Create rollback',
            ROLLBACK_COMMAND_IDS.create,
            'Prisma Rollback: generate down.sql beside this migration.sql',
          ),
        );
        return out;
      }
      out.push(
        lens('Open rollback', ROLLBACK_COMMAND_IDS.open, 'Prisma Rollback: open migration.sql ↔ down.sql'),
      );
      if (await this.isStale(sqlPath, downPath, document))
        out.push(
          lens(
            '⚠ Rollback out of date',
            ROLLBACK_COMMAND_IDS.create,
            'down.sql was generated from an earlier migration.sql: regenerate it (asks before overwriting)',
          ),
        );
      out.push(verifyLens());
      return out;
    }
    out.push(verifyLens());
    if (await this.isStale(sqlPath, downPath)) {
      out.push(
        lens(
          '⚠ Rollback out of date',
          ROLLBACK_COMMAND_IDS.create,
          'down.sql was generated from an earlier migration.sql: regenerate it (asks before overwriting)',
        ),
      );
    }
    if (vscode.workspace.isTrusted)
      out.push(
        lens(
          'Check impact…',
          ROLLBACK_COMMAND_IDS.impact,
          'Prisma Rollback: what this rollback would delete in an environment (read-only)',
        ),
      );
    return out;
  }

  private async isStale(sqlPath: string, downPath: string, sqlDoc?: vscode.TextDocument): Promise<boolean> {
    try {
      const core = await loadCore();
      const down = await readText(downPath);
      const sql = sqlDoc ? sqlDoc.getText() : await readText(sqlPath);
      if (down === undefined || sql === undefined) return false;
      return core.isDownSqlStale(down, sql) === true;
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Check Impact

  async impact(arg: unknown): Promise<void> {
    if (!vscode.workspace.isTrusted)
      throw new RollbackUserError(
        'Check Impact connects to a database: trust this workspace first (in Restricted Mode Prisma Rollback only reads files).',
      );
    const t = await this.target(arg, 'Migration whose rollback impact to check');
    if (!t) return;
    const project =
      t.project ?? this.repo.findMigration(path.join(t.migrationsDir, t.name, 'migration.sql'))?.entry;
    if (!project)
      throw new RollbackUserError(`${t.name} does not belong to a Prisma project of this workspace.`);
    const env = t.env ?? (await this.pickEnvironment(project));
    if (!env) return;
    const m = env.status?.migrations.find((x) => x.name === t.name);
    const state = m?.state;
    if (state === 'pending')
      throw new RollbackUserError(
        `${t.name} is pending in ${env.name}: it was never applied there, so there is nothing to roll back.`,
      );
    if (state === 'rolledBack')
      throw new RollbackUserError(
        `${t.name} is already marked rolled back in ${env.name}: there is nothing to roll back.`,
      );
    if (!state || !env.resolved?.url)
      throw new RollbackUserError(
        `The state of ${t.name} in ${env.name} is not known${env.status ? `: ${redactSecrets(env.resolved?.problem ?? env.status.diagnosis.kind)}` : ''}. Refresh the Migrations view or set the connection string first.`,
      );
    const core = await loadCore();
    const h = await this.history(core, t);
    const rollback = await core.findRollbackScript(h.migrations, h.index);
    if (!rollback) throw new RollbackUserError(`${t.name} has no down.sql yet: create the rollback first.`);
    const pool = await this.repo.pool(project, env);
    if (!pool) throw new RollbackUserError(`No connection string for ${env.name}.`);
    const later = new Map((env.status?.migrations ?? []).map((x) => [x.name, x.state]));
    const [pre, deps] = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Checking what the rollback of ${t.name} would destroy in ${env.name} (read-only)`,
      },
      () =>
        Promise.all([
          core.precheckRollback(pool, rollback.sql, {
            rollbackName: rollback.name,
            migrationName: t.name,
            statementTimeoutMs: readSettings(vscode.Uri.file(project.project.root)).statementTimeoutMs,
          }),
          core.dependentMigrations(
            h.migrations.map((x) => ({ name: x.name, sql: x.sql ?? '' })),
            h.index,
          ),
        ]),
    );
    const report = impactReport(
      env.name,
      t.name,
      pre,
      deps
        // its own Method 2 rollback migration naturally touches the same objects
        .filter((d) => !d.name.endsWith(rollbackMigrationSuffix(t.name)))
        .map((d) => ({ name: d.name, reasons: d.reasons, state: later.get(d.name) })),
    );
    this.log.info(
      `Check Impact on ${env.name} — ${redactSecrets(report.title)}\n${redactSecrets(report.detail)}`,
    );
    const show =
      report.refused || report.incomplete || report.blocking.length
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
    await show(redactSecrets(report.title), { modal: true, detail: redactSecrets(report.detail) });
  }

  private async pickEnvironment(project: ProjectEntry): Promise<EnvironmentEntry | undefined> {
    const envs = project.environments;
    if (envs.length === 0)
      throw new RollbackUserError('This project has no environment with a connection string.');
    if (envs.length === 1) return envs[0];
    const picked = await vscode.window.showQuickPick(
      envs.map((e) => ({
        label: `Check Impact on ${e.name}…`,
        description: e.protected ? 'protected' : undefined,
        detail: e.status?.target ?? e.resolved?.problem,
        env: e,
      })),
      { placeHolder: 'Environment to check the rollback against (read-only)' },
    );
    return picked?.env;
  }
}

/** Reads `.env` in a project root synchronously (only for a variable named by the shadow setting). */
function readDotEnv(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, '.env'), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = m[2];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

/**
 * Awaits `work`; a notification with the title appears only when it takes longer than half a
 * second (large histories), so quick generations do not flash one.
 */
async function withDelayedProgress<T>(title: string, work: Promise<T>, delayMs = 500): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), delayMs);
  });
  const first = await Promise.race([
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    slow,
  ]);
  clearTimeout(timer);
  if (first === 'slow')
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () =>
      work.catch(() => undefined),
    );
  return work;
}
