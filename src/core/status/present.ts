/**
 * How a status reads to people: state words, codicons and theme colours, descriptions,
 * markdown tooltips, environment summaries and CodeLens titles. Pure (no 'vscode'), so the
 * tree view, the CodeLens provider and tests share one wording.
 */
import { migrationDate } from '../migrations';
import { formatDateTime } from './time';
import type {
  EnvironmentStatus,
  MigrationState,
  MigrationStatus,
  ProjectDiagnosis,
  StatusCounts,
} from './types';

/** A migration whose state could not be checked (no database, or the database could not be read). */
export type ShownState = MigrationState | 'unknown';

export interface StatePresentation {
  /** Word shown in tooltips, lenses and the checklist. */
  word: string;
  /**
   * The word where space is scarce: the tree's migration rows (at 300 px a long name leaves
   * about 14 characters for the state) and the environment's counts.
   */
  short: string;
  /** Codicon id (`pass`, `clock`…). */
  icon: string;
  /** Theme colour id, when the state has one. */
  color?: string;
}

export const STATE_PRESENTATION: Record<ShownState, StatePresentation> = {
  applied: { word: 'applied', short: 'applied', icon: 'pass', color: 'testing.iconPassed' },
  // Not `clock`: at tree size it reads like rolled back's `discard` (both a circular arrow).
  pending: { word: 'pending', short: 'pending', icon: 'arrow-circle-up', color: 'charts.blue' },
  failed: { word: 'failed', short: 'failed', icon: 'error', color: 'testing.iconFailed' },
  rolledBack: { word: 'rolled back', short: 'rolled back', icon: 'discard', color: 'charts.purple' },
  edited: { word: 'edited after apply', short: 'edited', icon: 'warning', color: 'charts.yellow' },
  missingLocally: {
    word: 'missing locally',
    short: 'missing locally',
    icon: 'question',
    color: 'list.warningForeground',
  },
  unknown: { word: 'not checked', short: 'not checked', icon: 'circle-outline' },
};

/** A state code in words (`rolledBack` → `rolled back`); a string that is no state comes back as it is. */
export function stateWord(code: string): string {
  return (STATE_PRESENTATION as Record<string, StatePresentation | undefined>)[code]?.word ?? code;
}

export type SortOrder = 'newestFirst' | 'oldestFirst';

/** Diagnoses under which the per-migration states were really read from the database. */
export function statesAreKnown(diagnosis: ProjectDiagnosis): boolean {
  return !['unreachable', 'notConfigured', 'unsupported', 'error'].includes(diagnosis.kind);
}

/** The state to show for one migration of an environment (unknown when nothing was read). */
export function shownState(m: MigrationStatus, status: Pick<EnvironmentStatus, 'diagnosis'>): ShownState {
  if (statesAreKnown(status.diagnosis)) return m.state;
  // The table may still have been read when only the engine failed; rows make the state real.
  if (status.diagnosis.kind === 'error' && m.rows.length > 0) return m.state;
  return 'unknown';
}

/** `2025-11-17` (UTC), or undefined for a folder name without a valid timestamp prefix. */
export function formatDay(d: Date | undefined): string | undefined {
  return d ? d.toISOString().slice(0, 10) : undefined;
}

export { formatDateTime } from './time';

/**
 * The moment a migration's state is about, from its latest `_prisma_migrations` row: when it was
 * rolled back (rolled back), started (failed: it never finished), or finished (applied…).
 * One source for the checklist's status line, the CLI's status table and the tooltip.
 */
export function stateMoment(
  m: Pick<MigrationStatus, 'state' | 'latest'>,
): { what: 'rolled back' | 'started' | 'applied'; at: Date } | undefined {
  const l = m.latest;
  if (!l) return undefined;
  if (l.rolledBackAt) return { what: 'rolled back', at: l.rolledBackAt };
  if (!l.finishedAt) return { what: 'started', at: l.startedAt };
  return { what: 'applied', at: l.finishedAt };
}

/**
 * The checklist's live line about a migration in its target environment:
 * `rolled back · rolled back Nov 17, 2025, 02:03:09 PM UTC · host:5432/db` (`target` masked by the caller).
 */
export function targetStatusLine(
  m: Pick<MigrationStatus, 'state' | 'latest'> | undefined,
  o: { loading?: boolean; target?: string },
): string {
  const when = m ? stateMoment(m) : undefined;
  const state = m
    ? `${STATE_PRESENTATION[m.state].word}${when ? ` · ${when.what} ${formatDateTime(when.at)}` : ''}`
    : o.loading
      ? 'reading status…'
      : 'not in the status';
  return [state, o.target].filter(Boolean).join(' · ');
}

/** `850 ms`, `4.2 s`, `3 min 12 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * Tree label of a migration: its folder name without the timestamp prefix
 * (`20251117120000_add_users` → `add_users`), so that at VS Code's default side bar width (300 px)
 * the description that follows — the state word first — is not pushed behind the ellipsis
 * (issue 13, item 12). The day goes to the description and the full name to the tooltip and the
 * accessible name. A name whose prefix is no valid timestamp (see `migrationDate`), or that is
 * nothing but the prefix, comes back whole.
 */
