/**
 * Reading a pg_dump backup for `restore --from` (./restore.ts): the data of the tables wanted, as
 * the dump's `COPY … FROM stdin` blocks (PostgreSQL 15 docs, COPY, "Text Format"), from a
 * plain-format file as it is or from a custom-format one through `pg_restore --data-only -f -`;
 * and what the dump's own `_prisma_migrations` says about when it was taken.
 */
import fs from 'node:fs/promises';
import { redactSecrets } from '../db';
import { readIdentifiers } from '../sql/names';
import { run, siblingTool } from './backup';
import { RunbookError } from './errors';

export interface CopyBlock {
  /** `schema.table` as named in the dump's COPY line. */
  schema: string;
  table: string;
  columns: string[];
  /** Values as COPY's text format decoded (null for `\N`). */
  rows: (string | null)[][];
}

/** One field of COPY's text format, unescaped (PostgreSQL docs, COPY, "Text Format"). */
function decodeCopyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ({ b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[e] ?? e;
  });
}

/**
 * The `COPY schema.table (columns) FROM stdin;` blocks of a pg_dump script (plain format, or what
 * `pg_restore -f -` prints) whose table is wanted (`wanted(schema, table)`). Never throws; a dump
 * without COPY blocks (made with --inserts) gives none.
 */
export function copyBlocks(script: string, wanted: (schema: string, table: string) => boolean): CopyBlock[] {
  const out: CopyBlock[] = [];
  const lines = script.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.startsWith('COPY ')) continue;
    const name = readIdentifiers(line, 5);
    if (name.names.length !== 2 || line[name.end] !== '(') continue;
    const cols = readIdentifiers(line, name.end + 1);
    if (!line.slice(cols.end).startsWith(') FROM stdin;')) continue;
    const [schema, table] = name.names;
    const take = wanted(schema, table);
    const block: CopyBlock = { schema, table, columns: cols.names, rows: [] };
    for (i++; i < lines.length && lines[i] !== '\\.'; i++)
      if (take) block.rows.push(lines[i].split('\t').map(decodeCopyField));
    if (take) out.push(block);
  }
  return out;
}

/** What a file must be for `restore --from`, said after "<file> is not a pg_dump file". */
const EXPECTED = 'plain or custom format expected';

/** pg_dump's first comment (plain format, and what pg_restore -f - prints); pg_dumpall's too. */
const DUMP_HEAD = /^-- PostgreSQL database (cluster )?dump$/m;
/** pg_dump's last comment: a plain dump without it was cut off. */
const DUMP_END = /^-- PostgreSQL database (cluster )?dump complete$/m;

/**
 * What kind of backup `file` is, by its first bytes: `custom` (pg_dump -Fc, starts with `PGDMP`)
 * or `plain` (pg_dump's SQL script: its `-- PostgreSQL database dump` comment within the first
 * 4 KB). Throws RunbookError 'config' with one line when it cannot be read, is missing, is a
 * directory (pg_dump -Fd), is empty, or is neither ("<file> is not a pg_dump file (plain or
 * custom format expected)"). Reads at most 4 KB; writes nothing.
 */
export async function backupFormat(file: string): Promise<'plain' | 'custom'> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new RunbookError(`The backup ${file} does not exist.`, 'config');
  if (stat.isDirectory())
    throw new RunbookError(
      `${file} is a directory, not a pg_dump file (${EXPECTED}; pg_dump --format=directory writes a directory: take the backup with --format=custom or as plain SQL).`,
      'config',
    );
  if (!stat.isFile()) throw new RunbookError(`${file} is not a pg_dump file (${EXPECTED}).`, 'config');
  if (stat.size === 0)
    throw new RunbookError(`${file} is not a pg_dump file (${EXPECTED}): it is empty.`, 'config');
  let head: Buffer;
  try {
    const h = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(Math.min(4096, stat.size));
      await h.read(head, 0, head.length, 0);
    } finally {
      await h.close();
    }
  } catch (e) {
    throw new RunbookError(`Cannot read the backup ${file}: ${(e as Error).message}`, 'config');
  }
  if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'custom';
  if (
    DUMP_HEAD.test(
      head
        .toString('utf8')
        .replace(/^\uFEFF/, '')
        .replace(/\r\n/g, '\n'),
    )
  )
    return 'plain';
  throw new RunbookError(`${file} is not a pg_dump file (${EXPECTED}).`, 'config');
}

/**
 * Throws RunbookError 'config' when the script of a backup (the plain file, or what pg_restore
 * printed of a custom one) was cut off: it lacks pg_dump's closing `-- PostgreSQL database dump
 * complete` comment, or a COPY block has no `\.` line (PostgreSQL 15 docs, pg_dump and COPY).
 */
