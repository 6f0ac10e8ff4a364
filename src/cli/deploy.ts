/**
 * `prisma-rollback deploy` — `prisma migrate deploy` through Prisma's engine (applyMigrations),
 * archiving before each migration what it destroys (schema `_prisma_rollback`, src/core/archive)
 * unless `--no-archive`; `prismaRollback.archive.maxMegabytes` limits the archive's size, and
 * `prismaRollback.archive.retentionDays` purges, after the deploy, old archives of applied migrations.
 */
import { readArchiveMaxMegabytes, readArchiveRetentionDays } from '../core/project';
import { deployMigrations } from '../core/runbook/resolve';
import { type CliCommand, has } from './args';
import { confirmProtected, runbookAction, runbookTarget } from './backup';

export const deployCommand: CliCommand = {
  name: 'deploy',
  summary:
    "Apply every pending migration (prisma migrate deploy, through Prisma's engine), archiving what each destroys",
  usage:
    'prisma-rollback deploy --env NAME [--no-archive] [--confirm ENVIRONMENT] [--project DIR] [--migrations DIR]',
  booleans: ['no-archive'],
  async run(args, io) {
    const { target, env, url } = await runbookTarget(args, io);
    confirmProtected(args, env, 'deploy applies migrations there');
    const maxMegabytes = await readArchiveMaxMegabytes(target.project.root);
    const retentionDays = await readArchiveRetentionDays(target.project.root);
    await runbookAction(
      () =>
        deployMigrations({
          url,
          environment: env.name,
          migrationsDir: target.migrationsDir,
          log: (l) => io.out(l),
          archive: { enabled: !has(args, 'no-archive'), maxMegabytes, retentionDays },
        }),
      { environment: env.name, url },
    );
    return 0;
  },
};
