/**
 * The command line of each task step, for both runners, shown in the checklist before it runs:
 * - `bundled`: this extension's CLI (`node dist/cli.js …`), run with the Node that VS Code provides;
 * - `prismaCli`: the project's own Prisma CLI through its package manager (from the lock file):
 *   `prisma db execute --file …`, `prisma migrate resolve …`, `prisma migrate deploy`.
 * Connection strings never appear here: the host puts them in the task's environment, under
 * the variable the environment's configuration names (`envVar`).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Runner, StepId } from './checklist';
import type { RehearsalPlan } from './rehearsal';

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** Whether a project is a Supabase one (supabase/config.toml at or above it) and the Supabase CLI is on PATH. */
export function detectSupabase(projectRoot: string, pathEnv = process.env.PATH ?? ''): boolean {
  let dir = path.resolve(projectRoot);
  let found = false;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'supabase', 'config.toml'))) {
      found = true;
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  if (!found) return false;
  const exe = process.platform === 'win32' ? ['supabase.exe', 'supabase.cmd'] : ['supabase'];
  return pathEnv.split(path.delimiter).some((d) => d && exe.some((e) => fs.existsSync(path.join(d, e))));
}

/** The package manager of a project, from the lock file in its folder or the nearest parent (monorepos). */
export function detectPackageManager(projectRoot: string, stopAt?: string): PackageManager {
  let dir = path.resolve(projectRoot);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'pnpm-lock.yaml'))) return 'pnpm';
    if (fs.existsSync(path.join(dir, 'yarn.lock'))) return 'yarn';
    if (fs.existsSync(path.join(dir, 'bun.lockb')) || fs.existsSync(path.join(dir, 'bun.lock'))) return 'bun';
    if (fs.existsSync(path.join(dir, 'package-lock.json'))) return 'npm';
    const parent = path.dirname(dir);
    if (parent === dir || (stopAt && path.resolve(stopAt) === dir)) return 'npm';
    dir = parent;
  }
}

/** How to run the project's `prisma` binary with its package manager. */
export function prismaInvocation(pm: PackageManager): { command: string; args: string[] } {
  switch (pm) {
    case 'pnpm':
      return { command: 'pnpm', args: ['exec', 'prisma'] };
    case 'yarn':
      return { command: 'yarn', args: ['prisma'] };
    case 'bun':
      return { command: 'bunx', args: ['prisma'] };
    default:
      return { command: 'npx', args: ['prisma'] };
  }
}

export interface CommandContext {
  runner: Runner;
  projectRoot: string;
  migrationsDir: string;
  /** The migration rolled back; for a range, the target (which stays applied). */
  migration: string;
  /** A range ("Roll Back to Here…"): the migrations rolled back, newest first (`apply-down --to`). */
  migrations?: string[];
  /** Target environment name. */
  environment: string;
  /**
   * The target environment is protected: the bundled CLI's apply-down, resolve and deploy on it
   * get `--confirm <environment>` (the checklist asked the user to type the name first).
   */
  environmentProtected?: boolean;
  /**
   * Where the rehearsal runs (checklist.ts `rehearsalOf`): the real rollback on the rehearsal
   * environment, or (absent too) the dry run on the target.
   */
  rehearsal?: RehearsalPlan;
  /** State of the migration in the target (decides how step 10 can mark it). */
  migrationState?: 'applied' | 'failed' | 'other';
  /** Rollback script (default `<migrationsDir>/<migration>/down.sql`). */
  downFile?: string;
  /**
   * Resolve-failed flow: the script that undoes what the failed migration left (default
   * `<migrationsDir>/<migration>/down.partial.<environment>.sql`, where `down --partial` writes it).
   */
  partialFile?: string;
  /** Resolve-failed flow: mark it rolled back without comparing the schema (an override was recorded). */
  skipDriftCheck?: boolean;
  /** Node to run the bundled CLI with (VS Code's own, or `node`). */
  node: string;
  /** Absolute path of the bundled `dist/cli.js`. */
  cliPath: string;
  packageManager: PackageManager;
  /** Prisma ≤ 6 needs `--schema` for `db execute`; Prisma 7 reads prisma.config.ts. */
  prismaMajor?: number;
  schemaPath?: string;
  backupFile?: string;
  /** "Restore values from a backup…": the pg_dump file picked (default `backupFile`). */
  restoreFrom?: string;
  backupFormat?: 'plain' | 'custom';
  pgDumpPath?: string;
  /** Whether the backup is limited to the rollback's tables (`--tables-of`). */
  backupTablesOnly?: boolean;
  after?: 'keep' | 'delete';
  /** A Supabase project (supabase/config.toml) with the Supabase CLI installed. */
  supabase?: boolean;
}

