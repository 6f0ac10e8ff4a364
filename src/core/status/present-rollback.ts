/**
 * How rollbacks read in the editor: CodeLens titles, tree descriptions and tooltips of a
 * verification, notification texts of a generation, Problems entries for `down.sql`, the name
 * of a rollback migration, the shadow-database setting. Pure (no 'vscode'): the editor layer
 * and the unit tests share one wording. Only types are imported from the generator and the
 * verifier, so nothing heavy is loaded with it.
 */
import type { DownSqlConflict, RollbackSummary } from '../generator';
import { type RollbackWarningKind, WARNING_KIND_WORDS } from '../generator/warning-kinds';
import type { Count, DestructiveStep, PrecheckResult, VerifyResult } from '../verify';
import { stateWord } from './present';

/** What the editor knows about the verification of one migration's rollback. */
export type VerificationState = { kind: 'running' } | VerifyResult;

/** `850 ms`, `2 s`, `1.4 s`, `2 min 5 s` (whole seconds without `.0`, as in the CodeLens). */
export function shortDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 10_000) {
    const s = Math.round(ms / 100) / 10;
    return `${Number.isInteger(s) ? s.toFixed(0) : s.toFixed(1)} s`;
  }
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${total % 60} s`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The first line of a reason, at most `max` characters. */
export function shortReason(reason: string, max = 80): string {
  const line = reason.split(/\r?\n/)[0].trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/** Migrations the rollback was proven against: the history before N and N itself. */
export function migrationsVerifiedAgainst(r: { replayed: number }): number {
  return r.replayed + 1;
}

/** `4 migrations` — how many migrations a verified rollback was proven against, in words (every surface). */
export function verifiedAgainstText(r: { replayed: number }): string {
  return plural(migrationsVerifiedAgainst(r), 'migration');
}

/**
 * Title of the verification CodeLens (stable texts, the e2e journeys read them):
 * `Verify rollback`, `$(sync~spin) Verifying rollback…`, `✓ Verified against 434 migrations · 2 s`,
 * `✗ 2 differences`, `? cannot prove: <first reason>`, `? could not verify: <reason>`.
 */
export function verificationLensTitle(state: VerificationState | undefined): string {
  if (!state) return 'Verify rollback';
  switch (state.kind) {
    case 'running':
      return '$(sync~spin) Verifying rollback…';
    case 'verified':
      return `✓ Verified against ${plural(migrationsVerifiedAgainst(state), 'migration')} · ${shortDuration(state.ms)}`;
    case 'differences':
      return `✗ ${plural(state.differences.length, 'difference')}`;
    case 'cannotProve':
      return `? cannot prove: ${shortReason(cannotProveReason(state.reasons), 60)}`;
    case 'couldNotVerify':
      return `? could not verify: ${shortReason(state.reason, 60)}`;
  }
}

/** Short words for the tree item's description: `rollback verified`, `rollback: 2 differences`… */
export function verificationDescription(state: VerificationState | undefined): string | undefined {
  if (!state) return undefined;
  switch (state.kind) {
    case 'running':
      return 'verifying rollback…';
    case 'verified':
      return 'rollback ✓ verified';
    case 'differences':
      return `rollback ✗ ${plural(state.differences.length, 'difference')}`;
    case 'cannotProve':
      return 'rollback ? cannot prove';
    case 'couldNotVerify':
      return 'rollback ? not verified';
  }
}

/** Markdown lines for the tree item's tooltip (texts are escaped by the caller's `esc`). */
export function verificationTooltipLines(
  state: VerificationState | undefined,
  esc: (s: string) => string = (s) => s,
): string[] {
  if (!state) return [];
  switch (state.kind) {
    case 'running':
      return ['Rollback: verifying…'];
    case 'verified':
      return [
        `Rollback **verified**: migrations 1–${migrationsVerifiedAgainst(state)} and the rollback leave the schema exactly as it was before this migration (${state.engine === 'server' ? 'shadow database server' : 'embedded PostgreSQL'}, ${shortDuration(state.ms)}${state.cached ? ', cached' : ''}).`,
      ];
    case 'differences':
      return [
        `Rollback **does not restore the schema** (${plural(state.differences.length, 'difference')}):`,
        ...state.differences.slice(0, 10).map((d) => `- ${esc(d)}`),
        ...(state.differences.length > 10 ? [`- … and ${state.differences.length - 10} more`] : []),
      ];
    case 'cannotProve':
      return [
        'Rollback **cannot be proven**: the schema comparison found no difference, but it cannot see the effect of:',
        ...state.reasons.slice(0, 10).map((d) => `- ${esc(d)}`),
        ...(state.reasons.length > 10 ? [`- … and ${state.reasons.length - 10} more`] : []),
      ];
    case 'couldNotVerify':
      return [`Rollback could not be verified: ${esc(state.reason)}`];
  }
}

/** The notification after a verification. */
export function verificationMessage(migration: string, r: VerifyResult): string {
  switch (r.kind) {
    case 'verified':
      return `✓ The rollback of ${migration} is verified against ${plural(migrationsVerifiedAgainst(r), 'migration')}: the schema after the migration and its rollback equals the schema before (${shortDuration(r.ms)}${r.cached ? ', cached result' : ''}).`;
    case 'differences': {
      const n = plural(r.differences.length, 'difference');
      const f = r.failure;
      if (f) {
        const at = f.line !== undefined ? `:${f.line}:${f.column ?? 1}` : '';
        return `✗ The rollback of ${migration} does not restore the schema: ${n} (${f.script}${at} failed to apply: ${f.message}${f.code ? ` (${f.code})` : ''}). See the Problems panel.`;
      }
      return `✗ The rollback of ${migration} does not restore the schema: ${n} (${r.differences.slice(0, 2).join('; ')}${r.differences.length > 2 ? '; …' : ''}). See the Problems panel.`;
    }
    case 'cannotProve':
      return `? The rollback of ${migration} cannot be proven: the schema comparison found no difference, but it cannot see the effect of ${plural(r.reasons.length, 'statement')} (${r.reasons.slice(0, 2).join('; ')}${r.reasons.length > 2 ? '; …' : ''}).`;
    case 'couldNotVerify':
      return `? The rollback of ${migration} could not be verified: ${r.reason}`;
  }
}

/** The first reason of a `cannotProve` result without its position: `a DO block (…)`. */
export function cannotProveReason(reasons: string[]): string {
  const first = reasons[0] ?? 'a statement the comparison cannot see';
  return first.replace(/^[^:]*(?::\d+)?:\s*/, '');
}

/** `4 statements, 1 flagged (1 data loss), 0 irreversible` */
export function generationCounts(s: RollbackSummary): string {
  const kinds = Object.entries(s.byKind)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([k, n]) => `${n} ${WARNING_KIND_WORDS[k as RollbackWarningKind] ?? k}`)
    .join(', ');
  return `${plural(s.statements, 'statement')}, ${s.inverted} reversed, ${s.flagged} flagged${kinds ? ` (${kinds})` : ''}, ${s.irreversible} irreversible`;
}

/** The notification after a generation; `file` is what was written (relative path). */
export function generationMessage(migration: string, file: string, s: RollbackSummary): string {
  const lead = `Rollback of ${migration} written to ${file}: ${generationCounts(s)}.`;
  if (s.irreversible > 0)
    return `${lead} Some steps cannot be undone from SQL: review the IRREVERSIBLE blocks and plan a restore from backup.`;
  if (s.flagged > 0) return `${lead} Review the warnings in the Problems panel.`;
  return lead;
}

/** Short words for the tree from a down.sql on disk: `rollback out of date`, `2 warnings · 1 irreversible`. */
export function rollbackFileDescription(f: {
  warnings: number;
  irreversible: number;
  stale: boolean;
}): string | undefined {
  const parts: string[] = [];
  if (f.stale) parts.push('rollback out of date');
  if (f.warnings > 0) parts.push(plural(f.warnings, 'warning'));
  if (f.irreversible > 0) parts.push(`${f.irreversible} irreversible`);
  return parts.length ? parts.join(' · ') : undefined;
}

/** Short words for the tree: `3 flagged · 1 irreversible`. */
export function generationDescription(s: RollbackSummary): string | undefined {
  const parts: string[] = [];
  if (s.flagged > 0) parts.push(`${s.flagged} flagged`);
  if (s.irreversible > 0) parts.push(`${s.irreversible} irreversible`);
  return parts.length ? parts.join(' · ') : undefined;
}

/** What overwriting an existing down.sql would lose, for the modal confirmation. */
export const CONFLICT_LOSS: Record<DownSqlConflict, string> = {
  handWritten: 'It has no generator header: it was written by hand, and every line of it would be replaced.',
  handEdited: 'It was edited by hand after it was generated: those edits would be lost.',
  stale:
    'It was generated from an earlier version of migration.sql (and may hold reviewed changes): it would be replaced by the rollback of the current migration.sql.',
  differs:
    'It was generated and not edited, but differs from what the generator writes now: it would be replaced.',
};

export function conflictQuestion(migration: string, conflict: DownSqlConflict): string {
  return `${migration}/down.sql already exists. ${CONFLICT_LOSS[conflict]}`;
}

/** A Problems entry: 0-based line and columns, in a file of the editor's choosing. */
export interface ProblemEntry {
  line: number;
  startColumn: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'information';
  message: string;
  /** A short code shown beside the message (`dataLoss`, `difference`…). */
  code: string;
}

const WARNING_LINE = /^\s*--\s*WARNING \((\w+)\):\s*(.*)$/;
const IRREVERSIBLE_LINE = /^\s*--\s*IRREVERSIBLE(?: \(all [\d,]+ statements\))?:\s*(.*)$/;

/**
 * Problems entries for a `down.sql`, read from its own text: every `-- WARNING (kind): …` line and
 * every `-- IRREVERSIBLE: …` block the generator writes. Reading the file (not a generation result)
 * keeps the entries right after a reload and after edits that move lines.
 */
export function downSqlProblems(text: string): ProblemEntry[] {
  const out: ProblemEntry[] = [];
  const lines = text.split(/\r?\n|\r/);
  lines.forEach((raw, i) => {
    const w = WARNING_LINE.exec(raw);
    if (w) {
      const kind = w[1] as RollbackWarningKind;
      out.push({
        line: i,
        startColumn: raw.indexOf('--'),
        endColumn: raw.length,
        severity: 'warning',
        message: `Rollback ${WARNING_KIND_WORDS[kind] ?? kind}: ${w[2]}`,
        code: kind,
      });
      return;
    }
    const irr = IRREVERSIBLE_LINE.exec(raw);
    if (irr) {
      out.push({
        line: i,
        startColumn: raw.indexOf('--'),
        endColumn: raw.length,
        severity: 'warning',
        message: `Not undone by this script: ${irr[1]} Write its inverse by hand or restore the data from the backup.`,
        code: 'irreversible',
      });
    }
  });
  return out;
}

/** Names in double quotes in a difference ("column "User"."name": …" → User, name). */
function quotedNames(text: string): string[] {
  return [...text.matchAll(/"((?:[^"]|"")+)"/g)].map((m) => m[1]);
}

/**
 * The 0-based line of `down.sql` a difference is best shown on: the last statement line (not a
 * comment) that mentions the difference's quoted names (the first one, its subject, counting
 * double); else the first comment line that does; 0 when none is mentioned.
 */
export function differenceLine(difference: string, downSql: string): number {
  const names = quotedNames(difference);
  if (!names.length) return 0;
  const lines = downSql.split(/\r?\n|\r/);
  // the object a difference is about is named first: it weighs more than the others
  const score = (l: string) =>
    names.reduce(
      (sum, n, k) =>
        l.includes(`"${n}"`) || new RegExp(`\\b${escapeRe(n)}\\b`).test(l) ? sum + (k === 0 ? 2 : 1) : sum,
      0,
    );
  let best = -1;
  let bestScore = 0;
  lines.forEach((l, i) => {
    if (/^\s*--/.test(l)) return;
    const sc = score(l);
    if (sc > 0 && sc >= bestScore) {
      best = i;
      bestScore = sc;
    }
  });
  if (best >= 0) return best;
  // No statement names it (e.g. the statement that should undo it is missing): the first comment
  // that does, usually the forward statement the generator quotes above the step.
  let first = -1;
  lines.forEach((l, i) => {
    if (!/^\s*--/.test(l)) return;
    const sc = score(l);
    if (sc > bestScore) {
      first = i;
      bestScore = sc;
    }
  });
  return Math.max(0, first);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Problems entries for a verification that found differences: each difference on the down.sql
 * line that mentions its objects; a rollback that failed to apply, at the failing position.
 */
export function verificationProblems(
  r: VerifyResult,
  downSql: string,
  rollbackPath?: string,
): ProblemEntry[] {
  if (r.kind === 'verified' || r.kind === 'cannotProve') return [];
  const lines = downSql.split(/\r?\n|\r/);
  const whole = (line: number) => ({
    line,
    startColumn: 0,
    endColumn: Math.max(1, lines[line]?.length ?? 1),
  });
  if (r.kind === 'couldNotVerify') {
    const f = r.failure;
    // A failure of down.sql itself is located there; other reasons concern the history.
    if (f?.line !== undefined && rollbackPath && f.path === rollbackPath) {
      const line = f.line - 1;
      return [
        {
          line,
          startColumn: Math.max(0, (f.column ?? 1) - 1),
          endColumn: Math.max(1, lines[line]?.length ?? 1),
          severity: 'error',
          message: `Verification: ${f.message}`,
          code: 'verify',
        },
      ];
    }
    return [];
  }
  if (r.failure) {
    const f = r.failure;
    const line = Math.max(0, (f.line ?? 1) - 1);
    return [
      {
        line,
        startColumn: Math.max(0, (f.column ?? 1) - 1),
        endColumn: Math.max(1, lines[line]?.length ?? 1),
        severity: 'error',
        message: `The rollback failed to apply: ${f.message}${f.code ? ` (${f.code})` : ''}`,
        code: 'verify',
      },
    ];
  }
  return r.differences.map((d) => ({
    ...whole(differenceLine(d, downSql)),
    severity: 'error',
    message: `After this rollback the schema differs from before the migration: ${d}`,
    code: 'difference',
  }));
}

/** `<UTC timestamp>_rollback_<name without its timestamp>` (the runbook's Method 2). */
export function rollbackMigrationName(migration: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}_rollback_${migration.replace(/^\d+_/, '')}`;
}