export function migrationLabel(name: string): string {
  const m = /^\d{8,14}_(.+)$/.exec(name);
  return m && migrationDate(name) ? m[1] : name;
}

/**
 * Tree description of a migration: `applied · 2025-11-17` — the state first and in its short word
 * (`edited`, not `edited after apply`), so that it stays whole when the default side bar width
 * cuts the end of the line (issue 13, item 12); the tooltip says it in full.
 */
export function migrationDescription(m: MigrationStatus, state: ShownState): string {
  const day = formatDay(migrationDate(m.name));
  const word = STATE_PRESENTATION[state].short;
  return day ? `${word} · ${day}` : word;
}

/** `migration:applied`, `migration:unknown`… (menus match on it). */
export function migrationContextValue(state: ShownState): string {
  return `migration:${state}`;
}

const COUNT_ORDER: (keyof StatusCounts)[] = [
  'applied',
  'pending',
  'failed',
  'rolledBack',
  'edited',
  'missingLocally',
];

/** `12 applied · 1 pending · 1 failed` (zero counts left out). */
export function summarizeCounts(counts: StatusCounts): string {
  const parts = COUNT_ORDER.filter((k) => counts[k] > 0).map(
    (k) => `${counts[k]} ${STATE_PRESENTATION[k].short}`,
  );
  return parts.length ? parts.join(' · ') : 'no migrations';
}

/** Description of an environment node: the counts (or why there are none) and the masked host. */
export function environmentDescription(status: EnvironmentStatus): string {
  const d = status.diagnosis;
  let what: string;
  if (d.kind === 'notConfigured') what = 'not configured';
  else if (d.kind === 'unreachable') what = 'unreachable';
  else if (d.kind === 'unsupported') what = 'not supported';
  else if (d.kind === 'error') what = 'error';
  else what = summarizeCounts(status.counts);
  return status.target ? `${what} — ${status.target}` : what;
}

export type Severity = 'info' | 'warning' | 'error';

export interface DiagnosisMessage {
  severity: Severity;
  /** One line for a tree item label. */
  text: string;
  /** Longer explanation for the tooltip. */
  detail?: string;
  /** The user can fix it by giving a connection string. */
  needsConnection?: boolean;
}

/**
 * What to tell about the environment as a whole, or undefined when the migration items say
 * everything (up to date, database behind: the pending items show it).
 */
export function diagnosisMessage(d: ProjectDiagnosis): DiagnosisMessage | undefined {
  switch (d.kind) {
    case 'upToDate':
    case 'databaseIsBehind':
      return undefined;
    case 'failedMigrations':
    case 'editedMigrations':
      // The migration items show failed / edited; what the histories say besides still needs saying.
      return d.besides ? diagnosisMessage(d.besides) : undefined;
    case 'noMigrationsTable':
      return {
        severity: 'info',
        text: 'No _prisma_migrations table yet',
        detail: 'The database has no migrations table: no migration has been applied to it.',
      };
    case 'migrationsDirectoryIsBehind':
      return {
        severity: 'warning',
        text: `${d.missingLocally.length} migration(s) in the database are missing locally`,
        detail: `Applied to the database but not in the migrations folder: ${d.missingLocally.join(', ')}.`,
      };
    case 'historiesDiverge':
      return {
        severity: 'warning',
        text: d.lastCommon
          ? `Histories diverge after ${d.lastCommon}`
          : 'Histories diverge from the first migration',
        detail:
          `The database and the migrations folder have different histories` +
          (d.lastCommon ? ` after ${d.lastCommon}` : '') +
          `. Not applied: ${d.unappliedLocal.join(', ') || 'none'}. Missing locally: ${d.missingLocally.join(', ') || 'none'}.`,
      };
    case 'unreachable':
      return { severity: 'error', text: `Unreachable: ${d.reason}`, detail: d.reason, needsConnection: true };
    case 'notConfigured':
      return {
        severity: 'warning',
        text: `Not configured: ${d.reason}`,
        detail: d.reason,
        needsConnection: true,
      };
    case 'unsupported':
      return { severity: 'warning', text: `Not supported: ${d.reason}`, detail: d.reason };
    case 'error':
      return { severity: 'error', text: `Error: ${d.reason}`, detail: d.reason };
  }
}

/** Escapes text for markdown (folder names may contain `_`, `*`, `[`…). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}text\n${text}\n${ticks}`;
}

/**
 * A failure log without the schema engine's backtrace frames (`   0: sql_schema_connector::…`,
 * `      with migration_name=…`, `        at schema-engine/…`), which say nothing to the user.
 */
export function withoutBacktrace(logs: string): string {
  const lines = logs.replace(/\r\n/g, '\n').split('\n');
  const kept = lines.filter((l) => !/^\s+(\d+: \S|with \w+=|at \S+:\d+)/.test(l));
  return kept.length ? kept.join('\n') : logs;
}

/** The first lines of a failure log. */
export function firstLines(text: string, n = 8): string {
  const lines = text.replace(/\r\n/g, '\n').trimEnd().split('\n');
  return lines.length > n
    ? [...lines.slice(0, n), `… (${lines.length - n} more lines)`].join('\n')
    : lines.join('\n');
}

