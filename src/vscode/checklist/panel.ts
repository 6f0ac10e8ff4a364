/**
 * One checklist panel per project × migration × target environment. The panel owns nothing but
 * the webview: the checklist state lives in workspaceState (restored by the panel serializer
 * after a reload), every step's outcome is appended to the audit log, task steps run through
 * the TaskRunner and move to done/failed by their exit code only.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { maskUrl } from '../../core/db';
import { redactSecrets } from '../../core/db/redact';
import {
  type Capabilities,
  ChecklistError,
  type ChecklistKey,
  type ChecklistState,
  completeStep,
  confirmOutcome,
  createChecklist,
  endCheck,
  finishStep,
  flowSteps,
  gate,
  interruptStep,
  overrideGate,
  parseChecklist,
  recoverInterrupted,
  resetStep,
  type StepId,
  savedChecklistFits,
  skipStep,
  startStep,
  stepDefinition,
  storageKey,
} from '../../core/runbook/checklist';
import {
  type CommandContext,
  dbPullCommand,
  detectPackageManager,
  detectSupabase,
  stepCommand,
  type TaskCommand,
} from '../../core/runbook/commands';
import {
  type DependentView,
  type FollowUpAction,
  type HostMessage,
  parseWebviewMessage,
  type WebviewMessage,
} from '../../core/runbook/protocol';
import { viewChecklist } from '../../core/runbook/view';
import { targetStatusLine } from '../../core/status/present';
import {
  editedAfterApplyNote,
  laterApplied,
  reapplyAfterLaterNote,
} from '../../core/status/present-rollback';
import type { EnvironmentEntry, ProjectEntry } from '../repository';
import { readRunbookSettings } from '../settings';
import { afterApply, beforeTask, dataProofFor, takenBackup, withArchive } from './archive';
import { checklistAuditFile, writeChecklistAudit } from './audit';
import { backupFolder } from './backup-folder';
import { confirmVerdict, driftAfterRollback, refuseDriftedTarget } from './drift-gate';
import { failedCheck } from './failed';
import { checklistHtml } from './html';
import { openTarget } from './open-target';
import { confirmDataLoss, keepBackupsOutOfGit } from './prompts';
import { rangeCheck, rangeDeleteRefusal, rangeTitle } from './range';
import { replanRehearsal } from './rehearsal';
import { type ChecklistDeps, capabilitiesOf } from './services';
import { healthCheck, runWithProgress, taskEnvFor } from './tasks';

export const VIEW_TYPE = 'prismaRollback.checklist';

export { type ChecklistDeps, type ChecklistServices, capabilitiesOf } from './services';

export class ChecklistPanel implements vscode.Disposable {
  private static readonly open = new Map<string, ChecklistPanel>();
  private state!: ChecklistState;
  private readonly disposables: vscode.Disposable[] = [];
  private plannedBackup?: string;
  private dependents?: DependentView[];
  private dependentsNote?: string;
  private ready = false;
  /** How far a running step is (`12 of 40 migrations replayed (30%)`, bytes written…), shown in the step. */
  private readonly progress: Partial<Record<StepId, string>> = {};

  /** Opens (or reveals) the checklist of a migration in an environment. */
  static show(deps: ChecklistDeps, key: ChecklistKey): ChecklistPanel {
    const existing = ChecklistPanel.open.get(storageKey(key));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      ChecklistPanel.title(key),
      vscode.ViewColumn.Active,
      ChecklistPanel.options(deps),
    );
    try {
      return new ChecklistPanel(panel, deps, key);
    } catch (e) {
      panel.dispose();
      throw e;
    }
  }

  /** Restores a panel after a reload (from the webview's persisted state, which names its key). */
  static revive(deps: ChecklistDeps, panel: vscode.WebviewPanel, persisted: unknown): void {
    const key = (persisted as { view?: { key?: ChecklistKey } } | undefined)?.view?.key;
    if (
      !key ||
      typeof key.projectId !== 'string' ||
      typeof key.migration !== 'string' ||
      typeof key.environment !== 'string'
    ) {
      panel.webview.html = '<p>This checklist cannot be restored: open it again with “Start Rollback…”.</p>';
      return;
    }
    panel.webview.options = ChecklistPanel.options(deps);
    try {
      new ChecklistPanel(panel, deps, key);
    } catch (e) {
      // The project or environment is gone (settings changed while the window was closed).
      const text = String((e as Error).message).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      panel.webview.html = `<p>This checklist cannot be restored: ${text}</p>`;
    }
  }

  private static options(deps: ChecklistDeps): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(deps.context.extensionUri, 'dist', 'webview')],
    };
  }

  private static title(k: ChecklistKey): string {
    if (k.migrations) return rangeTitle(k);
    return `Rollback: ${k.migration.replace(/^\d{8,14}_/, '')} → ${k.environment}`;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: ChecklistDeps,
    private readonly key: ChecklistKey,
  ) {
    this.state = this.load();
    if (this.state.flow === 'resolveFailed')
      panel.title = `Resolve failed: ${key.migration.replace(/^\d{8,14}_/, '')} → ${key.environment}`;
    ChecklistPanel.open.set(storageKey(key), this);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      deps.repo.onDidChange(() => this.post()),
    );
    panel.webview.html = this.html();
  }

  private html(): string {
    const w = this.panel.webview;
    const asset = (f: string) =>
      w.asWebviewUri(vscode.Uri.joinPath(this.deps.context.extensionUri, 'dist', 'webview', f)).toString();
    return checklistHtml({
      cspSource: w.cspSource,
      script: asset('checklist.js'),
      style: asset('checklist.css'),
      codicons: asset('codicon.css'),
      title: ChecklistPanel.title(this.key),
    });
  }

  // ---- state ------------------------------------------------------------------------------

  private target(): { entry: ProjectEntry; env: EnvironmentEntry } {
    const entry = this.deps.repo.projects.find((p) => p.project.id === this.key.projectId);
    const env = entry?.environments.find((e) => e.name === this.key.environment);
    if (!entry || !env) {
      throw new ChecklistError(
        `Project ${this.key.projectId} or its environment "${this.key.environment}" is no longer configured; check prismaRollback.environments.`,
      );
    }
    return { entry, env };
  }

  private migrationState(env: EnvironmentEntry): ChecklistState['migrationState'] {
    const m = env.status?.migrations.find((x) => x.name === this.key.migration);
    if (!m) return undefined;
    return m.state === 'applied' || m.state === 'edited'
      ? 'applied'
      : m.state === 'failed'
        ? 'failed'
        : 'other';
  }

  private load(): ChecklistState {
    let saved = parseChecklist(this.deps.context.workspaceState.get(storageKey(this.key)));
    const statuses = this.deps.repo.projects
      .find((p) => p.project.id === this.key.projectId)
      ?.environments.find((e) => e.name === this.key.environment)?.status?.migrations;
    if (saved && !savedChecklistFits(saved, statuses)) saved = undefined;
    if (saved) {
      // Nothing of a previous window's tasks is tracked any more: a step left running was interrupted.
      const recovered = recoverInterrupted(saved);
      if (recovered !== saved) void this.persist(recovered);
      return recovered;
    }
    const { entry, env } = this.target();
    const s = createChecklist({
      key: this.key,
      protected: env.protected,
      runner: readRunbookSettings(vscode.Uri.file(entry.project.root)).runner,
      migrationState: this.migrationState(env),
    });
    void this.persist(s);
    void this.audit({
      step: 'checklist',
      event: 'open',
      detail: { protected: env.protected, runner: s.runner },
    });
    return s;
  }

  private async persist(s: ChecklistState): Promise<void> {
    this.state = s;
    await this.deps.context.workspaceState.update(storageKey(this.key), s);
    this.post();
  }

  private auditFile(): string {
    return checklistAuditFile(this.deps, this.key);
  }

  private audit(e: Parameters<typeof writeChecklistAudit>[2]): Promise<void> {
    return writeChecklistAudit(this.deps, this.key, e);
  }

  // ---- commands of task steps ---------------------------------------------------------------

  private commandContext(restoreFrom?: string): CommandContext {
    const { entry } = this.target();
    const p = entry.project;
    const settings = readRunbookSettings(vscode.Uri.file(p.root));
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p.root));
    const storage = (this.deps.context.storageUri ?? this.deps.context.globalStorageUri).fsPath;
    this.plannedBackup ??= path.join(
      backupFolder({ setting: settings.backupDirectory, projectRoot: p.root, storage }),
      `${this.key.environment}-${this.key.migration}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}.${settings.backupFormat === 'plain' ? 'sql' : 'dump'}`,
    );
    return {
      runner: this.state.runner,
      projectRoot: p.root,
      migrationsDir: p.migrationsDir,
      migration: this.key.migration,
      migrations: this.key.migrations,
      environment: this.key.environment,
      environmentProtected: this.state.protected,
      rehearsal: this.state.rehearsal,
      migrationState: this.state.migrationState,
      skipDriftCheck:
        this.state.flow === 'resolveFailed' && this.state.overrides.some((o) => o.step === 'markRolledBack'),
      node: process.execPath,
      cliPath: vscode.Uri.joinPath(this.deps.context.extensionUri, 'dist', 'cli.js').fsPath,
      packageManager: detectPackageManager(p.root, folder?.uri.fsPath),
      prismaMajor: p.prismaMajor,
      schemaPath: p.schemaPath,
      backupFile: this.plannedBackup,
      restoreFrom: restoreFrom ?? takenBackup(this.state),
      backupFormat: settings.backupFormat,
      pgDumpPath: settings.pgDumpPath,
      supabase: detectSupabase(p.root),
    };
  }

  private plannedCommands(): Partial<Record<StepId, TaskCommand>> {
    try {
      const c = this.commandContext();
      const out: Partial<Record<StepId, TaskCommand>> = {};
      for (const id of flowSteps(this.state)) {
        const cmd = stepCommand(id, c);
        if (cmd) out[id] = cmd;
      }
      return out;
    } catch {
      return {};
    }
  }

  /** The connection string(s) a task needs, as environment variables (never argv, never logged). */
  private secretEnv(environment: string, prismaCli = false): Record<string, string> {
    return taskEnvFor(this.target().entry, environment, { prismaCli });
  }

  // ---- webview ------------------------------------------------------------------------------

  private post(): void {
    if (!this.ready) return;
    // Where the rehearsal runs follows the environments' status (until it ran): saved, then shown.
    const planned = replanRehearsal(this.state, this.deps.repo.projects);
    if (planned !== this.state) return void this.persist(planned);
    let statusLine: string | undefined;
    let historyNote: string | undefined;
    let editedNote: string | undefined;
    try {
      const { env } = this.target();
      editedNote = this.key.migrations
        ? undefined
        : editedAfterApplyNote(this.key.migration, env.name, env.status?.migrations);
      historyNote = this.key.migrations
        ? undefined
        : reapplyAfterLaterNote(this.key.migration, laterApplied(this.key.migration, env.status?.migrations));
      statusLine = targetStatusLine(
        env.status?.migrations.find((x) => x.name === this.key.migration),
        {
          loading: env.loading,
          target: env.resolved?.url
            ? maskUrl(env.resolved.url)
            : (env.resolved?.problem ?? env.status?.target),
        },
      );
    } catch (e) {
      statusLine = (e as Error).message;
    }
    const entry = this.deps.repo.projects.find((p) => p.project.id === this.key.projectId);
    const shown = withArchive(this.state, this.target().env);
    const view = viewChecklist(shown, capabilitiesOf(this.deps.services), {
      projectLabel: entry?.project.label ?? this.key.projectId,
      statusLine: statusLine ? redactSecrets(statusLine) : undefined,
      historyNote,
      editedNote,
      progress: this.progress,
      dependents: this.dependents,
      dependentsNote:
        this.dependentsNote ??
        (this.state.steps.identify.state === 'running'
          ? 'Listing the later migrations that depend on it…'
          : 'Run Identify to list the later migrations that depend on it.'),
      auditLog: this.auditFile(),
      commands: this.plannedCommands(),
    });
    // The view carries the key: the webview keeps it in its state, and the serializer restores this panel from it.
    this.send({ type: 'state', view });
  }

  private send(m: HostMessage): void {
    void this.panel.webview.postMessage(m);
  }

  /** Shows (or, with undefined, clears) how far a running step is. */
  reportProgress(id: StepId, text: string | undefined): void {
    if (this.progress[id] === text) return;
    this.progress[id] = text;
    this.post();
  }

  /** Runs a step as its Run button does (a refusal shows in the checklist): Impact's "Back Up Now". */
  runStep(id: StepId): Promise<void> {
    return this.receive({ type: 'run', step: id });
  }

  private async receive(raw: unknown): Promise<void> {
    const m = parseWebviewMessage(raw);
    if (!m) {
      this.deps.log.warn(`Checklist: ignored a malformed message from the webview.`);
      return;
    }
    try {
      await this.handle(m);
    } catch (e) {
      const message = redactSecrets(e instanceof Error ? e.message : String(e));
      if (!(e instanceof ChecklistError)) this.deps.log.error(`Checklist ${m.type}: ${message}`);
      this.send({ type: 'error', message });
    }
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post();
        // After a reload: the list is not persisted, read it again (local files only).
        if (this.state.steps.identify.state === 'done' && !this.dependents && !this.dependentsNote)
          void this.loadDependents().then(() => this.post());
        return;
      case 'refresh':
        await this.deps.repo.refresh('checklist');
        this.post();
        return;
      case 'run':
        return this.run(m.step, m.typed);
      case 'complete':
        await this.persist(
          completeStep(this.state, m.step, undefined, undefined, capabilitiesOf(this.deps.services)),
        );
        await this.audit({ step: m.step, event: 'done' });
        return;
      case 'skip':
        await this.persist(skipStep(this.state, m.step, m.reason));
        await this.audit({ step: m.step, event: 'skip', reason: m.reason });
        return;
      case 'override': {
        const next = overrideGate(this.state, m.step, m.reason);
        await this.persist(next);
        const o = next.overrides[next.overrides.length - 1];
        await this.audit({ step: m.step, event: 'override', reason: o.reason, detail: { gate: o.gate } });
        return;
      }
      case 'reset':
        await this.persist(resetStep(this.state, m.step));
        await this.audit({ step: m.step, event: 'reset' });
        return;
      case 'open':
        return this.openTarget(m.target, m.step);
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        void vscode.window.showInformationMessage('Copied the message to the clipboard.');
        return;
      case 'setRunner':
        if (Object.values(this.state.steps).some((s) => s.state === 'running'))
          throw new ChecklistError('Wait for the running step to end before switching runners.');
        await this.persist({ ...this.state, runner: m.runner });
        return;
      case 'followUp':
        return this.followUp(m.action);
    }
  }

  private openTarget(target: string, step?: StepId): Promise<void> {
    const backup = this.state.steps.backup.detail?.file;
    return openTarget(target, {
      project: this.target().entry.project,
      migration: this.key.migration,
      auditFile: this.auditFile(),
      backupFile: typeof backup === 'string' ? backup : undefined,
      showTerminal: () => !!step && this.deps.tasks.showTerminal(step),
    });
  }

  // ---- running steps -------------------------------------------------------------------------

  private async run(id: StepId, typed?: string): Promise<void> {
    const caps = capabilitiesOf(this.deps.services);
    const def = stepDefinition(id);
    if (def.kind === 'manual')
      throw new ChecklistError(`"${def.title}" is done by hand: mark it done when it is.`);
    const g = gate(this.state, id, caps);
    if (!g.allowed) throw new ChecklistError(`"${def.title}" cannot run yet: ${g.blockers.join(' ')}`);
    if (id === 'apply' && this.state.migrationState === 'applied')
      await refuseDriftedTarget(this.deps, this.target().entry.project, this.key.environment, () =>
        this.secretEnvUrl(),
      );
    if (def.kind === 'task') {
      if (id === 'apply' && !(await confirmDataLoss(this.state))) return;
      return this.runTask(id, typed);
    }
    return this.runCheck(id, caps);
  }

  private async runTask(id: StepId, typed?: string): Promise<void> {
    const pre = await beforeTask(id, this.state, this.target().env);
    if (!pre) return;
    this.state = pre.state;
    // The command runs exactly as shown (the backup file name included); a later run gets a new name.
    const ctx = this.commandContext(pre.restoreFrom);
    if (id === 'backup') this.plannedBackup = undefined;
    const cmd = stepCommand(id, ctx);
    if (!cmd) throw new ChecklistError(`"${stepDefinition(id).title}" has no command here.`);
    if (id === 'backup' && ctx.backupFile)
      await keepBackupsOutOfGit(path.dirname(ctx.backupFile), this.deps.log);
    // A command that is not the bundled CLI is the project's Prisma CLI.
    const secretEnv = this.secretEnv(cmd.environment, cmd.command !== ctx.node);
    const commandLine = redactSecrets(cmd.display);
    await this.persist(
      startStep(this.state, id, { commandLine, typed, caps: capabilitiesOf(this.deps.services) }),
    );
    await this.audit({ step: id, event: 'start', commandLine });
    let exitCode: number | undefined;
    let last: string | undefined;
    try {
      ({ exitCode, last } = await runWithProgress(this.deps.tasks, cmd, {
        id,
        folder: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(this.target().entry.project.root)),
        secretEnv,
        // Long work on the target also shows a progress notification.
        notify: id === 'backup' || id === 'staging' || id === 'apply',
        onProgress: (text) => this.reportProgress(id, text),
      }));
    } catch (e) {
      await this.persist(interruptStep(this.state, id, `Could not start the task: ${(e as Error).message}`));
      throw e;
    }
    if (exitCode === undefined) {
      await this.persist(interruptStep(this.state, id));
      await this.audit({
        step: id,
        event: 'interrupt',
        commandLine,
        exitCode: null,
        reason: 'terminal closed before the command ended',
      });
      return;
    }
    let detail: Record<string, string | number | boolean | null> | undefined;
    if (id === 'backup' && exitCode === 0 && ctx.backupFile) {
      const st = await fs.stat(ctx.backupFile).catch(() => undefined);
      if (!st || st.size === 0) {
        await this.persist(
          finishStep(this.state, id, {
            exitCode: 1,
            reason: `The command exited 0 but ${ctx.backupFile} is ${st ? 'empty' : 'missing'}.`,
          }),
        );
        await this.audit({
          step: id,
          event: 'failed',
          commandLine,
          exitCode,
          reason: 'backup file missing or empty',
        });
        return;
      }
      detail = { file: ctx.backupFile, bytes: st.size, size: `${(st.size / 1024).toFixed(1)} KiB` };
    }
    if (id === 'apply' || id === 'staging' || id === 'runPartial')
      detail = {
        marksRolledBack: cmd.marksRolledBack,
        ...(exitCode === 0 && last ? { progress: last } : {}),
      };
    // The undo script (`down --partial --out FILE`) is shown before it can run: review it there.
    const partial =
      id === 'writePartial' && exitCode === 0 ? cmd.args[cmd.args.indexOf('--out') + 1] : undefined;
    if (partial) detail = { file: partial };
    const finished = finishStep(this.state, id, {
      exitCode,
      detail,
      reason: exitCode !== 0 && last ? `Exit code ${exitCode}: ${redactSecrets(last)}` : undefined,
    });
    await this.persist(
      id === 'apply' ? await afterApply(this.deps.repo, this.target(), finished, pre.before) : finished,
    );
    await this.audit({
      step: id,
      event: exitCode === 0 ? 'finish' : 'failed',
      commandLine,
      exitCode,
      backupPath: id === 'backup' && exitCode === 0 ? ctx.backupFile : undefined,
    });
    if (exitCode !== 0) this.deps.tasks.showTerminal(id);
    if (partial)
      await vscode.window.showTextDocument(vscode.Uri.file(partial), {
        preview: false,
        viewColumn: vscode.ViewColumn.Beside,
      });
    void this.deps.repo.refresh(`checklist ${id}`);
  }

  private async runCheck(id: StepId, caps: Capabilities): Promise<void> {
    const { entry } = this.target();
    const project = entry.project;
    const s = this.deps.services;
    await this.persist(startStep(this.state, id, { caps }));
    const finish = async (
      ok: boolean,
      reason: string,
      detail?: Record<string, string | number | boolean | null>,
    ) => {
      await this.persist(endCheck(this.state, id, { ok, reason, detail }));
      await this.audit({ step: id, event: ok ? 'done' : 'failed', reason: reason || undefined, detail });
    };
    try {
      if (this.key.migrations) {
        const o = { project, key: this.key, repo: this.deps.repo, env: () => this.target().env };
        const r = await rangeCheck(id, s, { ...o, url: () => this.secretEnvUrl() });
        return await finish(r.ok, r.reason, r.detail);
      }
      if (this.state.flow === 'resolveFailed') {
        const o = { project, key: this.key, repo: this.deps.repo, env: () => this.target().env };
        const r = await failedCheck(id, s, this.state, { ...o, url: () => this.secretEnvUrl() });
        return await finish(r.ok, r.reason, r.detail);
      }
      switch (id) {
        case 'identify': {
          await this.deps.repo.refresh('checklist identify');
          const { env } = this.target();
          const state = this.migrationState(env);
          this.state = { ...this.state, migrationState: state };
          await this.loadDependents();
          const m = env.status?.migrations.find((x) => x.name === this.key.migration);
          const deps: Record<string, string> = this.dependents
            ? { dependents: this.dependents.map((d) => d.name).join(', ') || 'none' }
            : {};
          if (state === 'applied' || state === 'failed')
            return await finish(true, '', { state: m?.state ?? state, ...deps });
          return await finish(
            false,
            `${this.key.migration} reads ${m?.state ?? 'unknown'} in ${this.key.environment}: there is nothing to roll back there.`,
            { state: m?.state ?? null },
          );
        }
        case 'script': {
          const r = await s.generate!({ project, migration: this.key.migration });
          return await finish(true, '', { file: r.file, summary: r.summary ?? null });
        }
        case 'verify': {
          // With an archive or a backup in play, the data is proved too (verify --data).
          const data = dataProofFor(this.state, this.target().env);
          const r = await s.verify!({
            project,
            migration: this.key.migration,
            onProgress: (text) => this.reportProgress('verify', text),
            data,
          }).finally(() => this.reportProgress('verify', undefined));
          return await finish(r.result === 'verified', r.summary, {
            result: r.result,
            summary: r.summary,
            ...(r.data ? { data: r.data.result, dataLines: r.data.lines.join('\n') } : {}),
          });
        }
        case 'impact': {
          const r = await s.impact!({
            project,
            migration: this.key.migration,
            environment: this.key.environment,
            url: this.secretEnvUrl(),
          });
          const summary = redactSecrets(r.summary);
          return await finish(r.ok, summary, {
            result: r.result ?? (r.ok ? 'checked' : 'notChecked'),
            ...(r.ok ? { summary } : {}),
            ...(r.lines?.length ? { lines: redactSecrets(r.lines.join('\n')) } : {}),
          });
        }
        case 'confirm': {
          await this.deps.repo.refresh('checklist confirm');
          const { env } = this.target();
          const m = env.status?.migrations.find((x) => x.name === this.key.migration);
          const outcome = confirmOutcome(m);
          const health = await healthCheck(readRunbookSettings(vscode.Uri.file(project.root)).healthUrl);
          const drift = outcome.ok
            ? await driftAfterRollback(this.deps, project, this.key.environment, () => this.secretEnvUrl())
            : undefined;
          const v = confirmVerdict(outcome, m?.state ?? null, health, drift);
          return await finish(v.ok, v.reason, v.detail);
        }
        default:
          throw new ChecklistError(`"${stepDefinition(id).title}" does not run by itself.`);
      }
    } catch (e) {
      if (this.state.steps[id].state === 'running') await finish(false, redactSecrets((e as Error).message));
      throw e;
    }
  }

  /** Step 1's list of later migrations that depend on this one (never "none" when it could not be computed). */
  private async loadDependents(): Promise<void> {
    const service = this.deps.services.dependents;
    if (!service) {
      this.dependents = undefined;
      this.dependentsNote = 'Dependent later migrations: not available in this build (no dependency check).';
      return;
    }
    try {
      const { entry, env } = this.target();
      const list = await service({ project: entry.project, migration: this.key.migration });
      const states = new Map((env.status?.migrations ?? []).map((m) => [m.name, m.state]));
      this.dependents = list.map((d) => ({ name: d.name, reasons: d.reasons, state: states.get(d.name) }));
      this.dependentsNote = undefined;
    } catch (e) {
      this.dependents = undefined;
      this.dependentsNote = `Dependent later migrations could not be listed: ${redactSecrets((e as Error).message)}`;
    }
  }

  private secretEnvUrl(): string {
    const { env } = this.target();
    if (!env.resolved?.url)
      throw new ChecklistError(`Environment "${this.key.environment}" has no connection string.`);
    return env.resolved.url;
  }

  /** Follow-up is done when the folder is kept or deleted: the checklist says what the audit log says. */
  private async markFollowUpDone(): Promise<void> {
    if (this.state.steps.followUp.state === 'done') return;
    await this.persist(
      completeStep(this.state, 'followUp', undefined, undefined, capabilitiesOf(this.deps.services)),
    );
  }

  private async followUp(action: FollowUpAction): Promise<void> {
    const { entry } = this.target();
    const dir = path.join(entry.project.migrationsDir, this.key.migration);
    switch (action) {
      case 'keepFolder':
        await this.markFollowUpDone();
        await this.audit({
          step: 'followUp',
          event: 'done',
          reason: 'kept the migration folder (it reads pending; migrate deploy re-applies it)',
        });
        void vscode.window.showInformationMessage(
          `${this.key.migration} stays in the migrations folder: it now reads pending, and the next \`prisma migrate deploy\` applies it again. Delete it (or fix it) before deploying.`,
        );
        return;
      case 'deleteFolder': {
        if (this.key.migrations) throw new ChecklistError(rangeDeleteRefusal(this.key));
        const choice = await vscode.window.showWarningMessage(
          `Delete the folder ${this.key.migration} (migration.sql and down.sql)? The history then reads up to date without it; other clones and environments where it is still applied will report it as missing locally. Commit the deletion so every environment agrees.`,
          { modal: true },
          'Delete Folder',
        );
        if (choice !== 'Delete Folder') return;
        await fs.rm(dir, { recursive: true, force: true });
        await this.markFollowUpDone();
        await this.audit({ step: 'followUp', event: 'done', reason: `deleted ${dir}` });
        void this.deps.repo.refresh('checklist follow-up');
        return;
      }
      case 'dbPull': {
        const cmd = dbPullCommand(this.commandContext());
        const secretEnv = this.secretEnv(this.key.environment, true);
        await this.audit({ step: 'followUp', event: 'start', commandLine: cmd.display });
        const { exitCode } = await this.deps.tasks.run(cmd, {
          id: 'followUp',
          name: `prisma db pull — ${this.key.environment}`,
          folder: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(entry.project.root)),
          secretEnv,
        });
        await this.audit({
          step: 'followUp',
          event: exitCode === 0 ? 'finish' : 'failed',
          commandLine: cmd.display,
          exitCode: exitCode ?? null,
        });
        return;
      }
      case 'deploy':
        throw new ChecklistError(
          'Deploy from the checklist is not offered: run `prisma migrate deploy` when the fixed migration is ready.',
        );
    }
  }

  dispose(): void {
    ChecklistPanel.open.delete(storageKey(this.key));
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
