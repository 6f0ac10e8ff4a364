/**
 * Every command of the extension: one table, one error boundary. Each id here is declared in
 * package.json `contributes.commands` and the other way round (test/unit/manifest.test.ts).
 * Arguments that come from tree items are validated before use.
 */
import * as vscode from 'vscode';
import { isPostgresUrl, maskUrl } from '../core/db';
import { coreLoadMs, loadCore } from './core';
import { redactSecrets } from './redact';
import { type EnvironmentEntry, type MigrationsRepository, type ProjectEntry, secretKey } from './repository';
import { type RollbackEditor, RollbackUserError } from './rollback';
import { connectionTarget, isMigrationNode } from './tree';

export interface CommandContext {
  repo: MigrationsRepository;
  log: vscode.LogOutputChannel;
  secrets: vscode.SecretStorage;
  /** Create / Verify Rollback, Check Impact (src/vscode/rollback.ts). */
  rollback: RollbackEditor;
}

/** An error whose message is meant for the user as is (no "unexpected error" wording). */
export class UserError extends Error {}

export interface CommandDefinition {
  id: string;
  run: (ctx: CommandContext, ...args: unknown[]) => unknown;
}

export const COMMANDS: CommandDefinition[] = [
  { id: 'prismaRollback.refresh', run: (ctx) => refresh(ctx) },
  { id: 'prismaRollback.openMigration', run: (_ctx, node) => openMigration(node) },
  { id: 'prismaRollback.setConnectionString', run: (ctx, node) => setConnectionString(ctx, node) },
  { id: 'prismaRollback.clearConnectionString', run: (ctx, node) => clearConnectionString(ctx, node) },
  { id: 'prismaRollback.showLog', run: (ctx) => ctx.log.show(true) },
  {
    id: 'prismaRollback.openSettings',
    run: () =>
      vscode.commands.executeCommand('workbench.action.openSettings', `@ext:prisma-rollback.prisma-rollback`),
  },
  { id: 'prismaRollback.createRollback', run: (ctx, arg) => ctx.rollback.create(arg) },
  { id: 'prismaRollback.createRollbackAsMigration', run: (ctx, arg) => ctx.rollback.create(arg, true) },
  { id: 'prismaRollback.openRollback', run: (ctx, arg) => ctx.rollback.open(arg) },
  { id: 'prismaRollback.verifyRollback', run: (ctx, arg) => ctx.rollback.verify(arg) },
  { id: 'prismaRollback.checkImpact', run: (ctx, arg) => ctx.rollback.impact(arg) },
];

/** Wraps a handler: any failure is logged (secrets redacted) and shown once, with a way to the log. */
export function withErrorBoundary(id: string, ctx: CommandContext, run: CommandDefinition['run']) {
  return async (...args: unknown[]): Promise<unknown> => {
    try {
      return await run(ctx, ...args);
    } catch (e) {
      const message = redactSecrets(e instanceof Error ? e.message : String(e));
      ctx.log.error(
        `${id} failed: ${redactSecrets(e instanceof Error ? (e.stack ?? e.message) : String(e))}`,
      );
      const text =
        e instanceof UserError || e instanceof RollbackUserError ? message : `Prisma Rollback: ${message}`;
      void vscode.window.showErrorMessage(text, 'Show Log').then((choice) => {
        if (choice) ctx.log.show(true);
      });
      return undefined;
    }
  };
}

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return COMMANDS.map((c) => vscode.commands.registerCommand(c.id, withErrorBoundary(c.id, ctx, c.run)));
}

async function refresh(ctx: CommandContext): Promise<void> {
  await vscode.window.withProgress(
    { location: { viewId: 'prismaRollback.migrations' }, title: 'Refreshing migrations' },
    async () => {
      // An explicit refresh evaluates prisma.config.* again: the cache cannot see edits to the
      // modules a config imports.
      if (coreLoadMs() > 0) (await loadCore()).clearConfigCache();
      await ctx.repo.refresh('refresh command');
    },
  );
}

