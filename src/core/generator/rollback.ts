/**
 * The rollback generator: replays the history into a schema model, walks migration N forward
 * computing each statement's inverse, and renders `down.sql` with the inverses in reverse order.
 */
import { checksumMatches, prismaChecksum } from '../migrations';
import { forEachStatement, initSqlParser, SqlParseError, type SqlStatement } from '../sql/parser';
import {
  applyStatement,
  type MigrationContext,
  type RollbackWarning,
  type RollbackWarningKind,
  type StepInverse,
  WARNING_KIND_WORDS,
} from './inverse';
import { dropTable, emptyModel, type N, type SchemaModel, tableKey } from './model';
import { scriptRisks, UNARCHIVED_DO } from './script-risk';

export const GENERATOR_VERSION = '0.1.0';

export interface MigrationSource {
  name: string;
  sql: string;
}

/** The rollback of one forward statement, as rendered in `down.sql`. */
export interface RollbackStep {
  /** 1-based index of the statement in migration.sql. */
  index: number;
  /** The forward statement's text. */
  forward: string;
  /** Its node kind (`CreateStmt`, `AlterTableStmt`…). */
  kind: string;
  /** 1-based line of the forward statement in migration.sql. */
  line: number;
  /** Prisma's `-- StepName` comment above it, if any. */
  stepName?: string;
  /** The inverse SQL statements (without `;`). */
  inverse: string[];
  warnings: RollbackWarning[];
  /** Why the statement cannot be undone from SQL (the step is a marked block in down.sql). */
  irreversible?: string;
  /** Why there is nothing to undo (BEGIN/COMMIT, IF NOT EXISTS that found the object…). */
  noop?: string;
  /** 1-based line in down.sql where this step's section starts. */
  downLine?: number;
}

export interface RollbackSummary {
  statements: number;
  /** Statements undone by generated SQL. */
  inverted: number;
  /** Statements with nothing to undo. */
  noop: number;
  /** Statements with at least one warning. */
  flagged: number;
  /** Statements that cannot be undone from SQL. */
  irreversible: number;
  /** Warnings by kind. */
  byKind: Partial<Record<RollbackWarningKind, number>>;
}

export interface RollbackResult {
  migration: string;
  /** SHA-256 (Prisma's checksum) of the migration.sql the rollback was generated from. */
  checksum: string;
  /** The down.sql text. */
  sql: string;
  steps: RollbackStep[];
  /** Every warning, in down.sql order (with `downLine`). */
  warnings: RollbackWarning[];
  /** The steps that cannot be undone from SQL. */
  irreversible: RollbackStep[];
  summary: RollbackSummary;
  /** Whether the body is wrapped in BEGIN/COMMIT (false when a step cannot run in a transaction). */
  transactional: boolean;
  /** Earlier migrations the model could not read (their effects are missing from the model). */
  historyProblems: string[];
}

export interface RollbackOptions {
  /** Label of the generator in the header (default "statements"). */
  strategy?: string;
  /**
   * Directory of the on-disk model cache (`defaultModelCacheDir()`); unset: no cache (the
   * history is parsed and folded in memory).
   */
  modelCacheDir?: string;
  /** What the header says about the text the rollback was generated from, when it matters. */
  source?: RollbackSourceNote;
  /**
   * What the environment's archive holds for this migration (`down --env NAME`; read by the caller
   * from src/core/archive/store.ts archiveOf, dates already formatted): the header lists what
   * apply-down restores, and the data-loss and IRREVERSIBLE warnings of the steps it covers say
   * "restored from the archive of <date>" instead of "cannot be restored" / "are deleted".
   */
  archive?: RollbackArchiveNote;
}

/**
 * The text a rollback was generated from, when a database ran another version of migration.sql
 * (its checksum in `_prisma_migrations` differs from the file's: edited after it was applied).
 */
export type RollbackSourceNote =
  /** Generated from the edited file, while `environment` ran the version with `ranChecksum`. */
  | { kind: 'editedFile'; environment: string; ranChecksum: string }
  /** Generated from the version `environment` ran, found in git at `revision`; the file now has `fileChecksum`. */
  | { kind: 'versionThatRan'; environment: string; revision: string; fileChecksum: string };

