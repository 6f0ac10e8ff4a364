/**
 * Entry point of the VS Code extension. Activation only registers the view, the CodeLenses and the
 * command table. The project and status modules (dist/core-api.js, the schema engine's WebAssembly)
 * load on the first refresh, which starts when the view is shown or a migration.sql is opened.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { setUpChecklist } from './vscode/checklist/serializer';
import { MIGRATION_SQL_SELECTOR, MigrationCodeLensProvider } from './vscode/codelens';
import { registerCommands } from './vscode/commands';
import { coreLoadMs, loadCore } from './vscode/core';
import { MigrationsRepository } from './vscode/repository';
import { ROLLBACK_SELECTOR, RollbackCodeLensProvider } from './vscode/rollback/codelens';
import { RollbackDiagnostics } from './vscode/rollback/diagnostics';
import { RollbackState } from './vscode/rollback/state';
import { runtimeProblem } from './vscode/runtime';
import { readRollbackSettings } from './vscode/settings';
import { MigrationsTreeProvider } from './vscode/tree';

export const VIEW_ID = 'prismaRollback.migrations';

let repository: MigrationsRepository | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const problem = runtimeProblem(process.versions.node, vscode.version);
  if (problem) {
    void vscode.commands.executeCommand('setContext', 'prismaRollback.state', 'unsupportedRuntime');
    void vscode.window.showErrorMessage(problem);
    return;
  }
  const started = performance.now();
  const initialState = vscode.workspace.workspaceFolders?.length ? 'loading' : 'noWorkspace';
  void vscode.commands.executeCommand('setContext', 'prismaRollback.state', initialState);

  const log = vscode.window.createOutputChannel('Prisma Rollback', { log: true });
  const repo = new MigrationsRepository(context.secrets, log);
  repository = repo;
  const rollbacks = new RollbackState(log, context.workspaceState);
  repo.relay(rollbacks.onDidChange);
  const diagnostics = new RollbackDiagnostics(repo, rollbacks);
  const tree = new MigrationsTreeProvider(repo, (dir, name) => rollbacks.treeDecoration(dir, name));
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const restricted = () => {
    view.message = vscode.workspace.isTrusted
      ? undefined
      : 'Restricted Mode: migrations are read from files only; no database is contacted.';
  };
  restricted();
  const lenses = new MigrationCodeLensProvider(repo);
  const rollbackLenses = new RollbackCodeLensProvider(repo, rollbacks);
  const checklist = setUpChecklist({ context, repo, log });

  context.subscriptions.push(
    log,
    repo,
    tree,
    view,
    lenses,
    vscode.languages.registerCodeLensProvider(MIGRATION_SQL_SELECTOR, lenses),
    rollbacks,
    diagnostics,
    rollbackLenses,
    vscode.languages.registerCodeLensProvider(ROLLBACK_SELECTOR, rollbackLenses),
    vscode.workspace.onDidGrantWorkspaceTrust(restricted),
    ...checklist.disposables,
    ...registerCommands({
      extension: context,
      repo,
      log,
      secrets: context.secrets,
      rollbacks,
      diagnostics,
      checklist: checklist.deps,
    }),
  );

  // Setting prismaRollback.verify.warmStart: once the editor is idle, start the verifier's worker
  // when the workspace has migrations, with the state before the last migration of the first
  // migrations folder found replayed (or loaded from the replay cache) and its catalogs read, so
  // that the first Verify only applies the migration and its rollback. In Restricted Mode only
  // PGlite is started: nothing of the workspace runs until the user asks.
  const warm = setTimeout(() => {
    const settings = readRollbackSettings();
    if (!settings.warmStart) return;
    void Promise.resolve(vscode.workspace.findFiles('**/migrations/*/migration.sql', '**/node_modules/**', 1))
      .then(async (found) => {
        if (!found.length) return;
        const core = await loadCore();
        if (!vscode.workspace.isTrusted) return core.warmEmbeddedVerifier();
        const folder = await core.readMigrationsFolder(path.dirname(path.dirname(found[0].fsPath)));
        // As Verify Rollback builds its history (the same text, the same replay-cache keys).
        const migrations = core.verifyHistory(folder.migrations);
        const t = performance.now();
        await core.warmVerifierFor(migrations, {
          replayCacheDir: core.defaultReplayCacheDir(),
          timeoutMs: settings.verifyTimeoutMs,
        });
        log.info(
          `Verifier warmed for ${folder.migrations.length} migrations in ${(performance.now() - t).toFixed(0)} ms`,
        );
      })
      .catch(() => {});
  }, 10_000);
  context.subscriptions.push({ dispose: () => clearTimeout(warm) });

  // The first refresh starts when the view is shown or a migration.sql is opened (repo.ensureStarted).
  log.info(
    `Activated in ${(performance.now() - started).toFixed(1)} ms (VS Code ${vscode.version}, Node.js ${process.versions.node})`,
  );
}

export async function deactivate(): Promise<void> {
  const repo = repository;
  repository = undefined;
  await repo?.close();
  // The embedded PostgreSQL of the verifier, if the core was loaded at all.
  if (repo && coreLoadMs() > 0)
    await loadCore()
      .then((core) => core.disposeEmbeddedVerifier())
      .catch(() => {});
}
