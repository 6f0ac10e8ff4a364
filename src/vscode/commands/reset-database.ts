/**
 * "Reset Database (migrate reset)…": the runbook's Method 1 as its own command, never a
 * checklist step. Refused on protected environments; the user types the database's name; it
 * runs the bundled `prisma-rollback reset` as a task (connection string only in its environment).
 */
import * as vscode from 'vscode';
import { appendAudit, auditEntry, auditLogPath } from '../../core/runbook/audit';
import { ChecklistError } from '../../core/runbook/checklist';
import { quoteForDisplay, shortCommandLine } from '../../core/runbook/commands';
import { databaseName } from '../../core/runbook/pg-env';
import { noConnectionLine } from '../../core/status/present';
import { taskEnvFor } from '../checklist/tasks';
import { pickConfiguredEnvironment } from '../pick';
import { readRunbookSettings } from '../settings';
import { requireTrust, UserError } from './boundary';
import type { CommandContext } from './context';

export const resetDatabase =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    requireTrust('Trust this workspace before resetting a database.');
    const picked = await pickConfiguredEnvironment(ctx.repo, arg, {
      project: { prompt: { title: 'Reset Database: project' }, reason: 'reset database' },
      environment: (entry) => ({
        prompt: { title: 'Reset Database (prisma migrate reset): environment' },
        none: `${entry.project.label} has no configured environment.`,
        item: (e) => ({
          label: e.name,
          description: e.protected ? '$(shield) protected — refused' : e.status?.target,
        }),
      }),
    });
    if (!picked) return;
    const entry = picked.project;
    const env = picked.env;
    if (env.protected) {
      throw new UserError(
        `${env.name} is protected: migrate reset deletes every row there. Use "Start Rollback…" to roll back one migration.`,
      );
    }
    const url = env.resolved?.url;
    if (!url) throw new UserError(noConnectionLine(env.name, env.resolved?.problem));
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
      vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'cli.js').fsPath,
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
    const { exitCode } = await ctx.checklist.tasks.run(
      {
        command: process.execPath,
        args,
        cwd: p.root,
        environment: env.name,
        display,
        short: shortCommandLine(process.execPath, args, {
          node: process.execPath,
          cliPath: args[0],
          projectRoot: p.root,
        }),
        marksRolledBack: false,
      },
      {
        id: `reset:${env.name}`,
        name: `Reset database — ${env.name}`,
        folder: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p.root)),
        secretEnv: userError(() => taskEnvFor(entry, env.name)),
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
    void ctx.repo.refresh('reset database');
    if (exitCode === 0)
      void vscode.window.showInformationMessage(`${env.name} was reset and every migration applied again.`);
    else {
      ctx.checklist.tasks.showTerminal(`reset:${env.name}`);
      void vscode.window.showErrorMessage(
        `Resetting ${env.name} failed${exitCode === undefined ? ' (interrupted)' : ` (exit code ${exitCode})`}: see the terminal.`,
      );
    }
  };

/** A ChecklistError (no connection string, no variable to carry it) is the user's to fix. */
function userError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ChecklistError) throw new UserError(e.message);
    throw e;
  }
}