/** A later migration that touches what the rolled-back one created or changed. */
export interface DependentLine {
  name: string;
  reasons: string[];
  /** Its state in the environment checked (`applied`, `pending`…), when known. */
  state?: string;
}

function countWords(c: Count): string {
  return c.exact ? c.count.toLocaleString('en-US') : `about ${c.count.toLocaleString('en-US')} (estimate)`;
}

/** One line per destructive step: `line 30: DROP TABLE "WidgetInstall" — 12,345 rows`. */
/** A destructive step's kind in words, for screens and terminals (`dropTable` → `drops table`). */
export function destructiveKindWords(kind: DestructiveStep['kind']): string {
  switch (kind) {
    case 'dropTable':
      return 'drops table';
    case 'dropColumn':
      return 'drops column';
    case 'alterColumnType':
      return 'changes the type of';
    case 'removeEnumValues':
      return 'removes enum values from';
    case 'delete':
      return 'deletes rows of';
    case 'truncate':
      return 'empties';
    case 'dropExtension':
      // its `table` reads `extension "citext"`
      return 'drops';
  }
}

/**
 * Whether the rollback fails on the rows a step counts: a `removeEnumValues` step with rows (they
 * hold values the enum it casts to lacks; src/core/verify/precheck.ts enumCastFailure says why and
 * what to do in the summary).
 */
