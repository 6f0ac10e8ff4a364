/**
 * The command table: every command of the extension, `id → (ctx) => handler`, registered in one
 * place behind one error boundary (after rust-analyzer's `editors/code/src/main.ts`). Typed by
 * `CommandId`, so a command missing here does not compile; test/unit/commands-table.test.ts
 * checks the ids against package.json and that nothing else in src/ calls `registerCommand`.
 */
import * as vscode from 'vscode';
import { type Handler, withErrorBoundary } from './boundary';
import { checkDrift } from './check-drift';
import { checkImpact } from './check-impact';
import { clearConnectionString, setConnectionString } from './connection-string';
import type { CommandContext } from './context';
import { createRollback, createRollbackAsMigration } from './create-rollback';
import type { CommandId } from './ids';
import { openMigration } from './open-migration';
import { openRollback } from './open-rollback';
import { refresh } from './refresh';
import { resetDatabase } from './reset-database';
import { resolveFailed } from './resolve-failed';
import { rollBackToHere } from './roll-back-to-here';
import { startRollback } from './start-rollback';
import { verifyRollback } from './verify-rollback';

export { UserError } from './boundary';
export type { CommandContext } from './context';
export type { CommandId } from './ids';

export const COMMANDS: Record<CommandId, (ctx: CommandContext) => Handler> = {
  'prismaRollback.refresh': refresh,
  'prismaRollback.openMigration': openMigration,
  'prismaRollback.setConnectionString': setConnectionString,
  'prismaRollback.clearConnectionString': clearConnectionString,
  'prismaRollback.showLog': (ctx) => () => ctx.log.show(true),
  'prismaRollback.openSettings': () => () =>
    vscode.commands.executeCommand('workbench.action.openSettings', '@ext:prisma-rollback.prisma-rollback'),
  'prismaRollback.startRollback': startRollback,
  'prismaRollback.rollBackToHere': rollBackToHere,
  'prismaRollback.resetDatabase': resetDatabase,
  'prismaRollback.createRollback': createRollback,
  'prismaRollback.createRollbackAsMigration': createRollbackAsMigration,
  'prismaRollback.openRollback': openRollback,
  'prismaRollback.verifyRollback': verifyRollback,
  'prismaRollback.checkImpact': checkImpact,
  'prismaRollback.checkDrift': checkDrift,
  'prismaRollback.resolveFailed': resolveFailed,
};

/** Registers every command of the table, each behind the error boundary. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return (Object.entries(COMMANDS) as [CommandId, (ctx: CommandContext) => Handler][]).map(([id, make]) =>
    vscode.commands.registerCommand(id, withErrorBoundary(id, ctx.log, make(ctx))),
  );
}
