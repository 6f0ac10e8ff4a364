/** The table of CLI commands: one import and one entry per command file in src/cli/. */
import type { CliCommand } from './args';
import { statusCommand } from './status';
import { backupCommand } from './backup';
import { applyDownCommand } from './apply-down';
import { resolveCommand } from './resolve';
import { deployCommand } from './deploy';
import { resetCommand } from './reset';
import { downCommand } from './down';
import { impactCommand, verifyCommand } from './verify';

export const commands: CliCommand[] = [
  statusCommand,
  backupCommand,
  applyDownCommand,
  resolveCommand,
  deployCommand,
  resetCommand,
  downCommand,
  verifyCommand,
  impactCommand,
];
