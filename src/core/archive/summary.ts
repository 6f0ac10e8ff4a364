/**
 * What the editor shows of an environment's archive: one read per environment during the status
 * refresh (`readArchiveIndex`), a badge and tooltip lines per migration, and the checklist's words
 * for the Backup step. Plain data and text; the editor layer only places them.
 */
import { prismaSchema } from '../db';
import type { RollbackArchiveNote } from '../generator';
import { formatDateTime } from '../status/time';
import { prettyBytes } from '../verify/lock-risk';
import { ARCHIVE_SCHEMA } from './sql';
import { type ArchiveEntry, historyTableOf, listArchive } from './store';

type Queryable = Parameters<typeof listArchive>[0];

/** What one migration's deploy archived on one environment (origin `deploy` only). */
export interface MigrationArchive {
  migration: string;
  /** Every archived object, oldest first. */
  entries: ArchiveEntry[];
  /** Sum of `entries[].rows`. */
  rows: number;
  /** Sum of `entries[].bytes` (bytes on disk of the data tables). */
  bytes: number;
  /** When the newest object was taken. */
  takenAt: Date;
}

/**
 * The archive of one environment: `known` (possibly empty: no schema `_prisma_rollback` yet), or
 * `unknown` with the reason (no privilege on the archive, connection lost…).
 */
export type ArchiveIndex =
  | { kind: 'known'; byMigration: Map<string, MigrationArchive> }
  | { kind: 'unknown'; reason: string };

/**
 * Groups catalog entries of origin `deploy` by migration (entries of a rollback are not restorable
 * by Apply, nor are stale ones — of an earlier deploy, store.ts ArchiveEntry.stale — which
 * apply-down refuses).
 */
export function indexArchive(entries: ArchiveEntry[]): Map<string, MigrationArchive> {
  const out = new Map<string, MigrationArchive>();
  for (const e of entries) {
    if (e.origin !== 'deploy' || e.stale) continue;
    const a = out.get(e.migration);
    if (!a) {
      out.set(e.migration, {
        migration: e.migration,
        entries: [e],
        rows: e.rows,
        bytes: e.bytes,
        takenAt: e.takenAt,
      });
      continue;
    }
    a.entries.push(e);
    a.rows += e.rows;
    a.bytes += e.bytes;
    if (e.takenAt > a.takenAt) a.takenAt = e.takenAt;
  }
  return out;
}

/**
 * Reads the archive catalog of one environment (two short queries: `to_regclass`, then the catalog;
 * with `url`, its `_prisma_migrations` too, so that archives of an earlier deploy are left out)
 * for the status refresh. Never throws: a missing schema is `known` and empty; any error (no
 * privilege, connection lost) is `unknown` with the error's first line.
 */
export async function readArchiveIndex(db: Queryable, url?: string): Promise<ArchiveIndex> {
  try {
    const history = url ? historyTableOf(prismaSchema(url)) : undefined;
    return { kind: 'known', byMigration: indexArchive(await listArchive(db, history)) };
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { kind: 'unknown', reason };
  }
}

/** `1,204 rows` / `1 row`. */
function rowsWord(n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'row' : 'rows'}`;
}

/** `archived` — the word added to a migration's description in the Migrations view. */
export const ARCHIVE_BADGE = 'archived';

/**
 * Markdown tooltip lines of a migration's archive: what is archived (kind and table, rows, size)
 * and when, e.g. `Archive on *production*: 2 objects, 1,204 rows, 96.0 kB, taken 2026-11-30 20:01:02 UTC`
 * then one bullet per object. `unknown` gives one line saying the archive could not be read.
 */
export function archiveTooltipLines(
  a: MigrationArchive | undefined,
  environment: string,
  unknown?: string,
): string[] {
  if (unknown) return [`Archive on *${environment}*: not read (${unknown})`];
  if (!a) return [];
  const head = `Archive on *${environment}* (\`${ARCHIVE_SCHEMA}\`): ${a.entries.length} object${a.entries.length === 1 ? '' : 's'}, ${rowsWord(a.rows)}, ${prettyBytes(a.bytes)}, taken ${formatDateTime(a.takenAt)} — Apply of its rollback restores them`;
  const items = a.entries.map(
    (e) =>
      `- ${e.kind === 'table' ? 'table' : e.kind === 'columns' ? 'columns of' : 'rows of'} \`${e.table}\`: ${rowsWord(e.rows)}, ${prettyBytes(e.bytes)}${e.note ? ` — ${e.note}` : ''}`,
  );
  return [head, items.join('\n')];
}

/**
 * The checklist Backup step's sentence about the archive:
 * `Values this migration destroyed are archived in _prisma_rollback on production (1,204 rows, taken
 * 2026-11-30 20:01:02 UTC); Apply restores them.` Undefined when there is no archive.
 */
export function archiveBackupLine(a: MigrationArchive | undefined, environment: string): string | undefined {
  if (!a) return undefined;
  return `Values this migration destroyed are archived in ${ARCHIVE_SCHEMA} on ${environment} (${rowsWord(a.rows)}, taken ${formatDateTime(a.takenAt)}); Apply restores them.`;
}

/**
 * What an Apply restored, from the archive read before it and the one read after: every object of
 * `before` that is gone from `after` (apply-down drops an archive once restored), as
 * `table: N rows` lines. Empty when nothing was restored.
 */
export function restoredFromArchive(
  before: MigrationArchive | undefined,
  after: MigrationArchive | undefined,
): string[] {
  if (!before) return [];
  const still = new Set((after?.entries ?? []).map((e) => e.dataTable));
  return before.entries
    .filter((e) => !still.has(e.dataTable))
    .map((e) => `${e.kind === 'columns' ? 'columns of ' : ''}${e.table}: ${rowsWord(e.rows)}`);
}

/**
 * What a generated down.sql is told of an environment's archive of one migration
 * (RollbackOptions.archive): its entries of origin `deploy` that are not stale (an archive of an
 * earlier deploy is never restored: apply-down refuses it), dates formatted by formatDateTime.
 * Undefined when none is left. The one place `down <m> --env`, `down --to --env` and
 * `apply-down --to --generate` build it from (`entries`: store.ts archiveOf with the history table,
 * so staleness is judged). Pure.
 */
export function rollbackArchiveNote(
  entries: ArchiveEntry[],
  environment: string,
): RollbackArchiveNote | undefined {
  const live = entries.filter((e) => e.origin === 'deploy' && !e.stale);
  if (!live.length) return undefined;
  return {
    environment,
    entries: live.map((e) => ({
      table: e.table,
      kind: e.kind,
      columns: e.columns,
      rows: e.rows,
      takenAt: formatDateTime(e.takenAt),
    })),
  };
}
