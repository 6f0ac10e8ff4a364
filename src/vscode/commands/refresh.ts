import * as vscode from 'vscode';
import { coreLoadMs, loadCore } from '../core';
import type { CommandContext } from './context';

/** "Refresh": reads projects, environments and statuses again (progress on the view). */
export const refresh = (ctx: CommandContext) => async (): Promise<void> => {
  await vscode.window.withProgress(
    { location: { viewId: 'prismaRollback.migrations' }, title: 'Refreshing migrations' },
    async () => {
      // An explicit refresh evaluates prisma.config.* again: the cache cannot see edits to the
      // modules a config imports.
      if (coreLoadMs() > 0) (await loadCore()).clearConfigCache();
      await ctx.repo.refresh('refresh command');
    },
  );
};
