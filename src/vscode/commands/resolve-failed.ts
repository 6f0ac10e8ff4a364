/**
 * "Resolve Failed Migration…": for a migration recorded as failed in an environment, shows
 * Prisma's failure log, compares the live schema with the replay of the applied migrations
 * without it (core `driftOfEnvironment`), and offers only the actions that fit — never an Apply:
 * nothing left → mark it rolled back; something left → write the script that undoes it
 * (`down --partial`, opened for review) or, finished by hand, mark it applied (the CLI checks the
 * schema again before marking). Marks run the bundled CLI as a task (the connection string only
 * in its environment); a protected environment needs its name typed.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { redactSecrets } from '../../core/db/redact';
import { ChecklistError } from '../../core/runbook/checklist';
import { quoteForDisplay, shortCommandLine } from '../../core/runbook/commands';
import { taskEnvFor } from '../checklist/tasks';
import { loadCore } from '../core';
import { pickEnvironment, pickMigration } from '../pick';
import type { EnvironmentEntry, ProjectEntry } from '../repository';
import { readRollbackSettings } from '../settings';
import { UserError } from './boundary';
import type { CommandContext } from './context';

const MARK_ROLLED_BACK = 'Mark Rolled Back';
const WRITE_PARTIAL = 'Write the Script That Undoes What It Left…';
const MARK_APPLIED = 'Finished by Hand: Mark Applied';
const MARK_UNCHECKED = 'Mark Rolled Back Without the Check';

export const resolveFailed =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    if (!vscode.workspace.isTrusted)
      throw new UserError('Resolving a failed migration connects to a database: trust this workspace first.');
    const t = await pickMigration(ctx.repo, arg, {
      prompt: { title: 'Resolve Failed Migration: migration' },
      reason: 'resolve failed migration',
      among: 'rollbackable',
      needsLocal: true,
      needsProject: true,
    });
    if (!t?.project) return;
    const entry = t.project;
    const picked = await pickEnvironment(entry, arg, {
      prompt: { placeHolder: `Environment where ${t.name} failed` },
      none: 'This project has no environment with a connection string.',
      item: (e) => ({
        label: e.name,
        description: e.status?.migrations.find((x) => x.name === t.name)?.state,
      }),
    });
    if (!picked) return;
    const env = picked.env;
    const m = env.status?.migrations.find((x) => x.name === t.name);
    if (m?.state !== 'failed')
      throw new UserError(
        `${t.name} is not recorded as failed in ${env.name} (${m?.state ?? 'unknown'}): there is nothing to resolve.`,
      );
    const url = env.resolved?.url;
    if (!url) throw new UserError(`No connection string for ${env.name}.`);
    const logs = redactSecrets(m.latest?.logs ?? '(Prisma recorded no log)');
    ctx.log.info(`Prisma's failure log of ${t.name} in ${env.name}:\n${logs}`);
    const core = await loadCore();
    const p = entry.project;
    const drift = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Checking what ${t.name} left in ${env.name}`,
      },
      () =>
        core.driftOfEnvironment({
          url,
          environment: env.name,
          migrationsDir: p.migrationsDir,
          shadowSetting: readRollbackSettings(vscode.Uri.file(p.root)).shadowDatabaseUrl,
          envFiles: p.envFiles,
          shown: 10,
        }),
    );
    const found = redactSecrets(drift.summary);
    ctx.log.info(`Resolve ${t.name}: ${found}`);
    const actions =
      drift.kind === 'none'
        ? [MARK_ROLLED_BACK]
        : drift.kind === 'drift'
          ? [WRITE_PARTIAL, MARK_APPLIED]
          : [MARK_UNCHECKED];
    const lead =
      drift.kind === 'none'
        ? `${t.name} left nothing applied in ${env.name}: its schema is the replay of the migrations before it.`
        : drift.kind === 'drift'
          ? `${t.name} left changes in ${env.name}. Undo them (review the script, run it, then resolve again), or finish the migration by hand and mark it applied.`
          : `The schema of ${env.name} could not be compared with its migrations.`;
    const choice = await vscode.window.showWarningMessage(
      `Resolve failed migration ${t.name} in ${env.name}`,
      { modal: true, detail: `${lead}\n\n${found}\n\nPrisma's failure log:\n${logs.slice(0, 1500)}` },
      ...actions,
    );
    if (!choice) return;
    if (choice === WRITE_PARTIAL) {
      const out = path.join(
        path.dirname(m.local?.sqlPath ?? p.migrationsDir),
        `down.partial.${env.name.replace(/[^\w.-]+/g, '_')}.sql`,
      );
      const code = await runCli(
        ctx,
        entry,
        env,
        ['down', t.name, '--partial', '--out', out, '--force'],
        'partial',
      );
      if (code === 0 || code === 1) await vscode.window.showTextDocument(vscode.Uri.file(out));
      return;
    }
    const flags =
      choice === MARK_APPLIED
        ? ['--applied', t.name]
        : choice === MARK_UNCHECKED
          ? ['--rolled-back', t.name, '--skip-drift-check']
          : ['--rolled-back', t.name];
    if (env.protected) {
      const typed = await vscode.window.showInputBox({
        title: `${env.name} is protected`,
        prompt: `Type ${env.name} to record this in its _prisma_migrations`,
        validateInput: (v) => (v === env.name ? undefined : `Type ${env.name} exactly`),
        ignoreFocusOut: true,
      });
      if (typed !== env.name) return;
      flags.push('--confirm', env.name);
    }
    const code = await runCli(ctx, entry, env, ['resolve', ...flags], 'resolve');
    void ctx.repo.refresh('resolve failed migration');
    if (code === 0) void vscode.window.showInformationMessage(`${t.name} is resolved in ${env.name}.`);
    else
      void vscode.window.showErrorMessage(
        `Resolving ${t.name} in ${env.name} was refused or failed: see the terminal.`,
      );
  };

/** Runs the bundled CLI on the project and environment as a task; its exit code. */
async function runCli(
  ctx: CommandContext,
  entry: ProjectEntry,
  env: EnvironmentEntry,
  argv: string[],
  what: string,
): Promise<number | undefined> {
  const p = entry.project;
  const args = [
    vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'cli.js').fsPath,
    ...argv,
    '--project',
    p.root,
    '--migrations',
    p.migrationsDir,
    '--env',
    env.name,
  ];
  let secretEnv: Record<string, string>;
  try {
    secretEnv = taskEnvFor(entry, env.name);
  } catch (e) {
    if (e instanceof ChecklistError) throw new UserError(e.message);
    throw e;
  }
  const id = `${what}:${env.name}`;
  const { exitCode } = await ctx.checklist.tasks.run(
    {
      command: process.execPath,
      args,
      cwd: p.root,
      environment: env.name,
      display: [process.execPath, ...args].map(quoteForDisplay).join(' '),
      short: shortCommandLine(process.execPath, args, {
        node: process.execPath,
        cliPath: args[0],
        projectRoot: p.root,
      }),
      marksRolledBack: false,
    },
    {
      id,
      name: `Resolve failed migration — ${env.name}`,
      folder: vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p.root)),
      secretEnv,
    },
  );
  if (exitCode !== 0) ctx.checklist.tasks.showTerminal(id);
  return exitCode;
}
