/**
 * `prisma-rollback backup`: the user's `pg_dump`, checked against the server's version first,
 * with credentials passed through libpq's `PG*` environment variables (never argv), and the
 * result checked (non-empty; a custom-format archive must be readable by `pg_restore --list`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describeDbError, maskUrl, prismaSchema, redactSecrets } from '../db';
import { quoteIdent } from '../sql/names';
import { RunbookError } from './errors';
import { pgEnvFromUrl } from './pg-env';

export interface BackupOptions {
  url: string;
  environment: string;
  /**
   * Output file. Its folder is created (mode 0700); the dump is written to a temporary file
   * beside it (mode 0600: it holds every row) and renamed to `out` once checked, so a failed
   * dump never leaves a partial file nor touches an existing one.
   */
  out: string;
  /** Replace `out` when it exists (default: refused, nothing written). */
  force?: boolean;
  /** Migrations folders the backup must not be written into (a dump there would be read as a migration). */
  protectedDirs?: string[];
  format?: 'plain' | 'custom';
  /** Setting `prismaRollback.pgDumpPath`; default `pg_dump` on PATH. */
  pgDumpPath?: string;
  /** Dump only these tables (`pg_dump -t`), e.g. the tables a rollback touches. */
  tables?: { schema?: string; name: string }[];
  /** Base environment for the child processes (PATH…); PG* variables are added to it. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Bytes pg_dump has written so far, about every `bytesEveryMs` (default 500 ms) while it runs. */
  onBytes?: (bytes: number) => void;
  bytesEveryMs?: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  format: 'plain' | 'custom';
  pgDumpVersion: string;
  serverVersion: string;
  /** Tables dumped when limited with `tables`. */
  tables?: string[];
  /** Entries `pg_restore --list` read (custom format). */
  archiveEntries?: number;
  /** The command line, without any secret. */
  commandLine: string;
  durationMs: number;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a client tool (pg_dump, pg_restore) to its end and collects its output. Rejects only when
 * it cannot start (ENOENT…); a non-zero exit is `code`.
 */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → `{ major: 15, text: '15.18' }`. */
export function parseToolVersion(output: string): { major: number; text: string } | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) return undefined;
  return { major: Number(m[1]), text: m[2] ? `${m[1]}.${m[2]}` : m[1] };
}

/** What to install to get a pg_dump of a given major version. */
export function installHint(major: number): string {
  return (
    `Install pg_dump ${major} or newer — Debian/Ubuntu: \`apt install postgresql-client-${major}\` (from the PostgreSQL apt repository, apt.postgresql.org); ` +
    `macOS: \`brew install postgresql@${major}\` (or libpq); Windows: the PostgreSQL ${major} installer's command line tools — ` +
    'then point the setting prismaRollback.pgDumpPath (CLI: --pg-dump-path) at its pg_dump.'
  );
}

/** pg_restore beside a pg_dump given by path; else the one on PATH. */
export function siblingTool(pgDumpPath: string, tool: string): string {
  if (!pgDumpPath.includes('/') && !pgDumpPath.includes('\\')) return tool;
  const ext = path.extname(pgDumpPath);
  return path.join(path.dirname(pgDumpPath), `${tool}${ext}`);
}

