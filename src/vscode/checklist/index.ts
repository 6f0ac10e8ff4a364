/**
 * The rollback checklist in the editor: the "Start Rollback…" command (tree context menu on
 * applied/failed migrations, CodeLens/explorer on migration.sql, palette), the webview panel
 * serializer that restores open checklists after a reload, and the task runner.
 *
 * Wire it from activate(): `context.subscriptions.push(...registerChecklist({ context, repo, log }))`.
 */
import * as vscode from 'vscode';
import { type ChecklistKey, ROLLBACKABLE_STATES } from '../../core/runbook/checklist';
import { loadCore } from '../core';
import type { EnvironmentEntry, MigrationsRepository, ProjectEntry } from '../repository';
import { readSettings } from '../settings';
import { isMigrationNode } from '../tree';
import { type ChecklistDeps, ChecklistPanel, type ChecklistServices, VIEW_TYPE } from './panel';
import { resetDatabaseCommand } from './reset';
import { TaskRunner } from './tasks';

export { type ChecklistServices, VIEW_TYPE } from './panel';
export const START_COMMAND = 'prismaRollback.startRollback';

export interface ChecklistRegistration {
  context: vscode.ExtensionContext;
  repo: MigrationsRepository;
  log: vscode.LogOutputChannel;
  /** Generator, verifier, impact check… when they exist (their steps read "not available yet" otherwise). */
  services?: ChecklistServices;
}

export function registerChecklist(r: ChecklistRegistration): vscode.Disposable[] {
  const tasks = new TaskRunner();
  const deps: ChecklistDeps = {
    context: r.context,
    repo: r.repo,
    log: r.log,
    tasks,
    services: r.services ?? defaultServices(),
  };
  return [
    tasks,
    vscode.commands.registerCommand('prismaRollback.startRollback', async (arg?: unknown) => {
      try {
        const key = await pickTarget(r.repo, arg);
        if (key) ChecklistPanel.show(deps, key);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        r.log.error(`Start Rollback: ${message}`);
        void vscode.window.showErrorMessage(`Prisma Rollback: ${message}`);
      }
    }),
    vscode.commands.registerCommand('prismaRollback.resetDatabase', async (arg?: unknown) => {
      try {
        await resetDatabaseCommand({ context: r.context, repo: r.repo, tasks }, arg);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        r.log.error(`Reset Database: ${message}`);
        void vscode.window.showErrorMessage(`Prisma Rollback: ${message}`);
      }
    }),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        // The projects must be known before the checklist can find its environment.
        if (r.repo.projects.length === 0) await r.repo.refresh('restore checklist');
        ChecklistPanel.revive(deps, panel, state);
      },
    }),
  ];
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
    async generate({ project, migration }) {
      const core = await loadCore();
      return core.ensureRollbackScript(project.migrationsDir, migration);
    },
    async verify({ project, migration }) {
      const core = await loadCore();
      const shadow = vscode.workspace
        .getConfiguration('prismaRollback', vscode.Uri.file(project.root))
        .get<string>('shadowDatabaseUrl');
      return core.verifyRollbackScript(project.migrationsDir, migration, {
        shadowSetting: shadow,
        envFiles: project.envFiles,
      });
    },
  };
}

/** The project × migration × environment to open: from a tree item, a migration.sql Uri, or pickers. */
async function pickTarget(repo: MigrationsRepository, arg: unknown): Promise<ChecklistKey | undefined> {
  if (!vscode.workspace.isTrusted) {
    throw new Error('The rollback checklist runs commands against databases: trust this workspace first.');
  }
  if (repo.projects.length === 0) await repo.refresh('start rollback');
  if (isMigrationNode(arg)) {
    return { projectId: arg.project.project.id, migration: arg.migration.name, environment: arg.env.name };
  }
  let entry: ProjectEntry | undefined;
  let migration: string | undefined;
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (uri && /(?:^|[\\/])(migration|down)\.sql$/.test(uri.fsPath)) {
    const found = repo.findMigration(uri.fsPath.replace(/down\.sql$/, 'migration.sql'));
    if (found) ({ entry, name: migration } = found);
  }
  if (!entry) {
    const projects = repo.projects.filter((p) => p.environments.length > 0);
    if (projects.length === 0)
      throw new Error('No Prisma project with a configured environment in this workspace.');
    entry =
      projects.length === 1
        ? projects[0]
        : (
            await vscode.window.showQuickPick(
              projects.map((p) => ({ label: p.project.label, description: p.project.root, entry: p })),
              { title: 'Start Rollback: project' },
            )
          )?.entry;
    if (!entry) return undefined;
  }
  if (!migration) {
    const names = new Map<string, string[]>();
    for (const env of entry.environments) {
      for (const m of env.status?.migrations ?? []) {
        if (ROLLBACKABLE_STATES.has(m.state))
          names.set(m.name, [...(names.get(m.name) ?? []), `${env.name}: ${m.state}`]);
      }
    }
    if (names.size === 0)
      throw new Error(
        `No migration of ${entry.project.label} is applied or failed in any environment: nothing to roll back.`,
      );
    const picked = await vscode.window.showQuickPick(
      [...names.entries()]
        .reverse()
        .map(([name, where]) => ({ label: name, description: where.join(' · ') })),
      { title: 'Start Rollback: migration (most recent first)', matchOnDescription: true },
    );
    migration = picked?.label;
    if (!migration) return undefined;
  }
  const env = await pickEnvironment(entry, migration);
  return env ? { projectId: entry.project.id, migration, environment: env.name } : undefined;
}

async function pickEnvironment(
  entry: ProjectEntry,
  migration: string,
): Promise<EnvironmentEntry | undefined> {
  const envs = entry.environments;
  if (envs.length === 1) return envs[0];
  const picked = await vscode.window.showQuickPick(
    envs.map((e) => {
      const m = e.status?.migrations.find((x) => x.name === migration);
      return {
        label: e.name,
        description: [e.protected ? '$(shield) protected' : '', m ? m.state : 'not in status']
          .filter(Boolean)
          .join(' · '),
        env: e,
      };
    }),
    { title: `Start Rollback of ${migration}: target environment` },
  );
  return picked?.env;
}