/** The header's `-- Note:` line for a source note (one line; checksums shortened to 12 digits). */
export function sourceNoteLine(n: RollbackSourceNote): string {
  return n.kind === 'editedFile'
    ? `-- Note: generated from the edited migration.sql, while ${n.environment} ran the version with checksum ${n.ranChecksum.slice(0, 12)}…: this rollback may undo text that database never ran.`
    : `-- Note: generated from the version of migration.sql that ${n.environment} ran (git ${n.revision.slice(0, 10)}); the file was edited after it was applied (it now has checksum ${n.fileChecksum.slice(0, 12)}…).`;
}

/** The archive of one migration on one environment, as down.sql shows it (RollbackOptions.archive). */
export interface RollbackArchiveNote {
  environment: string;
  entries: {
    /** `table` or `schema.table` (names before the migration). */
    table: string;
    kind: 'table' | 'columns' | 'rows';
    /** Archived columns (for `columns`: the ones restored). */
    columns: string[];
    rows: number;
    /** When it was taken, formatted for people (src/core/status/present.ts formatDateTime). */
    takenAt: string;
  }[];
}

/**
 * The archive entry that covers a warning, matched on the warning's data (RollbackWarning.data,
 * set by the statement family that wrote it), never on its words:
 * - `dropTable`: an entry of kind `table` of that table (every row);
 * - `dropColumn`, `alterType` (values rewritten by USING): an entry of that table, not `rows`, that
 *   holds every one of the columns;
 * - `insert`, `update`, `delete`, `truncate`: an entry `rows` or `table` of every written table;
 * - `createTable`, `addColumn`: never (the rollback deletes what was written since the migration;
 *   the archive holds data from before it).
 * A warning without data (a DO block, SELECT, MERGE, COPY, an unknown statement) is never covered:
 * fail closed. Tables are compared in the names at the statement; an entry's `schema.table` matches
 * a warning's table with that schema, a bare entry one without a schema.
 */
function archiveCovering(
  archive: RollbackArchiveNote | undefined,
  w: RollbackWarning,
): RollbackArchiveNote['entries'][number] | undefined {
  const data = w.data;
  if (!archive || !data || data.kind === 'createTable' || data.kind === 'addColumn') return undefined;
  const holds = (e: RollbackArchiveNote['entries'][number]): boolean => {
    if (data.kind === 'dropTable') return e.kind === 'table';
    if (data.kind === 'dropColumn' || data.kind === 'alterType')
      return e.kind !== 'rows' && (data.columns ?? []).every((c) => e.columns.includes(c));
    return e.kind === 'rows' || e.kind === 'table';
  };
  let first: RollbackArchiveNote['entries'][number] | undefined;
  for (const t of data.tables) {
    const name = t.schema ? `${t.schema}.${t.table}` : t.table;
    const e = archive.entries.find((x) => x.table === name && holds(x));
    if (!e) return undefined;
    first ??= e;
  }
  return first;
}

/**
 * A data-loss or IRREVERSIBLE warning the archive covers, reworded (see RollbackOptions.archive):
 * an IRREVERSIBLE one says how after its words; another keeps the words naming the data
 * (`data.lead`) followed by how.
 */
function archivedWarning(w: RollbackWarning, takenAt: string, environment: string): RollbackWarning {
  const how = `restored from the archive of ${takenAt} (apply-down --env ${environment} restores it after this script, same transaction)`;
  const archived = { takenAt };
  if (w.kind === 'irreversible' || !w.data?.lead) return { ...w, message: `${w.message} — ${how}`, archived };
  return { ...w, message: `${w.data.lead}: ${how}`, archived };
}

/** Folds a whole migration into the model; returns the inverse of each statement. */
export function foldMigration(model: SchemaModel, statements: SqlStatement[]): StepInverse[] {
  const folder = migrationFolder(model);
  const out = statements.map((s) => folder.fold(s));
  folder.finish();
  return out;
}

/**
 * foldMigration one statement at a time (what lets the generator stream a large migration):
 * `fold` each statement in order, then `finish` once (temporary tables end with the session).
 */
