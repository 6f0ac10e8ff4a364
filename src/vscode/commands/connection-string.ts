/** "Set Connection String…" and "Forget Stored Connection String…" (VS Code SecretStorage). */
import * as vscode from 'vscode';
import { isPostgresUrl, maskUrl } from '../../core/db';
import { pickEnvironment } from '../pick';
import { secretKey } from '../repository';
import { UserError } from './boundary';
import type { CommandContext } from './context';

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

function target(ctx: CommandContext, node: unknown, placeHolder: string) {
  return pickEnvironment(ctx.repo.projects, node, {
    prompt: { placeHolder },
    none: vscode.workspace.isTrusted
      ? 'No Prisma project with a PostgreSQL datasource was found in this workspace.'
      : 'Connection strings can only be used in a trusted workspace.',
  });
}

export const setConnectionString =
  (ctx: CommandContext) =>
  async (node: unknown): Promise<void> => {
    if (!vscode.workspace.isTrusted)
      throw new UserError(
        'Trust this workspace first: in Restricted Mode Prisma Rollback connects to no database.',
      );
    const t = await target(ctx, node, 'Environment to set the connection string for');
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
  };

export const clearConnectionString =
  (ctx: CommandContext) =>
  async (node: unknown): Promise<void> => {
    const t = await target(ctx, node, 'Environment whose stored connection string to forget');
    if (!t) return;
    const key = secretKey(t.project.project.id, t.env.name);
    if ((await ctx.secrets.get(key)) === undefined) {
      void vscode.window.showInformationMessage(`No connection string is stored for ${t.env.name}.`);
      return;
    }
    await ctx.secrets.delete(key);
    ctx.log.info(`Forgot the stored connection string of ${t.project.project.label} / ${t.env.name}`);
    await ctx.repo.refresh('connection string cleared');
  };