export interface TaskCommand {
  command: string;
  args: string[];
  cwd: string;
  /** Which environment's connection string the task's environment must carry. */
  environment: string;
  /** Shell-like rendering for display (no secrets: there are none in argv). */
  display: string;
  /**
   * The same command as a person would type it (`prisma-rollback apply-down <name> --env production`):
   * the bundled CLI by its name, without the paths the host adds (project, migrations folder, files)
   * or the confirmation; other absolute paths relative to the project. The full line is `display`.
   */
  short: string;
  /** Whether a success also records the rollback in `_prisma_migrations`. */
  marksRolledBack: boolean;
  /** Something the user should know about this route. */
  note?: string;
}

export function quoteForDisplay(a: string): string {
  return /^[A-Za-z0-9_./:=@+,-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}

/** Options of the bundled CLI whose value the host fills in: left out of the short line. */
const HOST_FILLED = new Set(['--project', '--migrations', '--confirm', '--file', '--out', '--pg-dump-path']);

/** `TaskCommand.short` of a command line (see there). */
export function shortCommandLine(
  command: string,
  args: string[],
  c: Pick<CommandContext, 'node' | 'cliPath' | 'projectRoot'>,
): string {
  const rel = (a: string) => (path.isAbsolute(a) ? path.relative(c.projectRoot, a) || '.' : a);
  if (command === c.node && args[0] === c.cliPath) {
    const kept: string[] = [];
    for (let i = 1; i < args.length; i++) {
      if (HOST_FILLED.has(args[i])) i++;
      else kept.push(args[i]);
    }
    return ['prisma-rollback', ...kept].map(quoteForDisplay).join(' ');
  }
  return [command, ...args.map(rel)].map(quoteForDisplay).join(' ');
}

function make(
  command: string,
  args: string[],
  c: CommandContext,
  extra: Partial<TaskCommand> & { environment: string },
): TaskCommand {
  return {
    command,
    args,
    cwd: c.projectRoot,
    display: [command, ...args].map(quoteForDisplay).join(' '),
    short: shortCommandLine(command, args, c),
    marksRolledBack: false,
    ...extra,
  };
}

function bundled(
  c: CommandContext,
  sub: string[],
  environment: string,
  /** Whether `environment` is protected when it is not the target (the rehearsal environment). */
  otherProtected = false,
): { command: string; args: string[] } {
  // The CLI refuses to change a protected environment without its name repeated (backup reads only).
  const isProtected = environment === c.environment ? c.environmentProtected : otherProtected;
  const confirm = isProtected && sub[0] !== 'backup' && sub[0] !== 'down';
  return {
    command: c.node,
    args: [
      c.cliPath,
      ...sub,
      '--project',
      c.projectRoot,
      '--migrations',
      c.migrationsDir,
      '--env',
      environment,
      ...(confirm ? ['--confirm', environment] : []),
    ],
  };
}

/** `db execute` for Prisma ≤ 6 needs the schema (for the datasource); Prisma 7 reads its config. */
function dbExecute(c: CommandContext, file: string): string[] {
  const args = ['db', 'execute', '--file', file];
  if ((c.prismaMajor ?? 7) < 7 && c.schemaPath) args.push('--schema', c.schemaPath);
  return args;
}

/** The command a task step runs, or undefined for steps that are not tasks. */
export function stepCommand(step: StepId, c: CommandContext): TaskCommand | undefined {
  const down = c.downFile ?? path.join(c.migrationsDir, c.migration, 'down.sql');
  const prisma = prismaInvocation(c.packageManager);
  switch (step) {
    case 'backup': {
      // Prisma has no backup command: both runners use pg_dump through the bundled CLI.
      const sub = ['backup'];
      if (c.backupFile) sub.push('--out', c.backupFile);
      sub.push('--format', c.backupFormat ?? 'custom');
      if (c.backupTablesOnly && !c.migrations) sub.push('--tables-of', c.migration);
      if (c.pgDumpPath) sub.push('--pg-dump-path', c.pgDumpPath);
      const b = bundled(c, sub, c.environment);
      return make(b.command, b.args, c, {
        environment: c.environment,
        note: c.supabase
          ? "Supabase project: `supabase db dump --db-url <connection string> -f <file>` (the Supabase CLI) is the runbook's alternative; this step uses pg_dump, checked against the server's version."
          : undefined,
      });
    }
    case 'staging': {
      const r = c.rehearsal;
      if (r?.kind === 'rollback') {
        // The real rollback on the rehearsal environment (issue 13): recorded rolled back there.
        const sub = c.migrations
          ? ['apply-down', '--to', c.migration]
          : ['apply-down', c.migration, '--file', down, '--after', 'keep'];
        const b = bundled(c, sub, r.environment, r.protected);
        return make(b.command, b.args, c, {
          environment: r.environment,
          marksRolledBack: true,
          note: `It changes ${r.environment} for real (the rehearsal environment; apply-down records the rollback in its _prisma_migrations). ${c.environment} is changed only by Apply.`,
        });
      }
      // The rehearsal is a dry run on the target itself: same lock and transaction, then ROLLBACK.
      // Prisma has no dry run: both runners use the bundled CLI for it.
      const sub = c.migrations
        ? ['apply-down', '--to', c.migration, '--dry-run']
        : ['apply-down', c.migration, '--file', down, '--dry-run'];
      const b = bundled(c, sub, c.environment);
      return make(b.command, b.args, c, {
        environment: c.environment,
        note: c.environmentProtected
          ? `It takes the same locks as the real run on ${c.environment}, so it asks for the environment's name too (--confirm ${c.environment}). Nothing is changed.`
          : undefined,
      });
    }
    case 'apply': {
      const env = c.environment;
      if (c.migrations) {
        const b = bundled(c, ['apply-down', '--to', c.migration], env);
        return make(b.command, b.args, c, {
          environment: env,
          marksRolledBack: true,
          note:
            c.runner === 'prismaCli'
              ? '`prisma db execute` cannot run several rollbacks in one transaction: a range always runs through apply-down --to, which also marks each one rolled back.'
              : undefined,
        });
      }
      if (c.runner === 'bundled') {
        const b = bundled(c, ['apply-down', c.migration, '--file', down, '--after', c.after ?? 'keep'], env);
        return make(b.command, b.args, c, { environment: env, marksRolledBack: true });
      }
      return make(prisma.command, [...prisma.args, ...dbExecute(c, down)], c, {
        environment: env,
        note: "`prisma db execute` runs the file as it is (its own BEGIN/COMMIT, if any, make it one transaction), without Prisma Migrate's lock, and does not record the rollback: step 10 does.",
      });
    }
    case 'writePartial': {
      // Prisma has no partial rollback: both runners use the bundled CLI (reads only; writes a file).
      const b = bundled(
        c,
        ['down', c.migration, '--partial', '--out', partialFile(c), '--force'],
        c.environment,
      );
      return make(b.command, b.args, c, { environment: c.environment });
    }
    case 'runPartial': {
      // One transaction, then Prisma's engine marks the failed migration rolled back.
      const b = bundled(c, ['apply-down', c.migration, '--file', partialFile(c)], c.environment);
      return make(b.command, b.args, c, {
        environment: c.environment,
        marksRolledBack: true,
        note:
          c.runner === 'prismaCli'
            ? '`prisma db execute` and `migrate resolve` would be two steps: the undo and the mark run through apply-down, in that order, as one command.'
            : undefined,
      });
    }
    case 'markApplied': {
      if (c.runner === 'prismaCli')
        return make(prisma.command, [...prisma.args, 'migrate', 'resolve', '--applied', c.migration], c, {
          environment: c.environment,
          note: '`prisma migrate resolve --applied` does not look at the schema: step "What it left" did.',
        });
      const b = bundled(c, ['resolve', '--applied', c.migration], c.environment);
      return make(b.command, b.args, c, { environment: c.environment });
    }
    case 'markRolledBack': {
      // apply-down --to records every migration of the range in its transaction.
      if (c.migrations) return undefined;
      if (c.skipDriftCheck) {
        const b = bundled(c, ['resolve', '--rolled-back', c.migration, '--skip-drift-check'], c.environment);
        return make(b.command, b.args, c, { environment: c.environment, marksRolledBack: true });
      }
      if (c.runner === 'prismaCli' && c.migrationState === 'failed') {
        return make(prisma.command, [...prisma.args, 'migrate', 'resolve', '--rolled-back', c.migration], c, {
          environment: c.environment,
          marksRolledBack: true,
        });
      }
      const b = bundled(c, ['resolve', '--rolled-back', c.migration], c.environment);
      return make(b.command, b.args, c, {
        environment: c.environment,
        marksRolledBack: true,
        note:
          c.runner === 'prismaCli'
            ? '`prisma migrate resolve --rolled-back` refuses a migration that was applied successfully (P3012): this records it the way Prisma records failed ones, by setting rolled_back_at on its row.'
            : undefined,
      });
    }
    case 'restoreBackup': {
      // `restore --from` needs a backup of the whole database (or of the tables the rollback
      // re-creates), taken before the migration: the Backup step's file unless the user picked one.
      const from = c.restoreFrom ?? c.backupFile;
      if (!from || c.migrations) return undefined;
      const b = bundled(c, ['restore', '--migration', c.migration, '--from', from], c.environment);
      return make(b.command, b.args, c, {
        environment: c.environment,
        note: 'It shows what it will write (rows per table) and restores only the values the migration destroyed, matched by primary key, in one transaction.',
      });
    }
    default:
      return undefined;
  }
}

/** Where `down <m> --partial --env E` writes (the CLI's default, `src/cli/down.ts`). */
function partialFile(c: CommandContext): string {
  return (
    c.partialFile ??
    path.join(c.migrationsDir, c.migration, `down.partial.${c.environment.replace(/[^\w.-]+/g, '_')}.sql`)
  );
}

/** `prisma db pull` (follow-up: bring schema.prisma in line with the rolled-back database). */
export function dbPullCommand(c: CommandContext): TaskCommand {
  const prisma = prismaInvocation(c.packageManager);
  const args = [...prisma.args, 'db', 'pull'];
  if ((c.prismaMajor ?? 7) < 7 && c.schemaPath) args.push('--schema', c.schemaPath);
  return make(prisma.command, args, c, { environment: c.environment });
}
