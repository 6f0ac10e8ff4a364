/**
 * "Reset Database (migrate reset)…": the runbook's Method 1 as its own command, never a
 * checklist step. Refused on protected environments; the user types the database's name; it
 * runs the bundled `prisma-rollback reset` as a task (connection string only in its environment).
 */
import * as vscode from 'vscode';
import { appendAudit, auditEntry, auditLogPath } from '../../core/runbook/audit';
import { quoteForDisplay } from '../../core/runbook/commands';
import { databaseName } from '../../core/runbook/pg-env';
import type { MigrationsRepository } from '../repository';
import { isMigrationNode } from '../tree';
import { readRunbookSettings, taskEnvFor } from './panel';
import type { TaskRunner } from './tasks';

export async function resetDatabaseCommand(
  o: { context: vscode.ExtensionContext; repo: MigrationsRepository; tasks: TaskRunner },
  arg?: unknown,
): Promise<void> {
  if (!vscode.workspace.isTrusted) throw new Error('Trust this workspace before resetting a database.');
  if (o.repo.projects.length === 0) await o.repo.refresh('reset database');
  let entry = isMigrationNode(arg) ? arg.project : undefined;
  let envName = isMigrationNode(arg) ? arg.env.name : undefined;
  if (!entry) {
    const projects = o.repo.projects.filter((p) => p.environments.length > 0);
    entry =
      projects.length === 1
        ? projects[0]
        : (
            await vscode.window.showQuickPick(
              projects.map((p) => ({ label: p.project.label, description: p.project.root, entry: p })),
              { title: 'Reset Database: project' },
            )
          )?.entry;
    if (!entry) return;
  }
  if (!envName) {
    const picked = await vscode.window.showQuickPick(
      entry.environments.map((e) => ({
        label: e.name,
        description: e.protected ? '$(shield) protected — refused' : e.status?.target,
        env: e,
      })),
      { title: 'Reset Database (prisma migrate reset): environment' },
    );
    envName = picked?.label;
    if (!envName) return;
  }
  const env = entry.environments.find((e) => e.name === envName);
  if (!env) return;
  if (env.protected) {
    throw new Error(
      `${env.name} is protected: migrate reset deletes every row there. Use "Start Rollback…" to roll back one migration.`,
    );
  }
  const url = env.resolved?.url;
  if (!url)
    throw new Error(`${env.name} has no connection string: ${env.resolved?.problem ?? 'not configured'}.`);
  const db = databaseName(url);
  const typed = await vscode.window.showInputBox({
    title: `Reset ${env.name}: every table and row of “${db}” is deleted, then all migrations are applied again`,
    prompt: `Type the database name (${db}) to confirm`,
    validateInput: (v) => (v === db ? undefined : `Type ${db} exactly`),
    ignoreFocusOut: true,
  });
  if (typed !== db) return;
  const p = entry.project;
  const args = [
    vscode.Uri.joinPath(o.context.extensionUri, 'dist', 'cli.js').fsPath,
    'reset',
    '--project',
    p.root,
    '--migrations',
    p.migrationsDir,
    '--env',
    env.name,
    '--confirm',
    db,
  ];
  const display = [process.execPath, ...args].map(quoteForDisplay).join(' ');
  const { exitCode } = await o.tasks.run(
    { command: process.execPath, args, cwd: p.root, environment: env.name, display, marksRolledBack: false },
    {
      id: `reset:${env.name}`,
      name: `Reset database — ${env.name}`,
      folder: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p.root)),
      secretEnv: taskEnvFor(entry, env.name),
    },
  );
  await appendAudit(
    auditLogPath(p.root, readRunbookSettings(vscode.Uri.file(p.root)).auditLogPath),
    auditEntry({ projectId: p.id, migration: '*', environment: env.name }, p.label, {
      step: 'checklist',
      event: exitCode === 0 ? 'finish' : 'failed',
      commandLine: display,
      exitCode: exitCode ?? null,
      reason: 'migrate reset (runbook Method 1)',
    }),
  ).catch(() => {});
  void o.repo.refresh('reset database');
  if (exitCode === 0)
    void vscode.window.showInformationMessage(`${env.name} was reset and every migration applied again.`);
  else {
    o.tasks.showTerminal(`reset:${env.name}`);
    void vscode.window.showErrorMessage(
      `Resetting ${env.name} failed${exitCode === undefined ? ' (interrupted)' : ` (exit code ${exitCode})`}: see the terminal.`,
    );
  }
}
