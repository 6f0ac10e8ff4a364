/**
 * The rollback generator: replays the history into a schema model, walks migration N forward
 * computing each statement's inverse, and renders `down.sql` with the inverses in reverse order.
 */
import { checksumMatches, prismaChecksum } from '../migrations';
import { initSqlParser, parseMigrationSync, SqlParseError, type SqlStatement } from '../sql/parser';
import {
  applyStatement,
  type MigrationContext,
  type RollbackWarning,
  type RollbackWarningKind,
  type StepInverse,
  WARNING_KIND_WORDS,
} from './inverse';
import { dropTable, emptyModel, type N, type SchemaModel, tableKey } from './model';
import { scriptRisks } from './script-risk';

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
  /** What the header says about the text the rollback was generated from, when it matters. */
  source?: RollbackSourceNote;
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

/** Folds a whole migration into the model; returns the inverse of each statement. */
export function foldMigration(model: SchemaModel, statements: SqlStatement[]): StepInverse[] {
  const ctx: MigrationContext = { createdTables: new Set(), triggeredTables: new Set() };
  const out = statements.map((s) => {
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
  });
  // temporary tables end with the migration's session
  for (const [k, t] of [...model.tables]) if (t.extra?.relpersistence === 't') dropTable(model, k, false);
  return out;
}

/** The schema model after replaying `migrations` in order (parse failures are reported, not thrown). */
export function buildSchemaModelSync(migrations: MigrationSource[]): {
  model: SchemaModel;
  problems: string[];
} {
  const model = emptyModel();
  const problems: string[] = [];
  for (const m of migrations) {
    try {
      foldMigration(model, parseMigrationSync(m.sql, `${m.name}/migration.sql`).statements);
    } catch (e) {
      if (e instanceof SqlParseError)
        problems.push(`${e.message} (its changes are missing from the schema model)`);
      else throw e;
    }
  }
  return { model, problems };
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

export async function generateRollback(
  history: MigrationSource[],
  index: number,
  opts: RollbackOptions = {},
): Promise<RollbackResult> {
  await initSqlParser();
  return generateRollbackSync(history, index, opts);
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

/** Generates the rollback of `migration`, folding it into `model` (which must be the state before it). */
export function rollbackWithModel(
  model: SchemaModel,
  migration: MigrationSource,
  historyProblems: string[],
  opts: RollbackOptions = {},
): RollbackResult {
  const parsed = parseMigrationSync(migration.sql, `${migration.name}/migration.sql`);
  const inverses = foldMigration(model, parsed.statements);
  const steps: RollbackStep[] = parsed.statements.map((s, i) => {
    const inv = inverses[i];
    return {
      index: i + 1,
      forward: s.text,
      kind: s.kind,
      line: s.line,
      stepName: s.step,
      inverse: inv.sql,
      warnings: inv.warnings.map((w) => ({ ...w, line: s.line })),
      irreversible: inv.irreversible,
      noop: inv.noop,
      noTransaction: inv.noTransaction,
    } as RollbackStep & { noTransaction?: boolean };
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
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (s.noop && !s.irreversible && !s.inverse.length) {
      if (s.kind === 'TransactionStmt') continue;
      s.downLine = lines.length + 1;
      lines.push(
        `-- Step ${s.index} (line ${s.line})${s.stepName ? ` ${s.stepName}` : ''}: nothing to undo — ${s.noop}`,
      );
      lines.push(...forwardComment(s.forward, 3), '');
      continue;
    }
    s.downLine = lines.length + 1;
    lines.push(`-- Step ${s.index} (line ${s.line})${s.stepName ? ` ${s.stepName}` : ''}, undoes:`);
    lines.push(...forwardComment(s.forward));
    for (const w of s.warnings) {
      if (w.kind === 'irreversible') continue;
      w.downLine = lines.length + 1;
      warnings.push(w);
      lines.push(...commentLines(`WARNING (${w.kind}): ${w.message}`));
    }
    if (s.irreversible) {
      const w = s.warnings.find((x) => x.kind === 'irreversible');
      lines.push('-- ======================== IRREVERSIBLE ========================');
      if (w) {
        w.downLine = lines.length + 1;
        warnings.push(w);
      }
      lines.push(...commentLines(`IRREVERSIBLE: ${s.irreversible}`));
      lines.push('-- This step is NOT undone by this script. Write its inverse here by hand,');
      lines.push('-- or restore the affected data from the backup taken before the migration.');
      lines.push('-- ==============================================================');
    }
    for (const q of s.inverse) {
      // original SQL (views, functions) may end in a `--` comment: the `;` goes on its own line
      const last = q.split(/\r?\n/).pop() ?? '';
      lines.push(last.includes('--') ? `${q}\n;` : `${q};`);
    }
    lines.push('');
  }
  if (transactional) lines.push('COMMIT;');
  const unsigned = `${lines.join('\n').trimEnd()}\n`;
  const sql = signDownSql(unsigned);
  // the content line goes into the header: every later line moves down by one
  for (const s of steps) if (s.downLine) s.downLine++;
  for (const w of warnings) if (w.downLine) w.downLine++;
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
