/** `prisma-rollback backup` — pg_dump of one environment, checked, credentials never on a command line. */
import fs from 'node:fs';
import path from 'node:path';
import { describeDbError } from '../core/db';
import { resolveEnvironments } from '../core/project';
import type { EnvironmentConfig } from '../core/project/types';
import { defaultBackupPath, formatBytes, runBackup } from '../core/runbook/backup';
import { RunbookError } from '../core/runbook/errors';
import { rollbackTables } from '../core/runbook/tables';
import { type CliCommand, CliError, type CliIO, flag, has, type ParsedArgs, UsageError } from './args';
import { pickEnvironment, resolveProject, shownPath } from './target';

/**
 * The project, migrations folder and environment (with its URL) of a runbook command.
 * Throws `UsageError` when `--env` is missing; `CliError` (exit code 2) when
 * $PRISMA_ROLLBACK_ENVIRONMENTS is not a JSON array, when the environment has no connection string
 * (or a problem resolving it), and the CliErrors of `resolveProject` / `pickEnvironment`.
 * Only reads settings and files: nothing is written or connected to on failure.
 */
export async function runbookTarget(args: ParsedArgs, io: CliIO) {
  if (!flag(args, 'env'))
    throw new UsageError('--env NAME is required (the environment whose connection string is configured).');
  const target = await resolveProject(args, io);
  // The extension passes the environments of its settings (names, urlEnv, protected — no secrets) to
  // the tasks it starts, so that user- or workspace-level settings apply too, not only .vscode/settings.json.
  const fromHost = io.env.PRISMA_ROLLBACK_ENVIRONMENTS;
  if (fromHost) {
    let configs: EnvironmentConfig[];
    try {
      configs = JSON.parse(fromHost) as EnvironmentConfig[];
      if (!Array.isArray(configs)) throw new Error('not an array');
    } catch (e) {
      throw new CliError(
        `PRISMA_ROLLBACK_ENVIRONMENTS is not a JSON array of environments: ${(e as Error).message}`,
      );
    }
    // An environment that settings declare protected stays protected whatever the variable says.
    const declared = new Set(target.environments.filter((e) => e.protected).map((e) => e.name));
    configs = configs.map((c) => (declared.has(c?.name) ? { ...c, protected: true } : c));
    target.environments = await resolveEnvironments(target.project, configs, { env: io.env });
  }
  const env = pickEnvironment(target, flag(args, 'env'));
  if (!env.url)
    throw new CliError(
      env.problem
        ? `Environment "${env.name}": ${env.problem}`
        : `Environment "${env.name}" has no connection string: not configured.`,
    );
  for (const w of env.warnings) io.err(`warning: ${w}`);
  return { target, env, url: env.url };
}

/**
 * Refuses (throws CliError, exit code 1, before anything is read or changed) a command that changes
 * a protected environment unless `--confirm` repeats the environment's name exactly (case and
 * all). `what` names the change, e.g. "apply-down runs a rollback script there". Returns without
 * effect for an unprotected environment.
 */
export function confirmProtected(
  args: ParsedArgs,
  env: { name: string; protected: boolean },
  what: string,
): void {
  if (!env.protected) return;
  const typed = flag(args, 'confirm');
  if (typed === env.name) return;
  throw new CliError(
    typed === undefined
      ? `Refused: ${env.name} is a protected environment and ${what}. Pass --confirm ${env.name} to go ahead. Nothing was changed.`
      : `Refused: --confirm "${typed}" is not the name of the protected environment ${env.name}; type it exactly. Nothing was changed.`,
    1,
  );
}

/**
 * Runs a runbook action; its expected failures become one clear message and exit code 1 (2 for
 * configuration problems). A database error it did not translate (a permission denied on
 * `_prisma_migrations`, a lost connection) becomes one line naming the environment and its host,
 * exit code 2.
 * Throws: `CliError` for a `RunbookError` (exit code 2 for code `config`, else 1) and, when `target`
 * is given, for a PostgreSQL/network error (exit code 2; the URL is masked); any other error is
 * rethrown as is. It cleans up nothing itself: what is left behind is what `fn` left (see the
 * action's own docstring).
 */
export async function runbookAction<T>(
  fn: () => Promise<T>,
  target?: { environment: string; url: string },
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof RunbookError) throw new CliError(e.message, e.code === 'config' ? 2 : 1);
    const err = e as { code?: unknown; severity?: unknown };
    if (
      target &&
      (err?.severity || (typeof err?.code === 'string' && /^(E[A-Z]+|[0-9A-Z]{5})$/.test(err.code))) &&
      !(e as NodeJS.ErrnoException)?.path
    )
      throw new CliError(`${target.environment}: ${describeDbError(e, target.url)}`);
    throw e;
  }
}

/**
 * Where a long step says how far it is: the line is written (replacing the last one) to the file
 * `PRISMA_ROLLBACK_PROGRESS_FILE` names, which the editor's checklist reads while the task runs.
 * Without the variable it does nothing; a write that fails is ignored (progress is never fatal).
 */
export function progressLine(io: CliIO): (text: string) => void {
  const file = io.env.PRISMA_ROLLBACK_PROGRESS_FILE;
  if (!file) return () => {};
  return (text) => {
    try {
      fs.writeFileSync(file, text);
    } catch {
      // progress only
    }
  };
}

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: "pg_dump one environment (checks pg_dump's version against the server's, verifies the file)",
  usage:
    'prisma-rollback backup --env NAME [--project DIR] [--migrations DIR] [--out FILE] [--format plain|custom] [--tables-of MIGRATION] [--pg-dump-path PATH] [--force] [--json]',
  booleans: ['json', 'force'],
  async run(args, io) {
    const format = flag(args, 'format') ?? 'plain';
    if (format !== 'plain' && format !== 'custom') throw new UsageError('--format must be plain or custom');
    const { target, env, url } = await runbookTarget(args, io);
    const tablesOf = flag(args, 'tables-of');
    const log = has(args, 'json') ? (l: string) => io.err(l) : (l: string) => io.out(l);
    const result = await runbookAction(
      async () => {
        let tables: { schema?: string; name: string }[] | undefined;
        if (tablesOf) {
          const t = await rollbackTables(target.migrationsDir, tablesOf);
          tables = t.tables;
          log(
            `Tables touched by the rollback of ${tablesOf} (from ${shownPath(io, t.source)}): ${tables.map((x) => (x.schema ? `${x.schema}.${x.name}` : x.name)).join(', ') || 'none'}`,
          );
        }
        const out = flag(args, 'out')
          ? path.resolve(io.cwd, flag(args, 'out')!)
          : defaultBackupPath(target.project.root, env.name, tablesOf ?? 'full', format);
        const progress = progressLine(io);
        let lastLogged = Date.now();
        return runBackup({
          url,
          environment: env.name,
          out,
          force: has(args, 'force'),
          protectedDirs: [target.migrationsDir, target.project.migrationsDir],
          format,
          pgDumpPath: flag(args, 'pg-dump-path') ?? io.env.PRISMA_ROLLBACK_PG_DUMP_PATH,
          tables,
          env: io.env,
          log,
          onBytes: (bytes) => {
            const text = `${formatBytes(bytes)} written`;
            progress(text);
            // The terminal gets a line every 5 s of a long dump, not every poll.
            if (Date.now() - lastLogged >= 5000) {
              lastLogged = Date.now();
              log(`  ${text}…`);
            }
          },
        });
      },
      { environment: env.name, url },
    );
    if (has(args, 'json')) io.out(JSON.stringify({ ...result, size: formatBytes(result.bytes) }, null, 2));
    return 0;
  },
};
