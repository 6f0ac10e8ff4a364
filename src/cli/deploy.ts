/** `prisma-rollback deploy` — `prisma migrate deploy` through Prisma's engine (applyMigrations). */
import { deployMigrations } from '../core/runbook/resolve';
import type { CliCommand } from './args';
import { confirmProtected, runbookAction, runbookTarget } from './backup';

export const deployCommand: CliCommand = {
  name: 'deploy',
  summary: "Apply every pending migration (prisma migrate deploy, through Prisma's engine)",
  usage: 'prisma-rollback deploy --env NAME [--confirm ENVIRONMENT] [--project DIR] [--migrations DIR]',
  async run(args, io) {
    const { target, env, url } = await runbookTarget(args, io);
    confirmProtected(args, env, 'deploy applies migrations there');
    await runbookAction(
      () =>
        deployMigrations({
          url,
          environment: env.name,
          migrationsDir: target.migrationsDir,
          log: (l) => io.out(l),
        }),
      { environment: env.name, url },
    );
    return 0;
  },
};
