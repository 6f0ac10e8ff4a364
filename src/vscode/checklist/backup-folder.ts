/**
 * Where the checklist writes database backups, and keeping them out of git. A full dump holds
 * every row of the database: it must never be committed. By default it goes to the extension's
 * storage, outside the workspace; a folder chosen with `prismaRollback.backupDirectory` that lies
 * inside a git work tree and is not ignored is added to that repository's `.git/info/exclude`
 * (gitignore(5): per-repository patterns that are never committed themselves).
 * No 'vscode' import: unit-tested with a real git.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The backup folder: `setting` (absolute, `~/…`, or relative to `projectRoot`) when set, else
 * `<storage>/backups` (the extension's workspace storage, outside the work tree).
 */
export function backupFolder(o: { setting?: string; projectRoot: string; storage: string }): string {
  const s = o.setting?.trim();
  if (!s) return path.join(o.storage, 'backups');
  if (s === '~' || s.startsWith('~/')) return path.join(os.homedir(), s.slice(1));
  return path.resolve(o.projectRoot, s);
}

interface Git {
  code: number | null;
  stdout: string;
  /** git is not installed (ENOENT). */
  missing?: boolean;
}

function git(cwd: string, args: string[]): Promise<Git> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 10_000 }, (err, stdout) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e && e.code === 'ENOENT') return resolve({ code: null, stdout: '', missing: true });
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout: String(stdout) });
    });
  });
}

export type ExcludeOutcome =
  /** Not inside a git work tree (or git is not installed): nothing to do. */
  | { kind: 'outsideGit' }
  /** Already ignored (.gitignore, info/exclude or a global excludes file). */
  | { kind: 'ignored' }
  /** `pattern` was appended to `excludeFile`. */
  | { kind: 'added'; excludeFile: string; pattern: string };

/**
 * Makes sure git never offers the files of `folder` for a commit: when `folder` (created if
 * missing) is inside a git work tree and not ignored, appends `/<folder relative to the top>/`
 * to the repository's `info/exclude` (`git rev-parse --git-path info/exclude`, so linked
 * worktrees get their common one). Throws when the exclude file cannot be written (the folder
 * is left created, nothing else changed).
 */
export async function keepOutOfGit(folder: string): Promise<ExcludeOutcome> {
  await fs.mkdir(folder, { recursive: true });
  const top = await git(folder, ['rev-parse', '--show-toplevel']);
  if (top.missing || top.code !== 0) return { kind: 'outsideGit' };
  const root = top.stdout.trim();
  const rel = path.relative(await fs.realpath(root), await fs.realpath(folder));
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return { kind: 'outsideGit' };
  const posix = rel.split(path.sep).join('/');
  // A file that would be written there: ignored when the folder (or a parent) is.
  const probe = await git(root, ['check-ignore', '-q', '--', `${posix}/backup.dump`]);
  if (probe.code === 0) return { kind: 'ignored' };
  const where = await git(root, ['rev-parse', '--git-path', 'info/exclude']);
  if (where.code !== 0) return { kind: 'outsideGit' };
  const excludeFile = path.resolve(root, where.stdout.trim());
  const pattern = `/${posix}/`;
  await fs.mkdir(path.dirname(excludeFile), { recursive: true });
  const before = await fs.readFile(excludeFile, 'utf8').catch(() => '');
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  await fs.appendFile(
    excludeFile,
    `${sep}# prisma-rollback: database backups are never committed\n${pattern}\n`,
    'utf8',
  );
  return { kind: 'added', excludeFile, pattern };
}
