/** `prisma-rollback resolve` — `prisma migrate resolve` through Prisma's engine (and the applied-migration case it refuses). */
import { resolveMigration } from '../core/runbook/resolve';
import { type CliCommand, flag, has, UsageError } from './args';
import { confirmProtected, runbookAction, runbookTarget } from './backup';
import { resolveShadowServer, verifyTimeoutMs } from './verify';

export const resolveCommand: CliCommand = {
  name: 'resolve',
  summary: 'Mark a migration rolled back or applied in _prisma_migrations (prisma migrate resolve)',
  usage:
    'prisma-rollback resolve (--rolled-back MIGRATION | --applied MIGRATION) --env NAME [--confirm ENVIRONMENT] [--skip-drift-check] [--timeout SECONDS] [--project DIR] [--migrations DIR]\n' +
    '  Before marking, the live schema is compared with the replay of the applied migrations: without the failed\n' +
    '  migration for --rolled-back, with it for --applied; a difference refuses (exit 1, nothing changed).\n' +
    '  --timeout SECONDS limits each step of that replay (its start, each migration; default 120).',
  booleans: ['skip-drift-check'],
  async run(args, io) {
    const rolledBack = flag(args, 'rolled-back');
    const applied = flag(args, 'applied');
    if (!rolledBack === !applied)
      throw new UsageError('Pass exactly one of --rolled-back MIGRATION or --applied MIGRATION.');
    const timeoutMs = verifyTimeoutMs(args);
    const { target, env, url } = await runbookTarget(args, io);
    confirmProtected(args, env, 'resolve rewrites its _prisma_migrations');
    const shadowDatabaseUrl = await resolveShadowServer(io, target.project.root, target.project);
    const result = await runbookAction(
      () =>
        resolveMigration({
          url,
          environment: env.name,
          migrationsDir: target.migrationsDir,
          migration: (rolledBack ?? applied)!,
          action: rolledBack ? 'rolledBack' : 'applied',
          log: (l) => io.out(l),
          checkSchema: !has(args, 'skip-drift-check'),
          shadowDatabaseUrl,
          timeoutMs,
        }),
      { environment: env.name, url },
    );
    io.out(`${rolledBack ?? applied} on ${env.name}: ${result.recorded}.`);
    return 0;
  },
};