export function failsOnRows(s: DestructiveStep): boolean {
  return s.kind === 'removeEnumValues' && (s.rows?.count ?? 0) > 0;
}

/** What a step line says, after its counts, of a step the rollback fails on (failsOnRows). */
export const ROLLBACK_FAILS_ON_ROWS = 'the rollback fails on these rows (PostgreSQL rejects the cast)';

export function impactStepLine(s: DestructiveStep): string {
  const what: string[] = [];
  if (s.rows) what.push(`${countWords(s.rows)} row${s.rows.count === 1 && s.rows.exact ? '' : 's'}`);
  if (s.values)
    what.push(`${countWords(s.values)} non-null value${s.values.count === 1 && s.values.exact ? '' : 's'}`);
  if (s.tooLong) what.push(`${countWords(s.tooLong)} too long for the new type`);
  if (s.removedValues?.length) what.push(`removed enum values ${s.removedValues.join(', ')}`);
  if (failsOnRows(s)) what.push(ROLLBACK_FAILS_ON_ROWS);
  if (s.note) what.push(s.note);
  return `line ${s.line}: ${shortReason(s.statement, 100)}${what.length ? ` — ${what.join(', ')}` : ''}`;
}

/** The migrations after `migration` (status order = folder order) that stay applied (applied or edited). */
export function laterApplied(
  migration: string,
  migrations: readonly { name: string; state: string }[] | undefined,
): string[] {
  const all = migrations ?? [];
  const i = all.findIndex((m) => m.name === migration);
  return i < 0
    ? []
    : all
        .slice(i + 1)
        .filter((m) => m.state === 'applied' || m.state === 'edited')
        .map((m) => m.name);
}

