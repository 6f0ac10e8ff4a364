/**
 * Which text of a migration.sql its rollback is generated from, when an environment ran another
 * version (edited after it was applied: Prisma's stored checksum differs from the file's). One place
 * for the CLI (`down --env`) and the editor ("Create Rollback…" offers the version that ran).
 */
import { checksumMatches, prismaChecksum } from '../migrations';
import { findAppliedVersion } from '../migrations/git';
import type { RollbackSourceNote } from './rollback';

export interface EditedAfterApply {
  environment: string;
  /** The checksum `_prisma_migrations` stored (the version the database ran). */
  ranChecksum: string;
  /** The checksum of the file now. */
  fileChecksum: string;
  /** The header note when generating from the edited file anyway. */
  editedNote: RollbackSourceNote;
  /** The version the database ran, when git has it (newest of the last 200 revisions), with its header note. */
  ran?: { sql: string; revision: string; note: RollbackSourceNote };
}

/**
 * Undefined when `localSql` is the text `environment` ran (`storedChecksum` matches it, LF/CRLF
 * variants included, as Prisma's `checksum.rs`); otherwise both checksums, the note for the edited
 * file, and the version that ran when git has it (`findAppliedVersion`). Never throws (git errors
 * read as "git does not have it"); reads only.
 */
export async function editedAfterApply(
  sqlPath: string,
  localSql: string,
  environment: string,
  storedChecksum: string,
): Promise<EditedAfterApply | undefined> {
  if (checksumMatches(storedChecksum, localSql)) return undefined;
  const fileChecksum = prismaChecksum(localSql);
  const found = await findAppliedVersion(sqlPath, storedChecksum);
  return {
    environment,
    ranChecksum: storedChecksum,
    fileChecksum,
    editedNote: { kind: 'editedFile', environment, ranChecksum: storedChecksum },
    ran: found && {
      sql: found.sql,
      revision: found.revision,
      note: { kind: 'versionThatRan', environment, revision: found.revision, fileChecksum },
    },
  };
}