function checkComplete(file: string, script: string): void {
  const cut = `${file} is a truncated pg_dump file: `;
  const what = 'the file was cut off (an interrupted copy or a full disk?): take the backup again';
  if (!DUMP_END.test(script))
    throw new RunbookError(
      `${cut}it does not end with pg_dump's "-- PostgreSQL database dump complete"; ${what}.`,
      'config',
    );
  let open = false;
  for (const line of script.split('\n')) {
    if (open && line === '\\.') open = false;
    else if (!open && line.startsWith('COPY ') && line.trimEnd().endsWith('FROM stdin;')) open = true;
  }
  if (open) throw new RunbookError(`${cut}a COPY block has no end; ${what}.`, 'config');
}

/**
 * The text of the backup's data for the tables named `tables` (bare names, any schema): a
 * plain-format file as it is, a custom-format one through `pg_restore --data-only -f -` (beside
 * `pgDumpPath`, else on PATH). Throws RunbookError 'config' with one line when the file is not a
 * pg_dump file (backupFormat), is truncated (checkComplete), or pg_restore cannot read it;
 * 'pgDump' when pg_restore is missing. Writes nothing.
 */
export async function readBackup(
  file: string,
  tables: string[],
  pgDumpPath: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if ((await backupFormat(file)) === 'plain') {
    const text = (await fs.readFile(file, 'utf8')).replace(/\r\n/g, '\n');
    checkComplete(file, text);
    return text;
  }
  const tool = siblingTool(pgDumpPath || 'pg_dump', 'pg_restore');
  let r: Awaited<ReturnType<typeof run>>;
  try {
    r = await run(tool, ['--data-only', '-f', '-', ...tables.map((t) => `--table=${t}`), file], env);
  } catch (e) {
    throw new RunbookError(
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? `pg_restore not found (${tool}): it reads custom-format backups. Install the PostgreSQL client tools or set prismaRollback.pgDumpPath (CLI: --pg-dump-path).`
        : `Cannot run ${tool}: ${(e as Error).message}`,
      'pgDump',
    );
  }
  if (r.code !== 0) {
    const why = redactSecrets(r.stderr).trim().split('\n')[0] || 'no message';
    throw new RunbookError(
      /end of file|unexpected EOF|could not read/i.test(why)
        ? `${file} is a truncated pg_dump file: pg_restore could not read it to the end (${why}); take the backup again.`
        : `pg_restore could not read ${file} (exit code ${r.code}): ${why}`,
      'config',
    );
  }
  checkComplete(file, r.stdout);
  return r.stdout;
}

/**
 * When the backup's own `_prisma_migrations` block (`block`, from copyBlocks; undefined when the
 * dump has none, e.g. a dump of chosen tables) records `migration` as applied (finished, not rolled
 * back), the time it finished (as the dump wrote it): the backup was taken after the deploy and
 * holds the values already destroyed. Undefined otherwise. Never throws.
 */
export function deployedInBackup(block: CopyBlock | undefined, migration: string): string | undefined {
  if (!block) return undefined;
  const col = (c: string) => block.columns.indexOf(c);
  const [name, finished, rolledBack] = [col('migration_name'), col('finished_at'), col('rolled_back_at')];
  if (name < 0 || finished < 0) return undefined;
  const row = block.rows.find(
    (r) => r[name] === migration && r[finished] !== null && (rolledBack < 0 || r[rolledBack] === null),
  );
  return row ? (row[finished] ?? undefined) : undefined;
}

/**
 * The migrations the backup's own `_prisma_migrations` block (`block`, from copyBlocks) records as
 * applied (finished, not rolled back) under a row id the live table does not hold (`liveIds`: every
 * `id` of the live `_prisma_migrations`), in the backup's order. Prisma gives each row a random id
 * when a migration starts (schema-engine `record_migration_started`) and never changes or deletes
 * it, so a backup of this database holds only ids the live table still has: a name listed here
 * means the backup was taken of another database built by the same migrations (or before this
 * one's history was reset). Empty when the block is absent or lacks the columns. Never throws.
 */
export function appliedRowsNotIn(block: CopyBlock | undefined, liveIds: ReadonlySet<string>): string[] {
  if (!block) return [];
  const col = (c: string) => block.columns.indexOf(c);
  const [id, name, finished, rolledBack] = [
    col('id'),
    col('migration_name'),
    col('finished_at'),
    col('rolled_back_at'),
  ];
  if (id < 0 || name < 0 || finished < 0) return [];
  return block.rows
    .filter((r) => r[finished] !== null && (rolledBack < 0 || r[rolledBack] === null))
    .filter((r) => r[id] !== null && !liveIds.has(r[id]))
    .map((r) => r[name] ?? '');
}
