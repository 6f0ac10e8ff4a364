/** The table of CLI commands: one import and one entry per command file in src/cli/. */

import { applyDownCommand } from './apply-down';
import { archiveCommand } from './archive';
import type { CliCommand } from './args';
import { backupCommand } from './backup';
import { deployCommand } from './deploy';
import { downCommand } from './down';
import { driftCommand } from './drift';
import { resetCommand } from './reset';
import { resolveCommand } from './resolve';
import { restoreCommand } from './restore';
import { statusCommand } from './status';
import { impactCommand, verifyCommand } from './verify';

export const commands: CliCommand[] = [
  statusCommand,
  backupCommand,
  applyDownCommand,
  resolveCommand,
  deployCommand,
  archiveCommand,
  resetCommand,
  restoreCommand,
  downCommand,
  verifyCommand,
  impactCommand,
  driftCommand,
];
