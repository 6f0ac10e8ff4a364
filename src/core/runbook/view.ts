/** What the webview renders: the checklist state with gates, availability and command lines resolved. */

import { stateWord } from '../status/present';
import { formatDateTime } from '../status/time';
import {
  availability,
  type Capabilities,
  type ChecklistState,
  dataNotes,
  failedVerdict,
  flowSteps,
  gate,
  notifyMessage,
  rehearsalOf,
  type StepId,
  type StepRecord,
  stepDefinition,
} from './checklist';
import type { TaskCommand } from './commands';
import type { ChecklistView, DependentView, StepView } from './protocol';

export interface ViewExtras {
  projectLabel: string;
  statusLine?: string;
  dependents?: DependentView[];
  dependentsNote?: string;
  auditLog: string;
  /** Rolling back a migration in the middle of the history: what `migrate deploy` does next (`reapplyAfterLaterNote`). */
  historyNote?: string;
  /** migration.sql was edited after it was applied in the target (`editedAfterApplyWarning`), shown in Identify. */
  editedNote?: string;
  /** How far running steps are (`12 of 40 migrations replayed (30%)`), shown while they run. */
  progress?: Partial<Record<StepId, string>>;
  /** Planned commands of task steps (shown before they run). */
  commands: Partial<Record<StepId, TaskCommand>>;
}

/** Steps whose words differ in the resolve-failed flow. */
const FAILED_DESCRIPTIONS: Partial<Record<StepId, string>> = {
  identify:
    "The migration, the target environment, its live status and Prisma's failure log (_prisma_migrations.logs).",
  backup: 'pg_dump of the target environment before anything is changed there (optional for a mark alone).',
  markRolledBack:
    "Nothing of it is left: record it rolled back in _prisma_migrations (Prisma's resolve --rolled-back; the bundled CLI compares the schema once more first).",
  confirm: 'Re-read the status: the migration must no longer read failed.',
};

/** Words for the result codes steps record (`couldNotVerify`…): identifiers never reach the screen. */
const RESULT_WORDS: Record<string, string> = {
  verified: 'verified',
  differences: 'differences found',
  couldNotVerify: 'could not verify',
  checked: 'checked',
  notChecked: 'not checked',
};

/** A state or result code in words (`rolledBack` → `rolled back`); anything else as it is. */
function inWords(code: string): string {
  return RESULT_WORDS[code] ?? stateWord(code);
}

/** The recorded detail as shown: result and state codes in words (the audit log keeps the codes). */
function shownDetail(d: StepRecord['detail'] | undefined): StepRecord['detail'] | undefined {
  if (!d) return d;
  const out = { ...d };
  if (typeof out.result === 'string') out.result = inWords(out.result);
  if (typeof out.state === 'string') out.state = inWords(out.state);
  return out;
}

/** Step 8's description: the real rollback on the rehearsal environment, or the dry run (and why not there). */
function rehearsalDescription(s: ChecklistState, dryRun: string): string {
  const r = rehearsalOf(s);
  if (r.kind === 'rollback')
    return `The rollback runs for real on ${r.environment} (the rehearsal environment) and is recorded rolled back there; ${s.key.environment} is changed only by Apply. It reports success or the failing statement.`;
  return r.why ? `${r.why} ${dryRun}` : dryRun;
}

export function viewChecklist(s: ChecklistState, caps: Capabilities, x: ViewExtras): ChecklistView {
  const failedFlow = s.flow === 'resolveFailed';
  // The archive (issue 12): Backup names it, Apply and Confirm list what it restored.
  const data: Partial<Record<StepId, string>> = dataNotes(s, (d) => formatDateTime(d));
  const steps: StepView[] = flowSteps(s).map((id, i) => {
    const def = stepDefinition(id);
    const rec = s.steps[def.id];
    const a = availability(def.id, caps);
    const g = gate(s, def.id, caps);
    const planned = x.commands[def.id];
    return {
      id: def.id,
      number: failedFlow ? i + 1 : def.number,
      // The rehearsal's title names where it runs; its description says how (and why not elsewhere).
      title: def.id === 'staging' ? `Rehearse on ${rehearsalOf(s).environment}` : def.title,
      description:
        (failedFlow && FAILED_DESCRIPTIONS[def.id]) ||
        (def.id === 'staging' ? rehearsalDescription(s, def.description) : def.description),
      kind: def.kind,
      state: rec.state,
      startedAt: rec.startedAt,
      finishedAt: rec.finishedAt,
      exitCode: rec.exitCode,
      // What ran (recorded), else what will run — a skipped step that never ran shows none.
      commandLine: rec.commandLine ?? (rec.state === 'skipped' ? undefined : planned?.display),
      // The short line of the planned command, when it is the one shown (what ran may differ).
      commandShort:
        planned &&
        (rec.commandLine ?? (rec.state === 'skipped' ? undefined : planned.display)) === planned.display
          ? planned.short
          : undefined,
      note: [data[def.id], planned?.note].filter(Boolean).join(' ') || undefined,
      reason: rec.reason,
      progress: rec.state === 'running' ? x.progress?.[def.id] : undefined,
      detail: shownDetail(rec.detail),
      available: a.available,
      unavailableReason: a.available ? undefined : a.reason,
      allowed: g.allowed,
      blockers: g.blockers,
      overridable: g.overridable,
      overridden: g.overridden,
      typeToConfirm: g.typeToConfirm,
    };
  });
  const log = s.steps.identify.detail?.log;
  return {
    key: { ...s.key },
    flow: s.flow ?? 'rollback',
    failedVerdict: failedFlow ? failedVerdict(s) : undefined,
    failureLog: failedFlow && typeof log === 'string' ? log : undefined,
    title: failedFlow
      ? `Resolve failed migration ${s.key.migration} on ${s.key.environment}`
      : s.key.migrations
        ? `Roll back to ${s.key.migration} on ${s.key.environment}: ${s.key.migrations.length} migration${s.key.migrations.length === 1 ? '' : 's'} (${s.key.migrations.join(', ')})`
        : `Roll back ${s.key.migration} on ${s.key.environment}`,
    projectLabel: x.projectLabel,
    migration: s.key.migration,
    environment: s.key.environment,
    protected: s.protected,
    runner: s.runner,
    migrationState: s.migrationState,
    rehearsal: rehearsalOf(s),
    statusLine: x.statusLine,
    historyNote: x.historyNote,
    editedNote: x.editedNote,
    dependents: x.dependents?.map((d) => (d.state ? { ...d, state: inWords(d.state) } : d)),
    dependentsNote: s.key.migrations
      ? `Every migration applied after ${s.key.migration} is rolled back, newest first: ${s.key.migrations.join(', ')}.`
      : x.dependents
        ? undefined
        : x.dependentsNote,
    steps,
    overrides: s.overrides,
    notifyText: notifyMessage(s, { dependents: x.dependents?.map((d) => d.name) }),
    auditLog: x.auditLog,
    updatedAt: s.updatedAt,
  };
}
