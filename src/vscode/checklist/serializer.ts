/**
 * The rollback checklist's wiring: its task runner, the services of steps 1, 3, 4 and 5 (loaded
 * lazily with the rest of the core on first use), and the webview panel serializer that restores
 * open checklists after a reload. "Start Rollback…" is a command of the table
 * (src/vscode/commands/start-rollback.ts).
 */
import * as vscode from 'vscode';
import { loadCore } from '../core';
import type { MigrationsRepository } from '../repository';
import { readRollbackSettings, readSettings } from '../settings';
import { type ChecklistDeps, ChecklistPanel, type ChecklistServices, VIEW_TYPE } from './panel';
import { TaskRunner } from './tasks';

export interface ChecklistRegistration {
  context: vscode.ExtensionContext;
  repo: MigrationsRepository;
  log: vscode.LogOutputChannel;
  /** Generator, verifier, impact check… when they exist (their steps read "not available yet" otherwise). */
  services?: ChecklistServices;
}

/** The checklist's dependencies (for the panels and the commands) and what to dispose with the extension. */
export function setUpChecklist(r: ChecklistRegistration): {
  deps: ChecklistDeps;
  disposables: vscode.Disposable[];
} {
  const tasks = new TaskRunner();
  const deps: ChecklistDeps = {
    context: r.context,
    repo: r.repo,
    log: r.log,
    tasks,
    services: r.services ?? defaultServices(),
  };
  const serializer = vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      // The projects must be known before the checklist can find its environment.
      if (r.repo.projects.length === 0) await r.repo.refresh('restore checklist');
      ChecklistPanel.revive(deps, panel, state);
    },
  });
  return { deps, disposables: [tasks, serializer] };
}

/**
 * Steps 1 (dependent migrations), 3 (generator), 4 (verifier) and 5 (live impact pre-check),
 * loaded lazily with the rest of the core on first use.
 */
export function defaultServices(): ChecklistServices {
  return {
    async dependents({ project, migration }) {
      const core = await loadCore();
      return core.dependentsOf(project.migrationsDir, migration);
    },
    async impact({ project, migration, environment, url }) {
      const core = await loadCore();
      return core.impactOnTarget({
        url,
        environment,
        migrationsDir: project.migrationsDir,
        migration,
        statementTimeoutMs: readSettings(vscode.Uri.file(project.root)).statementTimeoutMs,
      });
    },
    async drift({ project, environment, url }) {
      const core = await loadCore();
      return core.driftOfEnvironment({
        url,
        environment,
        migrationsDir: project.migrationsDir,
        shadowSetting: readRollbackSettings(vscode.Uri.file(project.root)).shadowDatabaseUrl,
        // The replay runs in the verifier's worker: each step has verify's time limit.
        timeoutMs: readRollbackSettings(vscode.Uri.file(project.root)).verifyTimeoutMs,
        envFiles: project.envFiles,
      });
    },
    async assessFailed({ project, migration, environment, url }) {
      const core = await loadCore();
      const a = await core.assessFailedMigration({
        url,
        environment,
        migrationsDir: project.migrationsDir,
        failed: migration,
        shadowSetting: readRollbackSettings(vscode.Uri.file(project.root)).shadowDatabaseUrl,
        // The replay runs in the verifier's worker: each step has verify's time limit.
        timeoutMs: readRollbackSettings(vscode.Uri.file(project.root)).verifyTimeoutMs,
        envFiles: project.envFiles,
      });
      const lines = (label: string, r?: { kind: string; differences?: { message: string }[] }) =>
        r?.kind === 'drift'
          ? [label, ...(r.differences ?? []).slice(0, 10).map((d) => `  ${d.message}`)]
          : [];
      return {
        verdict: a.verdict,
        summary: a.summary,
        lines: [
          ...lines('Against the migrations before it (1..N-1):', a.withoutIt),
          ...lines('Against the migrations with it (1..N):', a.withIt),
        ],
      };
    },
    async generate({ project, migration }) {
      const core = await loadCore();
      return core.ensureRollbackScript(project.migrationsDir, migration);
    },
    async verifyChain({ project, to, through }) {
      const core = await loadCore();
      const settings = readRollbackSettings(vscode.Uri.file(project.root));
      return core.verifyRollbackChainScripts(project.migrationsDir, to, {
        through,
        shadowSetting: settings.shadowDatabaseUrl,
        timeoutMs: settings.verifyTimeoutMs,
        envFiles: project.envFiles,
      });
    },
    async verify({ project, migration, onProgress, data }) {
      const core = await loadCore();
      const settings = readRollbackSettings(vscode.Uri.file(project.root));
      return core.verifyRollbackScript(project.migrationsDir, migration, {
        shadowSetting: settings.shadowDatabaseUrl,
        timeoutMs: settings.verifyTimeoutMs,
        envFiles: project.envFiles,
        data,
        onProgress: onProgress && ((_m, step) => step && onProgress(core.replayProgressText(step))),
      });
    },
  };
}
