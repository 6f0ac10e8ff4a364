/** `prisma-rollback apply-down` — run a rollback script in one transaction under Prisma's lock, then mark it rolled back. */
import path from 'node:path';
import { applyDown } from '../core/runbook/apply-down';
import { type CliCommand, flag, has, UsageError } from './args';
import { confirmProtected, runbookAction, runbookTarget } from './backup';

export const applyDownCommand: CliCommand = {
  name: 'apply-down',
  summary: 'Apply a rollback script (down.sql) in one transaction and mark the migration rolled back',
  usage:
    'prisma-rollback apply-down <migration> --env NAME [--confirm ENVIRONMENT] [--project DIR] [--migrations DIR] [--file down.sql] [--after keep|delete] [--lock-timeout SECONDS] [--json]',
  booleans: ['json'],
  async run(args, io) {
    const name = args.positionals[0];
    if (!name) throw new UsageError('Name the migration to roll back.');
    const after = flag(args, 'after') ?? 'keep';
    if (after !== 'keep' && after !== 'delete') throw new UsageError('--after must be keep or delete');
    const lockTimeout = flag(args, 'lock-timeout');
    if (lockTimeout !== undefined && !(Number(lockTimeout) >= 0))
      throw new UsageError('--lock-timeout takes a number of seconds');
    const { target, env, url } = await runbookTarget(args, io);
    confirmProtected(args, env, 'apply-down runs a rollback script there');
    const log = has(args, 'json') ? (l: string) => io.err(l) : (l: string) => io.out(l);
    const result = await runbookAction(
      () =>
        applyDown({
          url,
          environment: env.name,
          migrationsDir: target.migrationsDir,
          migration: name,
          file: flag(args, 'file') ? path.resolve(io.cwd, flag(args, 'file')!) : undefined,
          after,
          lockTimeoutMs: lockTimeout !== undefined ? Number(lockTimeout) * 1000 : undefined,
          log,
        }),
      { environment: env.name, url },
    );
    if (has(args, 'json')) io.out(JSON.stringify(result, null, 2));
    else
      io.out(
        `Rolled back ${name} on ${env.name}: ${result.statements} statement(s) in ${result.durationMs.toFixed(0)} ms; recorded by ${result.recordedBy}; folder ${result.folder}.`,
      );
    return 0;
  },
};