function migrationFolder(model: SchemaModel): { fold(s: SqlStatement): StepInverse; finish(): void } {
  const ctx: MigrationContext = { createdTables: new Set(), triggeredTables: new Set() };
  return {
    fold(s) {
      const n = s.node as N;
      if (n.CreateStmt && n.CreateStmt.relation?.relpersistence !== 't') {
        const key = tableKey(n.CreateStmt.relation);
        if (!model.tables.has(key)) ctx.createdTables.add(key);
      } else if (n.CreateTrigStmt?.relation) ctx.triggeredTables.add(tableKey(n.CreateTrigStmt.relation));
      else if (n.RuleStmt?.relation) ctx.triggeredTables.add(tableKey(n.RuleStmt.relation));
      try {
        return applyStatement(model, s, ctx);
      } catch (e) {
        // a shape of parse tree the model does not expect: never crash the whole generation
        const why = `the generator could not follow this statement (${(e as Error).message}): undo it by hand`;
        return { sql: [], warnings: [{ kind: 'irreversible' as const, message: why }], irreversible: why };
      }
    },
    finish() {
      // temporary tables end with the migration's session
      for (const [k, t] of [...model.tables]) if (t.extra?.relpersistence === 't') dropTable(model, k, false);
    },
  };
}

/** The schema model after replaying `migrations` in order (parse failures are reported, not thrown). */
export function buildSchemaModelSync(migrations: MigrationSource[]): {
  model: SchemaModel;
  problems: string[];
} {
  const model = emptyModel();
  const problems: string[] = [];
  foldHistoryInto(model, migrations, problems);
  return { model, problems };
}

/**
 * Folds `migrations` in order into `model` (which must be the state before the first of them);
 * a migration that does not parse is skipped and described in `problems` (pushed). Throws only
 * what is not a SqlParseError (a generator bug); `model` is then partly folded.
 */
export function foldHistoryInto(model: SchemaModel, migrations: MigrationSource[], problems: string[]): void {
  for (const m of migrations) {
    // A migration that does not parse changes nothing (foldStreaming restores the model).
    try {
      foldStreaming(model, m);
    } catch (e) {
      if (e instanceof SqlParseError)
        problems.push(`${e.message} (its changes are missing from the schema model)`);
      else throw e;
    }
  }
}

/**
 * Generates the rollback of `history[index]` from the model of `history[0..index-1]`.
 * Throws `SqlParseError` (file, line, column) when that migration does not parse.
 */
export function generateRollbackSync(
  history: MigrationSource[],
  index: number,
  opts: RollbackOptions = {},
): RollbackResult {
  if (index < 0 || index >= history.length)
    throw new RangeError(`No migration at index ${index} (history has ${history.length})`);
  const { model, problems } = buildSchemaModelSync(history.slice(0, index));
  return rollbackWithModel(model, history[index], problems, opts);
}

/**
 * `generateRollbackSync` after loading the parser. With `opts.modelCacheDir`, the model of
 * `history[0..index-1]` comes from the on-disk model cache (./model-cache.ts) when it is there
 * and is saved there otherwise. Throws `SqlParseError` (file, line, column) when
 * `history[index]` does not parse, RangeError for an index outside the history.
 */
export async function generateRollback(
  history: MigrationSource[],
  index: number,
  opts: RollbackOptions = {},
): Promise<RollbackResult> {
  await initSqlParser();
  if (!opts.modelCacheDir) return generateRollbackSync(history, index, opts);
  if (index < 0 || index >= history.length)
    throw new RangeError(`No migration at index ${index} (history has ${history.length})`);
  const { buildSchemaModelCached } = await import('./model-cache');
  const { model, problems } = await buildSchemaModelCached(history.slice(0, index), opts.modelCacheDir);
  return rollbackWithModel(model, history[index], problems, opts);
}

/**
 * Generates every migration's rollback in one pass over the history (what the conformance run and
 * the benchmark use). A migration that does not parse yields a SqlParseError in its slot (not
 * thrown). Any other error (a bug in the generator) is rethrown and the results so far are lost;
 * nothing is written either way (pure, in memory). The parser must be loaded (`initSqlParser`).
 */
