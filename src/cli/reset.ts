/** `prisma-rollback reset` — the runbook's Method 1 (`prisma migrate reset`), refused on protected environments. */
import { resetDatabase } from '../core/runbook/reset';
import { type CliCommand, flag, UsageError } from './args';
import { runbookAction, runbookTarget } from './backup';

export const resetCommand: CliCommand = {
  name: 'reset',
  summary: 'Empty a non-protected database and apply every migration again (prisma migrate reset)',
  usage: 'prisma-rollback reset --env NAME --confirm DATABASE_NAME [--project DIR] [--migrations DIR]',
  async run(args, io) {
    const confirm = flag(args, 'confirm');
    if (!confirm)
      throw new UsageError('--confirm DATABASE_NAME is required: every row of that database is deleted.');
    const { target, env, url } = await runbookTarget(args, io);
    const r = await runbookAction(
      () =>
        resetDatabase({
          url,
          environment: env.name,
          migrationsDir: target.migrationsDir,
          protected: env.protected,
          confirm,
          log: (l) => io.out(l),
        }),
      { environment: env.name, url },
    );
    io.out(`Reset ${env.name}: ${r.applied.length} migration(s) applied in ${r.durationMs.toFixed(0)} ms.`);
    return 0;
  },
};
