import path from 'node:path';
import * as vscode from 'vscode';
import { pickMigration } from '../pick';
import { isFile, openRollbackDiff } from '../rollback/files';
import type { CommandContext } from './context';
import { createRollback } from './create-rollback';

/** "Open Rollback (down.sql)": the diff migration.sql ↔ down.sql; offers to create a missing one. */
export const openRollback =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    const t = await pickMigration(ctx.repo, arg, {
      prompt: { placeHolder: 'Migration whose rollback to open' },
      reason: 'migration quick pick',
      among: 'local',
      needsLocal: true,
    });
    if (!t) return;
    const dir = path.join(t.migrationsDir, t.name);
    const down = path.join(dir, 'down.sql');
    if (!isFile(down)) {
      const create = 'Create Rollback…';
      const c = await vscode.window.showInformationMessage(`${t.name} has no down.sql yet.`, create);
      if (c) await createRollback(ctx)(vscode.Uri.file(path.join(dir, 'migration.sql')));
      return;
    }
    await openRollbackDiff(path.join(dir, 'migration.sql'), down, t.name);
  };