export function generateAllRollbacksSync(
  history: MigrationSource[],
  opts: RollbackOptions = {},
): Array<RollbackResult | SqlParseError> {
  const model = emptyModel();
  const problems: string[] = [];
  const out: Array<RollbackResult | SqlParseError> = [];
  for (const m of history) {
    try {
      out.push(rollbackWithModel(model, m, [...problems], opts));
    } catch (e) {
      if (!(e instanceof SqlParseError)) throw e;
      problems.push(`${e.message} (its changes are missing from the schema model)`);
      out.push(e);
    }
  }
  return out;
}

/**
 * Parses `migration` and folds each statement into `model` as it comes (see forEachStatement),
 * handing `each` the statement and its inverse, so that a large migration's parse trees are not
 * all held at once. Throws SqlParseError when the migration does not parse; `model` is then as it
 * was (a large script, parsed in pieces, may fail after earlier pieces were folded: the model is
 * restored from a copy taken before).
 */
function foldStreaming(
  model: SchemaModel,
  migration: MigrationSource,
  each?: (s: SqlStatement, inv: StepInverse) => void,
): void {
  const file = `${migration.name}/migration.sql`;
  const before = migration.sql.length > 256 * 1024 ? structuredClone(model) : undefined;
  const folder = migrationFolder(model);
  try {
    forEachStatement(migration.sql, file, (s) => {
      const inv = folder.fold(s);
      each?.(s, inv);
    });
  } catch (e) {
    if (before) Object.assign(model, before);
    throw e;
  }
  folder.finish();
}

/** Generates the rollback of `migration`, folding it into `model` (which must be the state before it). */
export function rollbackWithModel(
  model: SchemaModel,
  migration: MigrationSource,
  historyProblems: string[],
  opts: RollbackOptions = {},
): RollbackResult {
  const steps: Array<RollbackStep & { noTransaction?: boolean }> = [];
  foldStreaming(model, migration, (s, inv) => {
    steps.push({
      index: steps.length + 1,
      forward: s.text,
      kind: s.kind,
      line: s.line,
      stepName: s.step,
      inverse: inv.sql,
      warnings: inv.warnings.map((w) => ({ ...w, line: s.line })),
      irreversible: inv.irreversible,
      noop: inv.noop,
      noTransaction: inv.noTransaction,
    });
  });
  return render(migration, steps, historyProblems, opts);
}

function commentLines(text: string, prefix = '-- '): string[] {
  return text.split(/\r?\n|\r/).map((l) => `${prefix}${l}`.trimEnd());
}

/** At most `max` lines of a forward statement, as SQL comments. */
function forwardComment(text: string, max = 12): string[] {
  const lines = text.split(/\r?\n|\r/);
  const shown = lines.slice(0, max);
  const out = shown.map((l) => `--   ${l}`.trimEnd());
  if (lines.length > max) out.push(`--   … (${lines.length - max} more lines)`);
  return out;
}

/** Fewest similar statements in a row that down.sql shows as one section. */
const GROUP_MIN = 3;

/**
 * Runs of consecutive steps that down.sql shows as one section (issue 14: a 10 MB seed
 * migration wrote a 52 MB down.sql, one section per INSERT): at least GROUP_MIN steps of the same
 * kind, none with inverse SQL, with the same "nothing to undo" reason, the same irreversibility
 * and the same warnings. Their effect on the script is none (sections without SQL are comments),
 * so grouping changes only what is read. Returns `[first, last]` index ranges covering `steps`.
 */
function groupSimilarSteps(steps: RollbackStep[]): { first: number; last: number }[] {
  const same = (a: RollbackStep, b: RollbackStep) =>
    a.kind === b.kind &&
    a.kind !== 'TransactionStmt' &&
    a.inverse.length === 0 &&
    b.inverse.length === 0 &&
    a.noop === b.noop &&
    a.irreversible === b.irreversible &&
    a.warnings.length === b.warnings.length &&
    a.warnings.every((w, i) => w.kind === b.warnings[i].kind && w.message === b.warnings[i].message);
  const out: { first: number; last: number }[] = [];
  let i = 0;
  while (i < steps.length) {
    let j = i;
    while (j + 1 < steps.length && same(steps[i], steps[j + 1])) j++;
    if (j - i + 1 >= GROUP_MIN) out.push({ first: i, last: j });
    else for (let k = i; k <= j; k++) out.push({ first: k, last: k });
    i = j + 1;
  }
  return out;
}