/** `1a2b3c4d5e6f…` (the first 12 hex digits of a Prisma checksum), or `unknown`. */
function shortChecksum(c: string | undefined): string {
  return c ? `\`${c.slice(0, 12)}…\`` : 'unknown';
}

/** Markdown tooltip of a migration in one environment. */
export function migrationTooltip(m: MigrationStatus, status: EnvironmentStatus): string {
  const state = shownState(m, status);
  const out: string[] = [];
  out.push(
    `**${escapeMarkdown(m.name)}** — ${STATE_PRESENTATION[state].word} in *${escapeMarkdown(status.environment)}*`,
  );
  const created = migrationDate(m.name);
  if (created) out.push(`Created: ${formatDateTime(created)}`);
  if (state === 'unknown') {
    const msg = diagnosisMessage(status.diagnosis);
    if (msg) out.push(`State not checked: ${escapeMarkdown(msg.detail ?? msg.text)}`);
  }
  const latest = m.latest;
  if (latest) {
    if (latest.finishedAt) {
      out.push(`Applied at: ${formatDateTime(latest.finishedAt)}`);
      out.push(`Duration: ${formatDuration(latest.finishedAt.getTime() - latest.startedAt.getTime())}`);
    } else {
      out.push(`Started at: ${formatDateTime(latest.startedAt)} (never finished)`);
    }
    out.push(`Steps applied: ${latest.appliedStepsCount}`);
    if (latest.rolledBackAt) out.push(`Rolled back at: ${formatDateTime(latest.rolledBackAt)}`);
  }
  if (m.checksumMatches !== undefined && m.local) {
    out.push(
      m.checksumMatches
        ? 'Checksum: matches the local migration.sql'
        : `Checksum: **differs** — migration.sql was edited after it was applied: the database ran ${shortChecksum(m.rows[0]?.checksum)}, the file now has ${shortChecksum(m.local.checksum)}. A rollback generated from the file undoes text the database never ran.`,
    );
  }
  if (!m.local) out.push('Not in the local migrations folder.');
  else if (m.local.error) out.push(`migration.sql could not be read: ${escapeMarkdown(m.local.error)}`);
  if (m.note) out.push(`*${escapeMarkdown(m.note)}*`);
  const failedLogs = latest && !latest.finishedAt && !latest.rolledBackAt ? latest.logs : undefined;
  if (failedLogs) out.push(`Failure log:\n\n${fence(firstLines(withoutBacktrace(failedLogs)))}`);
  if (m.rows.length > 1) {
    out.push(
      `History (${m.rows.length} rows):\n\n` +
        m.rows
          .map((r) => {
            const what = r.rolledBackAt
              ? `rolled back ${formatDateTime(r.rolledBackAt)}`
              : r.finishedAt
                ? `applied ${formatDateTime(r.finishedAt)}`
                : 'failed';
            return `- started ${formatDateTime(r.startedAt)} — ${what}`;
          })
          .join('\n'),
    );
  }
  return out.join('\n\n');
}

/** Orders migrations for display (the status lists them oldest first). */
export function sortMigrations<T>(migrations: readonly T[], order: SortOrder): T[] {
  return order === 'newestFirst' ? [...migrations].reverse() : [...migrations];
}

/** One environment's part of a CodeLens line: `local: applied 2025-11-17`, `production: pending`. */
export function lensPart(
  environment: string,
  m: MigrationStatus | undefined,
  status: EnvironmentStatus | undefined,
): string {
  if (!status) return `${environment}: loading…`;
  if (!statesAreKnown(status.diagnosis) && !(m && shownState(m, status) !== 'unknown')) {
    const d = status.diagnosis;
    const why =
      d.kind === 'notConfigured' ? 'not configured' : d.kind === 'unreachable' ? 'unreachable' : d.kind;
    return `${environment}: ${why}`;
  }
  if (!m) return `${environment}: not found`;
  const state = shownState(m, status);
  const word = STATE_PRESENTATION[state].word;
  if (state === 'applied' && m.latest?.finishedAt)
    return `${environment}: ${word} ${formatDay(m.latest.finishedAt)}`;
  return `${environment}: ${word}`;
}

/** The CodeLens title over a migration.sql: `local: applied 2025-11-17 · production: pending`. */
export function lensTitle(
  name: string,
  environments: { environment: string; status: EnvironmentStatus | undefined }[],
): string {
  return environments
    .map(({ environment, status }) =>
      lensPart(
        environment,
        status?.migrations.find((m) => m.name === name),
        status,
      ),
    )
    .join(' · ');
}

/**
 * The one line for an environment without a usable connection string: `Environment staging has
 * no connection string: <problem>.`, ending with one period whether or not `problem` (a
 * `ResolvedEnvironment.problem`, already a sentence) has its own; `not configured` when undefined.
 */
export function noConnectionLine(environment: string, problem: string | undefined): string {
  const why = (problem ?? 'not configured').trim();
  return `Environment ${environment} has no connection string: ${/[.!?]$/.test(why) ? why : `${why}.`}`;
}
