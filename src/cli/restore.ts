/**
 * `prisma-rollback restore --from <dump>` — after a rollback re-created what a migration dropped,
 * put back the values the migration destroyed from a backup taken before it was deployed.
 */
import path from 'node:path';
import { readMigrationsFolder } from '../core/migrations';
import { type RestorePlanItem, restoreFromBackup } from '../core/runbook/restore';
import { backupFormat } from '../core/runbook/restore-dump';
import { SqlParseError } from '../core/sql';
import { type CliCommand, CliError, flag, has, UsageError } from './args';
import { confirmProtected, runbookAction, runbookTarget } from './backup';
import { findMigration, shownPath } from './target';

/** One line of the plan shown before writing (see RestorePlanItem). */
function planLine(p: RestorePlanItem): string {
  const q = (cols: string[]) => cols.map((c) => `"${c}"`).join(', ');
  const by = p.key ? `matched by ${q(p.key)}` : 'no key';
  if (p.refused) return `  ${p.table}: NOT restored — ${p.refused}.`;
  const line = {
    table: `: ${p.rowsToWrite} of the backup's ${p.rowsInBackup} rows inserted (${p.key ? `${by}; rows already there are kept` : 'no key: the table is empty, every row'})`,
    columns: ` ${q(p.columns)}: values of ${p.rowsToWrite} of the backup's ${p.rowsInBackup} rows written, ${by}`,
    deleted: `: ${p.rowsToWrite} of the backup's ${p.rowsInBackup} rows the migration deleted inserted again, ${by}`,
    added: `: ${p.rowsToWrite} rows the migration inserted deleted (keys not in the backup, values as its INSERT wrote them)`,
  }[p.kind];
  return `  ${p.table}${line}${p.note ? `; ${p.note}` : ''}`;
}

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary:
    'Restore from a pg_dump backup the data a rolled-back migration destroyed or changed (tables, columns, types, UPDATE, DELETE, INSERT)',
  usage:
    'prisma-rollback restore --env NAME --migration <migration> --from <pg_dump file> [--confirm ENVIRONMENT] [--dry-run] [--project DIR] [--migrations DIR] [--pg-dump-path PATH] [--json]\n' +
    '  For a migration deployed without the archive and then rolled back: puts back, from a backup taken before\n' +
    '  the migration was deployed (pg_dump plain or custom format), what it destroyed or changed, matched by primary\n' +
    '  key (or unique NOT NULL key): rows of tables it dropped, values of columns it dropped, re-typed or UPDATEd,\n' +
    '  rows it DELETEd; rows its INSERT … VALUES added are deleted. Shows the rows it will write per table, then\n' +
    '  merges them in one transaction through a scratch schema (dropped after). A part it cannot do safely (a table\n' +
    '  without key that holds rows, an INSERT … SELECT) is refused with the reason and exit code 1.\n' +
    '  --dry-run shows the plan and changes nothing. A protected environment needs --confirm NAME.\n' +
    '  A file that is not a complete pg_dump (truncated, empty, a directory, another kind of file) is one line, exit 2.',
  booleans: ['json', 'dry-run'],
  async run(args, io) {
    const wanted = flag(args, 'migration');
    if (!wanted)
      throw new UsageError('--migration <migration> names the migration whose destroyed values to restore.');
    const from = flag(args, 'from');
    if (!from)
      throw new UsageError('--from <pg_dump file> names the backup taken before the migration was deployed.');
    const file = path.resolve(io.cwd, from);
    // Not a pg_dump file (missing, a directory, empty, another kind of file): one line, exit 2,
    // before connecting anywhere. A truncated one is found when it is read.
    await runbookAction(() => backupFormat(file));
    const dryRun = has(args, 'dry-run');
    const { target, env, url } = await runbookTarget(args, io);
    if (!dryRun) confirmProtected(args, env, 'restore writes rows there');
    const folder = await readMigrationsFolder(target.migrationsDir);
    const index = findMigration(
      folder.migrations.map((m) => m.name),
      wanted,
    );
    const m = folder.migrations[index];
    if (m.sql === undefined) throw new CliError(`Cannot read ${m.sqlPath}: ${m.error}`);
    const json = has(args, 'json');
    const log = json ? (l: string) => io.err(l) : (l: string) => io.out(l);
    const result = await runbookAction(
      () =>
        restoreFromBackup({
          url,
          environment: env.name,
          migration: { name: m.name, sql: m.sql! },
          before: folder.migrations.slice(0, index).map((x) => ({ name: x.name, sql: x.sql ?? '' })),
          from: file,
          pgDumpPath: flag(args, 'pg-dump-path') ?? io.env.PRISMA_ROLLBACK_PG_DUMP_PATH,
          env: io.env,
          log,
          confirm: (plan) => {
            log(`${dryRun ? 'Would write' : 'Writing'} into ${env.name}, from ${shownPath(io, file)}:`);
            for (const p of plan) log(planLine(p));
            return !dryRun;
          },
        }),
      { environment: env.name, url },
    ).catch((e) => {
      if (e instanceof SqlParseError)
        throw new CliError(
          `${path.resolve(target.migrationsDir, e.file ?? m.sqlPath)}:${e.line}:${e.column}: ${e.reason}`,
        );
      throw e;
    });
    if (json) io.out(JSON.stringify(result, null, 2));
    else if (result.written && !Object.keys(result.rows).length)
      io.out(`Nothing was restored on ${env.name}.`);
    else if (result.written)
      io.out(
        `Restored what ${m.name} destroyed on ${env.name}: ${Object.entries(result.rows)
          .map(([t, n]) => `${t} ${n} row${n === 1 ? '' : 's'}`)
          .join(', ')}.`,
      );
    else io.out('Dry run: nothing was changed.');
    const refused = result.plan.filter((p) => p.refused);
    if (refused.length && !json)
      io.err(
        `Not restored (see above): ${refused.map((p) => `${p.table} (${p.kind === 'added' ? 'rows the migration inserted' : 'rows'})`).join(', ')}.`,
      );
    // A part left undone is not a complete restore: exit code 1 (the rest was written).
    return refused.length ? 1 : 0;
  },
};