/** "INSERTs", "UPDATEs"… for a statement kind (`InsertStmt`), else "statements". */
function statementWord(kind: string): string {
  const m = /^(Insert|Update|Delete|Merge|Select|Copy|Truncate)Stmt$/.exec(kind);
  return m ? `${m[1].toUpperCase()}s` : 'statements';
}

function render(
  migration: MigrationSource,
  steps: Array<RollbackStep & { noTransaction?: boolean }>,
  historyProblems: string[],
  opts: RollbackOptions,
): RollbackResult {
  const checksum = prismaChecksum(migration.sql);
  const transactional = !steps.some((s) => s.noTransaction);
  const byKind: RollbackSummary['byKind'] = {};
  for (const s of steps) for (const w of s.warnings) byKind[w.kind] = (byKind[w.kind] ?? 0) + 1;
  const summary: RollbackSummary = {
    statements: steps.length,
    inverted: steps.filter((s) => !s.irreversible && !s.noop && s.inverse.length > 0).length,
    noop: steps.filter((s) => s.noop && !s.irreversible).length,
    flagged: steps.filter((s) => s.warnings.length > 0).length,
    irreversible: steps.filter((s) => s.irreversible).length,
    byKind,
  };
  const lines: string[] = [];
  lines.push(`-- Rollback of migration ${migration.name}`);
  lines.push(`-- Generated from migration.sql sha256 ${checksum}`);
  lines.push(`-- Generator: prisma-rollback ${GENERATOR_VERSION} (${opts.strategy ?? 'statements'})`);
  const kinds = Object.entries(byKind)
    .map(([k, v]) => `${v} ${WARNING_KIND_WORDS[k as RollbackWarningKind] ?? k}`)
    .join(', ');
  lines.push(
    `-- Summary: ${summary.statements} statement${summary.statements === 1 ? '' : 's'}, ${summary.inverted} reversed, ${summary.noop} with nothing to undo, ${summary.flagged} flagged${kinds ? ` (${kinds})` : ''}, ${summary.irreversible} irreversible`,
  );
  if (summary.irreversible)
    lines.push(
      '-- !! Some steps cannot be undone from SQL: see the IRREVERSIBLE blocks below and restore from the backup.',
    );
  if (opts.source) lines.push(sourceNoteLine(opts.source));
  if (opts.archive?.entries.length) {
    const env = opts.archive.environment;
    lines.push(
      `-- Archive on ${env}: apply-down --env ${env} restores, after this script and in its transaction:`,
    );
    for (const e of opts.archive.entries)
      lines.push(
        `--   ${e.table}: ${e.kind === 'columns' ? `columns ${e.columns.join(', ')}` : e.kind === 'table' ? 'every row' : 'prior rows'} — ${e.rows.toLocaleString('en-US')} row${e.rows === 1 ? '' : 's'}, taken at ${e.takenAt}`,
      );
  }
  if (opts.archive) {
    const blocks = steps.filter((s) => s.kind === 'DoStmt').map((s) => s.line);
    if (blocks.length)
      lines.push(
        `-- Not archived (migration.sql line${blocks.length === 1 ? '' : 's'} ${blocks.join(', ')}): ${UNARCHIVED_DO}; apply-down does not restore it — restore it from a backup taken before the deploy.`,
      );
  }
  for (const p of historyProblems) lines.push(`-- Note: ${p}`);
  const prismaWarnings = prismaWarningsOf(migration.sql);
  if (prismaWarnings.length) {
    lines.push('-- Prisma warned when it generated the migration:');
    for (const w of prismaWarnings) lines.push(`--   ${w}`);
  }
  lines.push(
    '-- Review every WARNING before running this script; it undoes the migration statement by statement, last first.',
  );
  if (!transactional)
    lines.push(
      '-- Not wrapped in a transaction: a step below (CONCURRENTLY) cannot run inside a transaction block.',
    );
  lines.push('');
  if (transactional) lines.push('BEGIN;', '');
  const warnings: RollbackWarning[] = [];
  const groups = groupSimilarSteps(steps);
  for (let g = groups.length - 1; g >= 0; g--) {
    const { first, last } = groups[g];
    const s = steps[last];
    const count = last - first + 1;
    const head = steps[first];
    const where =
      count === 1
        ? `Step ${s.index} (line ${s.line})${s.stepName ? ` ${s.stepName}` : ''}`
        : `Steps ${head.index}–${s.index} (lines ${head.line}–${s.line}${head.stepName ? `, ${head.stepName}` : ''}), ${count.toLocaleString('en-US')} statements like the first`;
    const more = count === 1 ? [] : [`--   … and ${(count - 1).toLocaleString('en-US')} more like it`];
    const mark = (downLine: number) => {
      for (let i = first; i <= last; i++) steps[i].downLine = downLine;
    };
    /** The warning of the section: the step's own, or one for the whole run. */
    const groupPrefix = `${count.toLocaleString('en-US')} ${s.kind === head.kind ? statementWord(head.kind) : 'statements'} (lines ${head.line}–${s.line}): `;
    /**
     * The data of a warning for the whole run: the tables of every statement of the run (the same
     * words can name different tables, e.g. UPDATEs of several tables); none when one statement's
     * warning has no data (fail closed).
     */
    const groupData = (w: RollbackWarning): RollbackWarning['data'] => {
      if (!w.data) return undefined;
      const tables: NonNullable<RollbackWarning['data']>['tables'] = [];
      for (let i = first; i <= last; i++) {
        const x = steps[i].warnings.find((y) => y.kind === w.kind && y.message === w.message);
        if (!x?.data || x.data.kind !== w.data.kind) return undefined;
        for (const t of x.data.tables)
          if (!tables.some((u) => u.schema === t.schema && u.table === t.table)) tables.push(t);
      }
      return { ...w.data, tables, ...(w.data.lead ? { lead: `${groupPrefix}${w.data.lead}` } : {}) };
    };
    const grouped = (w: RollbackWarning): RollbackWarning =>
      count === 1
        ? w
        : {
            ...w,
            message: `${groupPrefix}${w.message}`,
            line: head.line,
            group: { count, lastLine: s.line },
            data: groupData(w),
          };
    if (s.noop && !s.irreversible && !s.inverse.length) {
      if (s.kind === 'TransactionStmt') continue;
      mark(lines.length + 1);
      lines.push(`-- ${where}: nothing to undo — ${s.noop}`);
      lines.push(...forwardComment(head.forward, 3), ...more, '');
      continue;
    }
    mark(lines.length + 1);
    lines.push(`-- ${where}, undo${count === 1 ? 'es' : ''}:`);
    lines.push(...forwardComment(head.forward), ...more);
    /** The warning, reworded when the environment's archive covers it. */
    const archived = (w: RollbackWarning): RollbackWarning => {
      // Fail closed: a statement the archive does not capture is never "restored from the archive".
      if (opts.archive && head.kind === 'DoStmt')
        return w.kind === 'irreversible'
          ? { ...w, message: `${w.message} — ${UNARCHIVED_DO}: restore it from a backup` }
          : w;
      const e = archiveCovering(opts.archive, w);
      return e ? archivedWarning(w, e.takenAt, opts.archive!.environment) : w;
    };
    for (const w0 of s.warnings) {
      if (w0.kind === 'irreversible') continue;
      const w = archived(
        grouped(count === 1 ? w0 : (head.warnings.find((x) => x.message === w0.message) ?? w0)),
      );
      w.downLine = lines.length + 1;
      warnings.push(w);
      lines.push(...commentLines(`WARNING (${w.kind}): ${w.message}`));
    }
    if (s.irreversible) {
      const w0 = head.warnings.find((x) => x.kind === 'irreversible');
      lines.push('-- ======================== IRREVERSIBLE ========================');
      let restoredBy: string | undefined;
      if (w0) {
        const w = archived(grouped(w0));
        if (w.message !== grouped(w0).message) restoredBy = w.message.slice(grouped(w0).message.length + 3);
        w.downLine = lines.length + 1;
        warnings.push(w);
      }
      lines.push(
        ...commentLines(
          `IRREVERSIBLE${count === 1 ? '' : ` (all ${count.toLocaleString('en-US')} statements)`}: ${s.irreversible}${restoredBy ? ` — ${restoredBy}` : ''}`,
        ),
      );
      if (restoredBy && !restoredBy.startsWith(UNARCHIVED_DO))
        lines.push(
          `-- ${count === 1 ? 'This step is' : 'These steps are'} NOT undone by this script: apply-down --env ${opts.archive!.environment} puts the archived rows back after it.`,
        );
      else {
        lines.push(
          `-- ${count === 1 ? 'This step is' : 'These steps are'} NOT undone by this script. Write ${count === 1 ? 'its inverse' : 'their inverses'} here by hand,`,
        );
        lines.push('-- or restore the affected data from the backup taken before the migration.');
      }
      lines.push('-- ==============================================================');
    }
    for (const q of s.inverse) {
      // original SQL (views, functions) may end in a `--` comment: the `;` goes on its own line
      const tail = q.split(/\r?\n/).pop() ?? '';
      lines.push(tail.includes('--') ? `${q}\n;` : `${q};`);
    }
    lines.push('');
  }
  if (transactional) lines.push('COMMIT;');
  const unsigned = `${lines.join('\n').trimEnd()}\n`;
  const sql = signDownSql(unsigned);
  // the content line goes into the header: every later line moves down by one
  for (const s of steps) if (s.downLine) s.downLine++;
  for (const w of warnings) if (w.downLine) w.downLine++;
  // a grouped step's own warnings point at its group's section
  for (const s of steps) for (const w of s.warnings) w.downLine ??= s.downLine;
  return {
    migration: migration.name,
    checksum,
    sql,
    steps: steps.map(({ noTransaction: _n, ...s }) => s),
    warnings,
    irreversible: steps.filter((s) => s.irreversible),
    summary,
    transactional,
    historyProblems,
  };
}