/** The path with its existing part resolved through symbolic links (the rest appended as is). */
async function realPathOf(p: string): Promise<string> {
  const missing: string[] = [];
  let current = path.resolve(p);
  for (;;) {
    try {
      return path.join(await fs.realpath(current), ...missing.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...missing.reverse());
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Refuses an output path before anything runs: inside a migrations folder, an existing file
 * without `force`, or a folder. Throws RunbookError 'refused'.
 */
async function checkOutput(out: string, opts: BackupOptions): Promise<void> {
  const real = await realPathOf(out);
  for (const dir of opts.protectedDirs ?? []) {
    if (isInside(real, await realPathOf(dir)))
      throw new RunbookError(
        `Refused: ${out} is inside the migrations folder ${dir}, where a dump would be taken for a migration (or replace one). Write the backup elsewhere (the default is .prisma-rollback/backups). Nothing was written.`,
        'refused',
      );
  }
  const st = await fs.lstat(out).catch(() => undefined);
  if (st?.isDirectory())
    throw new RunbookError(
      `Refused: ${out} is a folder; --out takes a file name. Nothing was written.`,
      'refused',
    );
  if (st && !opts.force)
    throw new RunbookError(
      `Refused: ${out} already exists and is kept as it is. Choose another --out, or pass --force to replace it. Nothing was written.`,
      'refused',
    );
}

/** Creates the backup folder (0700 for what it creates) and an empty temporary file in it (0600). */
async function createTemporary(out: string): Promise<string> {
  const dir = path.dirname(out);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(dir, `.${path.basename(out)}.${process.pid}-${Date.now().toString(36)}.partial`);
    const fh = await fs.open(tmp, 'wx', 0o600);
    await fh.close();
    return tmp;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EACCES' || err.code === 'EPERM'
        ? 'permission denied'
        : err.code === 'EROFS'
          ? 'read-only file system'
          : err.code === 'ENOTDIR' || err.code === 'EEXIST'
            ? 'a part of that path is a file, not a folder'
            : err.code === 'ELOOP'
              ? 'a symbolic link loop'
              : err.message;
    throw new RunbookError(
      `Cannot write the backup in ${dir} (${why}). Choose a writable folder with --out, or fix that folder's rights. Nothing was written.`,
      'config',
    );
  }
}

/** Moves the checked temporary file to `out`: never over an existing file unless `force`. */
async function placeBackup(tmp: string, out: string, force: boolean): Promise<void> {
  if (force) {
    await fs.rename(tmp, out);
    return;
  }
  try {
    // link() fails with EEXIST instead of replacing: a file that appeared meanwhile is kept.
    await fs.link(tmp, out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new RunbookError(
        `Refused: ${out} appeared while the dump ran and is kept as it is. Choose another --out, or pass --force. Nothing was written.`,
        'refused',
      );
    // A file system without hard links: check, then rename.
    if (
      await fs.lstat(out).then(
        () => true,
        () => false,
      )
    )
      throw new RunbookError(
        `Refused: ${out} already exists and is kept as it is. Nothing was written.`,
        'refused',
      );
    await fs.rename(tmp, out);
    return;
  }
  await fs.rm(tmp, { force: true });
}

/**
 * Dumps one environment with pg_dump into `opts.out` (see BackupOptions for how the file is
 * written). Throws RunbookError: 'refused' (exit 1: the output exists or is in a migrations
 * folder; nothing was written), 'config' (cannot connect, cannot write the folder), 'pgDump',
 * 'pgDumpTooOld', 'verifyDump'. On any failure the temporary file is removed and an existing
 * `out` is left untouched.
 */
export async function runBackup(opts: BackupOptions): Promise<BackupResult> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  await checkOutput(path.resolve(opts.out), opts);
  const format = opts.format ?? 'plain';
  const pgDump = opts.pgDumpPath || 'pg_dump';
  const baseEnv = { ...(opts.env ?? process.env) };
  // Never let a DATABASE_URL-like PG* of the caller's shell leak into the dump's connection.
  for (const k of Object.keys(baseEnv)) if (/^PG[A-Z_]+$/.test(k)) delete baseEnv[k];

  let versionOut: Run;
  try {
    versionOut = await run(pgDump, ['--version'], baseEnv);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunbookError(
      code === 'ENOENT'
        ? `pg_dump not found (${pgDump}). Install the PostgreSQL client tools (Debian/Ubuntu: apt install postgresql-client; macOS: brew install libpq) or set prismaRollback.pgDumpPath (CLI: --pg-dump-path).`
        : `Cannot run ${pgDump}: ${(e as Error).message}`,
      'pgDump',
    );
  }
  const client = parseToolVersion(versionOut.stdout);
  if (versionOut.code !== 0 || !client) {
    throw new RunbookError(
      `${pgDump} --version did not print a PostgreSQL version: ${
        redactSecrets(versionOut.stdout + versionOut.stderr)
          .trim()
          .split('\n')[0] || 'no output'
      }. Point --pg-dump-path (setting prismaRollback.pgDumpPath) at PostgreSQL's pg_dump.`,
      'pgDump',
    );
  }

  const db = new pg.Client({
    connectionString: opts.url,
    connectionTimeoutMillis: 10_000,
    application_name: 'prisma-rollback backup',
  });
  db.on('error', () => {});
  let serverMajor: number;
  let serverVersion: string;
  const tableArgs: string[] = [];
  const dumped: string[] = [];
  try {
    try {
      await db.connect();
    } catch (e) {
      throw new RunbookError(
        `Cannot connect to ${opts.environment}: ${describeDbError(e, opts.url)}`,
        'config',
      );
    }
    // Unqualified table names (from down.sql) resolve in Prisma's schema, as the migrations did.
    const schema = prismaSchema(opts.url);
    if (schema !== 'public') await db.query(`SET search_path TO ${quoteIdent(schema)}`);
    const v = await db.query<{ num: string; v: string }>(
      "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS v",
    );
    serverMajor = Math.floor(Number(v.rows[0].num) / 10000);
    serverVersion = v.rows[0].v.split(' ')[0];
    if (opts.tables) {
      for (const t of opts.tables) {
        const q = t.schema ? quoteIdent(t.schema, t.name) : quoteIdent(t.name);
        const r = await db.query<{ nspname: string; relname: string }>(
          'SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)',
          [q],
        );
        const found = r.rows[0];
        if (found) {
          const qualified = quoteIdent(found.nspname, found.relname);
          dumped.push(qualified);
          // pg_dump -t takes a pattern: schema-qualified and quoted, so that case and dots are literal.
          tableArgs.push(`--table=${qualified}`);
        } else log(`  (table ${q} does not exist in ${opts.environment}: nothing to dump for it)`);
      }
      if (tableArgs.length === 0) {
        throw new RunbookError(
          `None of the tables the rollback touches exists in ${opts.environment} (${opts.tables.map((t) => t.name).join(', ')}): there is nothing to back up with --tables-of. Take a full backup instead.`,
          'config',
        );
      }
    }
  } finally {
    await db.end().catch(() => {});
  }
  if (client.major < serverMajor) {
    throw new RunbookError(
      `pg_dump ${client.text} cannot dump ${opts.environment}: its server runs PostgreSQL ${serverVersion}, and pg_dump refuses servers newer than itself. ${installHint(serverMajor)}`,
      'pgDumpTooOld',
    );
  }

  const out = path.resolve(opts.out);
  const tmp = await createTemporary(out);
  try {
    const args = [
      `--format=${format === 'custom' ? 'custom' : 'plain'}`,
      `--file=${tmp}`,
      '--no-password',
      ...tableArgs,
    ];
    const pgEnv = pgEnvFromUrl(opts.url, 'prisma-rollback backup');
    const commandLine = [pgDump, ...args]
      .map((a) => (/[\s"'$]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a))
      .join(' ');
    log(
      `Backing up ${opts.environment} (${maskUrl(opts.url)}, PostgreSQL ${serverVersion}) with pg_dump ${client.text}:`,
    );
    log(`  ${commandLine}`);
    log(`  (credentials passed as ${Object.keys(pgEnv).join(', ')} in pg_dump's environment)`);
    // The size of the temporary file while pg_dump writes it: progress for long dumps.
    const poll = opts.onBytes
      ? setInterval(() => {
          void fs.stat(tmp).then(
            (st) => opts.onBytes?.(st.size),
            () => {},
          );
        }, opts.bytesEveryMs ?? 500)
      : undefined;
    const dump = await run(pgDump, args, { ...baseEnv, ...pgEnv }).finally(() => clearInterval(poll));
    if (dump.code !== 0) {
      throw new RunbookError(
        `pg_dump failed (exit code ${dump.code}): ${redactSecrets(dump.stderr).trim() || 'no message'}`,
        'pgDump',
      );
    }
    const stat = await fs.stat(tmp).catch(() => undefined);
    if (!stat || stat.size === 0)
      throw new RunbookError(`pg_dump exited 0 but ${out} is ${stat ? 'empty' : 'missing'}.`, 'verifyDump');

    let archiveEntries: number | undefined;
    if (format === 'custom') {
      const pgRestore = siblingTool(pgDump, 'pg_restore');
      let list: Run;
      try {
        list = await run(pgRestore, ['--list', tmp], baseEnv);
      } catch (e) {
        throw new RunbookError(
          `Cannot run ${pgRestore} to check the archive: ${(e as Error).message}`,
          'verifyDump',
        );
      }
      if (list.code !== 0)
        throw new RunbookError(
          `pg_restore --list cannot read ${out}: ${redactSecrets(list.stderr).trim()}`,
          'verifyDump',
        );
      archiveEntries = list.stdout.split('\n').filter((l) => l.trim() && !l.startsWith(';')).length;
      log(`  pg_restore --list read ${archiveEntries} entries from the archive.`);
    } else {
      const fh = await fs.open(tmp, 'r');
      try {
        const head = Buffer.alloc(256);
        await fh.read(head, 0, 256, 0);
        if (!head.toString('utf8').includes('PostgreSQL database dump')) {
          throw new RunbookError(`${out} does not start like a pg_dump plain-format dump.`, 'verifyDump');
        }
      } finally {
        await fh.close();
      }
    }
    // pg_dump may have re-created the file with the umask's mode: a backup holds every row.
    await fs.chmod(tmp, 0o600);
    await placeBackup(tmp, out, opts.force === true);
    log(`Backup written: ${out} (${formatBytes(stat.size)})`);
    return {
      file: out,
      bytes: stat.size,
      format,
      pgDumpVersion: client.text,
      serverVersion,
      tables: opts.tables ? dumped : undefined,
      archiveEntries,
      commandLine,
      durationMs: performance.now() - started,
    };
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * One part of a backup file name: characters other than letters, digits, `_`, `.` and `-` (a `/`,
 * `\\`, a space, `:`…) and every run of dots become `_`; leading dots and dashes are dropped (no
 * hidden file, no name read as an option). An environment named `../prod` cannot leave the
 * backups folder. Never empty (`_`).
 */
function fileNamePart(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9_.-]+/g, '_')
      .replace(/\.{2,}/g, '_')
      .replace(/^[.-]+/, '') || '_'
  );
}

/**
 * The backup file name, the one rule for the CLI and the checklist:
 * `<environment>-<what>-<UTC yyyymmdd-hhmmss>.<sql|dump>` (`sql` for `plain`, `dump` for
 * `custom`), each part sanitised (see fileNamePart). `what` is a migration name, `full`, or the
 * tables it holds. A plain file name: never a path.
 */
export function backupFileName(
  environment: string,
  what: string,
  format: 'plain' | 'custom',
  now = new Date(),
): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${fileNamePart(environment)}-${fileNamePart(what)}-${stamp}.${format === 'custom' ? 'dump' : 'sql'}`;
}

/** Default backup file: `<project>/.prisma-rollback/backups/<backupFileName(…)>`. */
export function defaultBackupPath(
  projectRoot: string,
  environment: string,
  what: string,
  format: 'plain' | 'custom',
  now = new Date(),
): string {
  return path.join(
    projectRoot,
    '.prisma-rollback',
    'backups',
    backupFileName(environment, what, format, now),
  );
}