/**
 * A rollback of a migration in the middle of the history (`laterApplied`: migrations after it in
 * folder order that stay applied). Prisma's `migrate deploy` applies every migration without a
 * finished, not-rolled-back row, in folder order, without checking it against the applied ones
 * (schema-engine `apply_migrations`): the next deploy re-applies this one after the later ones.
 * Undefined when none is later.
 */
export function reapplyAfterLaterNote(migration: string, laterApplied: string[]): string | undefined {
  const n = laterApplied.length;
  if (!n) return undefined;
  const names = n <= 3 ? laterApplied.join(', ') : `${laterApplied.slice(0, 3).join(', ')} and ${n - 3} more`;
  return `${migration} is in the middle of the history: ${n} later migration${n === 1 ? '' : 's'} stay${n === 1 ? 's' : ''} applied (${names}). The next \`prisma migrate deploy\` re-applies ${migration} after ${n === 1 ? 'it' : 'them'}, not in its original place.`;
}

/**
 * The warning for a migration whose migration.sql changed after it was applied in `environment`
 * (Prisma's stored checksum differs): the rollback undoes the edited text, not what ran there.
 */
export function editedAfterApplyWarning(
  migration: string,
  environment: string,
  checksums: { storedChecksum: string; localChecksum: string },
): string {
  return (
    `${migration}/migration.sql was edited after it was applied in ${environment}: the database ran the version with checksum ${checksums.storedChecksum.slice(0, 12)}…, the file now has ${checksums.localChecksum.slice(0, 12)}…. ` +
    `A rollback generated from the file undoes text the database never ran: generate it from the version that ran (\`prisma-rollback down ${migration} --env ${environment}\` finds it in git) or check it against that version.`
  );
}