/**
 * A down.sql around the script of Prisma's differ (the `prismaDiff` strategy), with the same
 * header as the statement generator's (source checksum, generator, content hash), so staleness and
 * hand-edit detection work the same.
 */
export function renderPrismaDiffRollback(
  migration: MigrationSource,
  script: string,
  model?: SchemaModel,
  source?: RollbackSourceNote,
): RollbackResult {
  const checksum = prismaChecksum(migration.sql);
  const body = script
    .split(/\r?\n/)
    .filter((l) => !/^--\s*This is an empty migration\.?\s*$/.test(l.trim()))
    .join('\n')
    .trim();
  const statements = body.split('\n').filter((l) => /;\s*$/.test(l) && !l.trim().startsWith('--')).length;
  // The same per-step data-loss analysis as the statement generator's, on Prisma's script.
  const risks = model ? scriptRisks(body, model) : [];
  const note =
    "Prisma's migrate diff sees the schema Prisma models (tables, columns, indexes, foreign keys, enums), not custom SQL: functions, triggers, views and data changes are not undone.";
  const lines = [
    `-- Rollback of migration ${migration.name}`,
    `-- Generated from migration.sql sha256 ${checksum}`,
    `-- Generator: prisma-rollback ${GENERATOR_VERSION} (prismaDiff)`,
    `-- Summary: ${statements} statements from Prisma's migrate diff (migrations up to ${migration.name} → the ones before it)`,
    `-- Note: ${note}`,
    '-- Review the script before running it: Prisma generates it from the two schemas, not from the migration.',
  ];
  if (source) lines.splice(4, 0, sourceNoteLine(source));
  // down.sql line of the body's first line: the header, the warnings, '', BEGIN, '', and the
  // content line that signing adds to the header.
  const bodyStart = lines.length + risks.length + 3 + 2;
  const warnings = risks.map((w) => ({ ...w, downLine: bodyStart + w.line - 1 }));
  lines.push(
    ...warnings.map((w) => `-- WARNING (${w.kind}) at line ${w.downLine}: ${w.message}`),
    '',
    'BEGIN;',
    '',
    body || `-- Prisma's migrate diff found no difference: ${migration.name} changes nothing Prisma models.`,
    '',
    'COMMIT;',
  );
  const byKind: RollbackSummary['byKind'] = {};
  for (const w of warnings) byKind[w.kind] = (byKind[w.kind] ?? 0) + 1;
  const flagged = new Set(warnings.map((w) => w.line)).size;
  const sql = signDownSql(`${lines.join('\n')}\n`);
  return {
    migration: migration.name,
    checksum,
    sql,
    steps: [],
    warnings,
    irreversible: [],
    summary: { statements, inverted: statements, noop: 0, flagged, irreversible: 0, byKind },
    transactional: true,
    historyProblems: [note],
  };
}

