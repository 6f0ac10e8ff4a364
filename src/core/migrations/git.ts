/**
 * The version of a `migration.sql` that a database ran, from git, when the file was edited after
 * it was applied (its checksum in `_prisma_migrations` no longer matches the file): the rollback
 * must undo what the database ran, not the edited text.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { checksumMatches } from './index';

function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 15_000 }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}

/**
 * Searches the git history of `sqlPath` (newest first, at most `maxRevisions`, renames followed)
 * for the version whose Prisma checksum is `storedChecksum` (LF/CRLF variants match, as in Prisma's
 * `checksum.rs`). Returns the revision (full hash) and the text, or undefined when git is missing,
 * the file is not in a repository, or no revision matches. Never throws; reads only.
 */
export async function findAppliedVersion(
  sqlPath: string,
  storedChecksum: string,
  maxRevisions = 200,
): Promise<{ revision: string; sql: string } | undefined> {
  const dir = path.dirname(sqlPath);
  const top = (await git(dir, ['rev-parse', '--show-toplevel']))?.trim();
  if (!top) return undefined;
  const rel = path.relative(top, sqlPath).split(path.sep).join('/');
  const revs = await git(top, ['log', `--max-count=${maxRevisions}`, '--format=%H', '--follow', '--', rel]);
  for (const revision of (revs ?? '').split('\n').filter(Boolean)) {
    // --follow: the path may have been different at that revision; ask git for the blob by name there.
    const names = await git(top, ['show', '--name-only', '--format=', revision, '--', rel]);
    const at = names?.trim().split('\n')[0] || rel;
    const sql = await git(top, ['show', `${revision}:${at}`]);
    if (sql !== undefined && checksumMatches(storedChecksum, sql)) return { revision, sql };
  }
  return undefined;
}
