/**
 * The CLI's last word on an error no command translated: one line saying what failed, where,
 * and what to do — never a stack trace (set PRISMA_ROLLBACK_DEBUG=1 to get one).
 */
import { describeDbError } from '../core/db';
import { SqlParseError } from '../core/sql';

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'is not accessible (permission denied): check its owner and mode',
  EPERM: 'is not accessible (operation not permitted): check its owner and mode',
  ELOOP: 'is a symbolic link loop: fix or remove the link',
  EISDIR: 'is a folder where a file was expected',
  ENOTDIR: 'has a file where a folder was expected',
  ENOSPC: 'cannot be written: the disk is full',
  EROFS: 'cannot be written: the file system is read-only',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'has a name that is too long',
};

/**
 * One line for an unexpected error: file-system errors name the path, database errors the reason,
 * a script PostgreSQL's parser rejects its `file:line:column` and the parser's reason.
 */
export function describeFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { severity?: string };
  if (err && typeof err === 'object') {
    if (typeof err.code === 'string' && err.code in FILE_ERRORS && err.path)
      return `${err.path} ${FILE_ERRORS[err.code]} (${err.code}${err.syscall ? ` in ${err.syscall}` : ''}).`;
    // pg's server errors carry a severity and a SQLSTATE; its connection errors a Node error code.
    if (err.severity || /^[0-9A-Z]{5}$/.test(err.code ?? '') || /^E[A-Z]+$/.test(err.code ?? ''))
      return `Database error: ${describeDbError(e)}`;
    if (err instanceof TypeError && /Invalid URL/.test(err.message))
      return 'A connection string is not a valid URL: percent-encode special characters in its user name and password (# → %23, / → %2F, ? → %3F, @ → %40).';
  }
  // PostgreSQL's parser rejected a migration or script: `file:line:column: reason` is the whole story.
  if (e instanceof SqlParseError) return e.message;
  const message = e instanceof Error ? e.message : String(e);
  return `Unexpected error: ${message.split('\n')[0]} (set PRISMA_ROLLBACK_DEBUG=1 for details, and report it if it persists).`;
}
