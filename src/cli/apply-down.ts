/** `prisma-rollback apply-down` — run a rollback script in one transaction under Prisma's lock, then mark it rolled back. */
import path from 'node:path';
import { readMigrationsFolder } from '../core/migrations';
import { applyDown, statementProgressText } from '../core/runbook/apply-down';
import { applyDownTo } from '../core/runbook/apply-down-to';
import { type CliCommand, CliError, flag, has, UsageError } from './args';
import { confirmProtected, progressLine, runbookAction, runbookTarget } from './backup';
import { findMigration, shownPath } from './target';

export const applyDownCommand: CliCommand = {
  name: 'apply-down',
  summary: 'Apply a rollback script (down.sql) in one transaction and mark the migration rolled back',
  usage:
    'prisma-rollback apply-down <migration> --env NAME [--confirm ENVIRONMENT] [--dry-run] [--project DIR] [--migrations DIR] [--file down.sql] [--after keep|delete] [--lock-timeout SECONDS] [--json]\n' +
    'prisma-rollback apply-down --to <migration> --env NAME [--confirm ENVIRONMENT] [--dry-run] [--generate] [--allow-non-transactional] [--project DIR] [--migrations DIR] [--lock-timeout SECONDS] [--json]\n' +
    '  --to rolls back every migration applied after <migration> (which stays applied), newest first, each with\n' +
    '  its down.sql (--generate: a missing one is generated in memory), in one transaction that also marks each\n' +
    '  one rolled back. A statement that cannot run in a transaction is refused unless --allow-non-transactional\n' +
    '  (then one transaction per migration). --dry-run runs it all in a transaction and rolls it back: it reports\n' +
    '  success or the failing statement (file:line and PostgreSQL’s error) and changes nothing; it takes the same\n' +
    '  locks, so a protected environment needs --confirm for it too.\n' +
    "  With --generate, a step SQL cannot undo (UPDATE, DELETE, INSERT…) runs when the environment's archive covers\n" +
    '  it (its rows are restored right after, in the same transaction); one it does not cover is refused, named.',
  booleans: ['json', 'dry-run', 'generate', 'allow-non-transactional'],
  async run(args, io) {
    const to = flag(args, 'to');
    const name = args.positionals[0];
    if (to && name) throw new UsageError('Name one migration, or pass --to <migration>, not both.');
    if (!name && !to) throw new UsageError('Name the migration to roll back, or pass --to <migration>.');
    if (to && (flag(args, 'file') || flag(args, 'after')))
      throw new UsageError('--file and --after apply to one migration; --to uses each migration’s down.sql.');
    if (!to && (has(args, 'generate') || has(args, 'allow-non-transactional')))
      throw new UsageError('--generate and --allow-non-transactional go with --to.');
    const after = flag(args, 'after') ?? 'keep';
    if (after !== 'keep' && after !== 'delete') throw new UsageError('--after must be keep or delete');
    const lockTimeout = flag(args, 'lock-timeout');
    if (lockTimeout !== undefined && !(Number(lockTimeout) >= 0))
      throw new UsageError('--lock-timeout takes a number of seconds');
    const dryRun = has(args, 'dry-run');
    const { target, env, url } = await runbookTarget(args, io);
    confirmProtected(
      args,
      env,
      dryRun
        ? 'a dry run takes the same locks as the real rollback there'
        : 'apply-down runs a rollback script there',
    );
    const log = has(args, 'json') ? (l: string) => io.err(l) : (l: string) => io.out(l);
    const lockTimeoutMs = lockTimeout !== undefined ? Number(lockTimeout) * 1000 : undefined;
    const progress = progressLine(io);
    if (to) {
      const folder = await readMigrationsFolder(target.migrationsDir);
      const index = findMigration(
        folder.migrations.map((m) => m.name),
        to,
      );
      const result = await runbookAction(
        () =>
          applyDownTo({
            url,
            environment: env.name,
            migrationsDir: target.migrationsDir,
            to: folder.migrations[index].name,
            generate: has(args, 'generate'),
            allowNonTransactional: has(args, 'allow-non-transactional'),
            dryRun,
            lockTimeoutMs,
            log,
            onStatement: (done, total) => progress(statementProgressText(done, total)),
          }),
        { environment: env.name, url },
      );
      if (has(args, 'json')) io.out(JSON.stringify(result, null, 2));
      else
        io.out(
          `${dryRun ? 'Dry run succeeded (nothing was changed): would roll back' : 'Rolled back'} ${result.steps.length} migration(s) after ${result.to} on ${env.name}: ${result.steps.map((s) => s.migration).join(', ')} · ${result.durationMs.toFixed(0)} ms.`,
        );
      return 0;
    }
    if (!flag(args, 'file')) {
      // Without --file the script is <migrations>/<name>/down.sql: a name that is not a folder there
      // is a typo (or a migration applied there but missing here), not a down.sql to generate.
      const folder = await readMigrationsFolder(target.migrationsDir);
      if (!folder.migrations.some((m) => m.name === name))
        throw new CliError(
          `No migration "${name}" in ${shownPath(io, target.migrationsDir)}. Check the name (prisma-rollback status lists them); for a migration applied there but missing here, pass --file with its rollback script.`,
        );
    }
    const result = await runbookAction(
      () =>
        applyDown({
          url,
          environment: env.name,
          migrationsDir: target.migrationsDir,
          migration: name,
          file: flag(args, 'file') ? path.resolve(io.cwd, flag(args, 'file')!) : undefined,
          after,
          lockTimeoutMs,
          dryRun,
          log,
          onStatement: (done, total) => progress(statementProgressText(done, total)),
        }),
      { environment: env.name, url },
    );
    if (has(args, 'json')) io.out(JSON.stringify(result, null, 2));
    else if (dryRun)
      io.out(
        `Dry run succeeded on ${env.name}: the rollback of ${name} runs (${result.statements} statement(s) in ${result.durationMs.toFixed(0)} ms) and was rolled back; nothing was changed.`,
      );
    else
      io.out(
        `Rolled back ${name} on ${env.name}: ${result.statements} statement(s) in ${result.durationMs.toFixed(0)} ms; recorded by ${result.recordedBy}; folder ${result.folder}.`,
      );
    return 0;
  },
};
