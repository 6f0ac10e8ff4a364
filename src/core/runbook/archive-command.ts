/** `prisma-rollback archive` on a live database (list, purge); the archive itself is src/core/archive. */
import { type ArchiveEntry, historyTableOf, listArchive, purgeArchive } from '../archive';
import { prismaSchema } from '../db';
import { connectForRollback } from './apply-down';

/**
 * `prisma-rollback archive`: lists what `url`'s archive holds, or (with `purge`) deletes the archive
 * of one migration / older than N days in one transaction, returning what it deleted. Listed
 * entries of an earlier deploy than the one `_prisma_migrations` records are marked `stale`. Throws
 * RunbookError `config` when it cannot connect; query errors (e.g. no privilege on
 * `_prisma_rollback`) propagate, and a failed purge leaves the archive as it was.
 */
export async function manageArchive(opts: {
  url: string;
  environment: string;
  purge?: { migration: string } | { olderThanDays: number };
}): Promise<{ entries: ArchiveEntry[]; purged: boolean }> {
  const client = await connectForRollback(opts.url, opts.environment);
  try {
    if (!opts.purge)
      return { entries: await listArchive(client, historyTableOf(prismaSchema(opts.url))), purged: false };
    await client.query('BEGIN');
    try {
      const gone = await purgeArchive(client, opts.purge);
      await client.query('COMMIT');
      return { entries: gone, purged: true };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  } finally {
    await client.end().catch(() => {});
  }
}