/**
 * The edited-after-apply warning (`editedAfterApplyWarning`) for `migration` in an environment
 * whose status says its migration.sql changed after it ran there (`checksumMatches` false, both
 * checksums known); undefined otherwise. For the checklist's Identify step.
 */
export function editedAfterApplyNote(
  migration: string,
  environment: string,
  migrations:
    | readonly {
        name: string;
        checksumMatches?: boolean;
        rows: { checksum: string }[];
        local?: { checksum?: string };
      }[]
    | undefined,
): string | undefined {
  const m = migrations?.find((x) => x.name === migration);
  const stored = m?.rows[0]?.checksum;
  if (m?.checksumMatches !== false || !stored || !m.local?.checksum) return undefined;
  return editedAfterApplyWarning(migration, environment, {
    storedChecksum: stored,
    localChecksum: m.local.checksum,
  });
}

/**
 * The text of "Check Impact on <env>…": the pre-check's summary (or why the rollback must not run
 * there), each destructive step with its counts, and the later migrations that depend on this one
 * (flagged when they are applied in that environment).
 */
export function impactReport(
  environment: string,
  migration: string,
  pre: PrecheckResult,
  dependents: DependentLine[],
  /** One line per statement that rewrites or scans a table (verify/lock-risk.ts `describeLockRisk`). */
  locks: string[] = [],
): { title: string; detail: string; refused: boolean; incomplete: boolean; blocking: DependentLine[] } {
  const blocking = dependents
    .filter((d) => d.state === 'applied' || d.state === 'edited' || d.state === 'failed')
    .reverse();
  const lines: string[] = [];
  if (pre.migration?.editedAfterApply)
    lines.push(`⚠ ${editedAfterApplyWarning(migration, environment, pre.migration.editedAfterApply)}`, '');
  if (pre.refused) lines.push(`Refused: ${pre.refused}`, '');
  if (pre.steps.length) {
    lines.push('Destructive steps:');
    for (const s of pre.steps) lines.push(`• ${impactStepLine(s)}`);
    lines.push('');
  }
  if (locks.length) {
    lines.push(`Locks and table work in ${environment}:`);
    for (const l of locks) lines.push(`• ${l}`);
    lines.push('');
  }
  if (dependents.length) {
    lines.push(`Later migrations that depend on ${migration}:`);
    for (const d of dependents)
      lines.push(
        `• ${d.name}${d.state ? ` (${stateWord(d.state)} in ${environment})` : ''}: ${d.reasons.join('; ')}`,
      );
    if (blocking.length)
      lines.push(
        `Roll ${blocking.length === 1 ? 'it' : 'them'} back first, newest first: ${blocking.map((d) => `${d.name} (${stateWord(d.state ?? '')} in ${environment})`).join(', ')} ${blocking.length === 1 ? 'uses' : 'use'} what ${migration} created or changed.`,
      );
  } else lines.push(`No later migration depends on ${migration}.`);
  lines.push('', `Read-only check in ${shortDuration(pre.ms)}; nothing was changed.`);
  const title = pre.refused
    ? `The rollback of ${migration} must not run in ${environment}`
    : `Rollback of ${migration} in ${environment}: ${pre.summary}`;
  return {
    title,
    detail: lines.join('\n'),
    refused: !!pre.refused,
    incomplete: pre.incomplete.length > 0,
    blocking,
  };
}