/** Reads the header of a down.sql: the migration.sql checksum it was generated from. */
export function downSqlSourceChecksum(downSql: string): string | undefined {
  return /^-- Generated from migration\.sql sha256 ([0-9a-f]{64})\s*$/m.exec(downSql)?.[1];
}

/** Whether a down.sql was generated from a different migration.sql than `migrationSql` (stale). */
export function isDownSqlStale(downSql: string, migrationSql: string): boolean | undefined {
  const c = downSqlSourceChecksum(downSql);
  if (!c) return undefined;
  // LF ↔ CRLF conversions (git autocrlf) do not make a rollback stale, as for Prisma's own checksum
  return !checksumMatches(c, migrationSql);
}

const CONTENT_LINE = /^-- Content sha256 ([0-9a-f]{64})\n/m;

/** Adds a `-- Content sha256` line (of the rest of the file) after the header's third line. */
function signDownSql(text: string): string {
  const hash = prismaChecksum(text);
  const lines = text.split('\n');
  lines.splice(3, 0, `-- Content sha256 ${hash}`);
  return lines.join('\n');
}

/**
 * Whether a down.sql was changed by hand since it was generated: `true` when its content no longer
 * matches the header's content hash, `undefined` when it has no such header (written by hand).
 */
export function isDownSqlHandEdited(downSql: string): boolean | undefined {
  const text = downSql.replace(/\r\n/g, '\n');
  const m = CONTENT_LINE.exec(text);
  if (!m) return undefined;
  const rest = text.slice(0, m.index) + text.slice(m.index + m[0].length);
  return prismaChecksum(rest) !== m[1];
}

