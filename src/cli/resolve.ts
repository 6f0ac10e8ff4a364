/** `prisma-rollback resolve` — `prisma migrate resolve` through Prisma's engine (and the applied-migration case it refuses). */
import { resolveMigration } from '../core/runbook/resolve';
import { type CliCommand, flag, UsageError } from './args';
import { confirmProtected, runbookAction, runbookTarget } from './backup';

export const resolveCommand: CliCommand = {
  name: 'resolve',
  summary: 'Mark a migration rolled back or applied in _prisma_migrations (prisma migrate resolve)',
  usage:
    'prisma-rollback resolve (--rolled-back MIGRATION | --applied MIGRATION) --env NAME [--confirm ENVIRONMENT] [--project DIR] [--migrations DIR]',
  async run(args, io) {
    const rolledBack = flag(args, 'rolled-back');
    const applied = flag(args, 'applied');
    if (!rolledBack === !applied)
      throw new UsageError('Pass exactly one of --rolled-back MIGRATION or --applied MIGRATION.');
    const { target, env, url } = await runbookTarget(args, io);
    confirmProtected(args, env, 'resolve rewrites its _prisma_migrations');
    const result = await runbookAction(
      () =>
        resolveMigration({
          url,
          environment: env.name,
          migrationsDir: target.migrationsDir,
          migration: (rolledBack ?? applied)!,
          action: rolledBack ? 'rolledBack' : 'applied',
          log: (l) => io.out(l),
        }),
      { environment: env.name, url },
    );
    io.out(`${rolledBack ?? applied} on ${env.name}: ${result.recorded}.`);
    return 0;
  },
};
