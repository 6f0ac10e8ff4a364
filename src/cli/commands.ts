/** The table of CLI commands: one import and one entry per command file in src/cli/. */
import type { CliCommand } from './args';
import { statusCommand } from './status';

export const commands: CliCommand[] = [statusCommand];
