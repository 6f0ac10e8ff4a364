/**
 * Every command id of the extension, as declared in package.json `contributes.commands` (in that
 * order). `CommandId` types the command table, the CodeLenses and `executeCommand` calls, so a
 * typo does not compile; test/unit/commands-table.test.ts checks this list against the manifest
 * and the table. No 'vscode' import (read by unit tests in plain Node).
 */
export const COMMAND_IDS = [
  'prismaRollback.refresh',
  'prismaRollback.openMigration',
  'prismaRollback.setConnectionString',
  'prismaRollback.clearConnectionString',
  'prismaRollback.showLog',
  'prismaRollback.openSettings',
  'prismaRollback.startRollback',
  'prismaRollback.rollBackToHere',
  'prismaRollback.resetDatabase',
  'prismaRollback.createRollback',
  'prismaRollback.createRollbackAsMigration',
  'prismaRollback.openRollback',
  'prismaRollback.verifyRollback',
  'prismaRollback.checkImpact',
  'prismaRollback.checkDrift',
  'prismaRollback.resolveFailed',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