async function openMigration(node: unknown): Promise<void> {
  let target: vscode.Uri | undefined;
  if (isMigrationNode(node)) {
    const local = node.migration.local;
    if (!local)
      throw new UserError(
        `${node.migration.name} is not in the local migrations folder: there is no file to open.`,
      );
    target = vscode.Uri.file(local.sqlPath);
  } else if (node instanceof vscode.Uri) {
    target = node;
  }
  if (!target) throw new UserError('Open Migration works on a migration of the Migrations view.');
  await vscode.window.showTextDocument(target, { preview: true });
}

interface Target {
  project: ProjectEntry;
  env: EnvironmentEntry;
}

async function pickTarget(
  ctx: CommandContext,
  node: unknown,
  placeHolder: string,
): Promise<Target | undefined> {
  const fromNode = connectionTarget(node);
  if (fromNode) return fromNode;
  const targets = ctx.repo.projects.flatMap((project) =>
    project.environments.map((env) => ({ project, env })),
  );
  if (targets.length === 0) {
    throw new UserError(
      vscode.workspace.isTrusted
        ? 'No Prisma project with a PostgreSQL datasource was found in this workspace.'
        : 'Connection strings can only be used in a trusted workspace.',
    );
  }
  if (targets.length === 1) return targets[0];
  const picked = await vscode.window.showQuickPick(
    targets.map((t) => ({
      label: t.env.name,
      description: ctx.repo.projects.length > 1 ? t.project.project.label : undefined,
      detail: t.env.status?.target ?? t.env.resolved?.problem,
      target: t,
    })),
    { placeHolder },
  );
  return picked?.target;
}

/** Checks a connection string typed by the user; returns the problem or undefined. */
export function validateConnectionString(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Enter a connection string.';
  if (!isPostgresUrl(v)) return 'A PostgreSQL connection string starts with postgresql:// or postgres://';
  try {
    const u = new URL(v);
    if (!u.hostname) return 'The connection string has no host.';
  } catch {
    return 'This is not a valid URL (special characters in the password must be percent-encoded).';
  }
  return undefined;
}

async function setConnectionString(ctx: CommandContext, node: unknown): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    throw new UserError(
      'Trust this workspace first: in Restricted Mode Prisma Rollback connects to no database.',
    );
  }
  const t = await pickTarget(ctx, node, 'Environment to set the connection string for');
  if (!t) return;
  const value = await vscode.window.showInputBox({
    title: `Connection string for ${t.env.name}${ctx.repo.projects.length > 1 ? ` (${t.project.project.label})` : ''}`,
    prompt: 'Stored in VS Code SecretStorage (never in settings). Use the direct URL, not a pooler.',
    placeHolder: 'postgresql://user:password@host:5432/database?schema=public',
    password: true,
    ignoreFocusOut: true,
    validateInput: validateConnectionString,
  });
  if (value === undefined) return;
  await ctx.secrets.store(secretKey(t.project.project.id, t.env.name), value.trim());
  ctx.log.info(
    `Stored a connection string for ${t.project.project.label} / ${t.env.name}: ${maskUrl(value.trim())}`,
  );
  await ctx.repo.refresh('connection string set');
}

async function clearConnectionString(ctx: CommandContext, node: unknown): Promise<void> {
  const t = await pickTarget(ctx, node, 'Environment whose stored connection string to forget');
  if (!t) return;
  const key = secretKey(t.project.project.id, t.env.name);
  if ((await ctx.secrets.get(key)) === undefined) {
    void vscode.window.showInformationMessage(`No connection string is stored for ${t.env.name}.`);
    return;
  }
  await ctx.secrets.delete(key);
  ctx.log.info(`Forgot the stored connection string of ${t.project.project.label} / ${t.env.name}`);
  await ctx.repo.refresh('connection string cleared');
}
