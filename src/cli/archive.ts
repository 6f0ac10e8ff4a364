/**
 * `prisma-rollback archive` — what the archive (schema `_prisma_rollback`) of an environment holds:
 * per archived object its migration, table, rows, bytes and when it was taken; `--purge MIGRATION`
 * or `--older-than DAYS` deletes archives.
 */
import { staleArchiveLine } from '../core/archive';
import { manageArchive } from '../core/runbook/archive-command';
import { formatDateTime } from '../core/status/time';
import { type CliCommand, flag, has, UsageError } from './args';
import { confirmProtected, runbookAction, runbookTarget } from './backup';

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

export const archiveCommand: CliCommand = {
  name: 'archive',
  summary: 'List (or purge) what deploy archived for rollbacks to restore (schema _prisma_rollback)',
  usage:
    'prisma-rollback archive --env NAME [--json] [--purge MIGRATION | --older-than DAYS] [--confirm NAME] [--project DIR] [--migrations DIR]',
  booleans: ['json'],
  async run(args, io) {
    const purgeMigration = flag(args, 'purge');
    const olderThan = flag(args, 'older-than');
    if (purgeMigration && olderThan) throw new UsageError('--purge and --older-than cannot be combined.');
    let days: number | undefined;
    if (olderThan !== undefined) {
      days = Number(olderThan);
      if (!Number.isFinite(days) || days < 0)
        throw new UsageError(`--older-than needs a number of days ≥ 0, not "${olderThan}".`);
    }
    const { env, url } = await runbookTarget(args, io);
    // The archive may be the only copy of what a deployed migration destroyed: deleting it on a
    // protected environment takes its name typed back, as apply-down and deploy do.
    if (purgeMigration || days !== undefined)
      confirmProtected(
        args,
        env,
        'purging deletes archived data that may exist nowhere else (what its migrations destroyed)',
      );
    const purge = purgeMigration
      ? { migration: purgeMigration }
      : days !== undefined
        ? { olderThanDays: days }
        : undefined;
    const r = await runbookAction(() => manageArchive({ url, environment: env.name, purge }), {
      environment: env.name,
      url,
    });
    if (has(args, 'json')) {
      io.out(
        JSON.stringify(
          {
            environment: env.name,
            purged: r.purged,
            entries: r.entries.map((e) => ({ ...e, takenAt: e.takenAt.toISOString() })),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    if (!r.entries.length) {
      const what = purgeMigration
        ? `no archive of ${purgeMigration}`
        : days !== undefined
          ? `no archive older than ${days} day(s)`
          : undefined;
      io.out(
        r.purged && what
          ? `Nothing to purge on ${env.name}: ${what} (\`prisma-rollback archive --env ${env.name}\` lists what is archived).`
          : `The archive of ${env.name} is empty.`,
      );
      return 0;
    }
    io.out(
      r.purged
        ? `Purged from the archive of ${env.name}:`
        : `Archive of ${env.name} (schema _prisma_rollback):`,
    );
    for (const e of r.entries)
      io.out(
        `  ${e.migration}  ${e.table}  ${e.kind}${e.origin === 'rollback' ? ' (taken by a rollback)' : ''}  ${e.rows} row(s)  ${size(e.bytes)}  ${formatDateTime(e.takenAt)}${e.stale ? '  STALE' : ''}${e.note ? `\n    ${e.note}` : ''}${e.stale ? `\n    stale: ${staleArchiveLine(e.migration, formatDateTime(e.takenAt), env.name)}` : ''}`,
      );
    return 0;
  },
};