/** The items of the `/* Warnings: … *\/` block Prisma writes at the top of a migration. */
export function prismaWarningsOf(migrationSql: string): string[] {
  const m = /^\s*\/\*\s*Warnings:([\s\S]*?)\*\//.exec(migrationSql);
  if (!m) return [];
  const items: string[] = [];
  for (const raw of m[1].split(/\r?\n/)) {
    const l = raw.trim();
    if (l.startsWith('- ')) items.push(l.slice(2).trim());
    else if (l && items.length) items[items.length - 1] += ` ${l}`;
  }
  return items;
}

export type DownSqlConflict = 'handWritten' | 'handEdited' | 'stale' | 'differs';

/**
 * Whether writing `generated` over an existing down.sql would lose something, and why:
 * `handWritten` (no generator header), `handEdited` (changed after generation), `stale` (generated
 * from an earlier migration.sql), `differs` (generated, untouched, but different now, e.g. a newer
 * generator). `undefined`: nothing to lose (same content). Callers ask before overwriting.
 */
export function downSqlConflict(
  current: string,
  generated: string,
  migrationSql: string,
): DownSqlConflict | undefined {
  if (current.replace(/\r\n/g, '\n') === generated.replace(/\r\n/g, '\n')) return undefined;
  const edited = isDownSqlHandEdited(current);
  if (edited === undefined) return 'handWritten';
  if (edited) return 'handEdited';
  return isDownSqlStale(current, migrationSql) ? 'stale' : 'differs';
}

export const DOWN_SQL_CONFLICT_REASONS: Record<DownSqlConflict, string> = {
  handWritten: 'it was written by hand',
  handEdited: 'it was edited by hand after it was generated',
  stale: 'it was generated from an earlier migration.sql',
  differs: 'it differs from what would be generated now',
};
