/**
 * The rollback checklist: the seed runbook's steps as a small state machine, one per
 * project × migration × target environment. Pure data and functions (no I/O, no 'vscode'):
 * the host persists the state (workspaceState), runs the steps' commands as tasks and feeds
 * exit codes back; the webview renders `viewChecklist()`.
 *
 * Gates: on a protected environment, "Apply to target" stays disabled until the backup is done,
 * the verification passed and the rehearsal (the rollback on the rehearsal environment, or the dry run on the target) passed or was skipped; a gate can be overridden only with a typed reason (recorded);
 * running it there also requires typing the environment's name.
 */

import { stateWord } from '../status/present';
import { formatDateTime } from '../status/time';
import type { RehearsalPlan } from './rehearsal';
import { STEP_IDS, type StepId } from './steps';

export { STEP_IDS, type StepId };
export type StepState = 'todo' | 'running' | 'done' | 'failed' | 'skipped';
export type Runner = 'bundled' | 'prismaCli';

/** What a step needs from the rest of the product; missing → "not available yet", never a fake success. */
export type Capability = 'generator' | 'verifier' | 'impact';
export type Capabilities = Record<Capability, boolean>;

export interface StepDefinition {
  id: StepId;
  number: number;
  title: string;
  description: string;
  /** `task`: runs a command in a terminal; `check`: runs in the extension; `manual`: the user marks it done. */
  kind: 'task' | 'check' | 'manual';
  capability?: Capability;
}

export const STEPS: readonly StepDefinition[] = [
  {
    id: 'identify',
    number: 1,
    title: 'Identify',
    kind: 'check',
    description:
      'The migration, the target environment, its live status and the later migrations that depend on it.',
  },
  {
    id: 'review',
    number: 2,
    title: 'Review',
    kind: 'manual',
    description:
      'Read migration.sql and the rollback side by side; note every destructive or irreversible step.',
  },
  {
    id: 'script',
    number: 3,
    title: 'Rollback script',
    kind: 'check',
    capability: 'generator',
    description: 'Generate or regenerate down.sql; it must be current with migration.sql.',
  },
  {
    id: 'verify',
    number: 4,
    title: 'Verify in embedded PostgreSQL',
    kind: 'check',
    capability: 'verifier',
    description:
      'Replay the history, apply the migration and its rollback, and prove the schema is back to what it was.',
  },
  {
    id: 'impact',
    number: 5,
    title: 'Impact on the target',
    kind: 'check',
    capability: 'impact',
    description: 'Rows and values the rollback would destroy in the target environment (read-only).',
  },
  {
    id: 'backup',
    number: 6,
    title: 'Backup',
    kind: 'task',
    description: 'pg_dump of the target environment; the file and its size are recorded.',
  },
  {
    id: 'notify',
    number: 7,
    title: 'Notify team',
    kind: 'manual',
    description: 'Tell the team: migration, environment, window, backup, plan.',
  },
  {
    id: 'staging',
    number: 8,
    title: 'Rehearse',
    kind: 'task',
    description:
      'Dry run on the target: the rollback runs in a transaction that is rolled back (same locks as the real run); it reports success or the failing statement, and changes nothing.',
  },
  {
    id: 'apply',
    number: 9,
    title: 'Apply to target',
    kind: 'task',
    description: 'Run the rollback on the target environment in one transaction.',
  },
  {
    id: 'markRolledBack',
    number: 10,
    title: 'Mark rolled back',
    kind: 'task',
    description: 'Record the rollback in _prisma_migrations when the apply route did not.',
  },
  {
    id: 'confirm',
    number: 11,
    title: 'Confirm',
    kind: 'check',
    description: 'Re-read the status: the migration must now read rolled back; optional health URL.',
  },
  {
    id: 'followUp',
    number: 12,
    title: 'Follow up',
    kind: 'manual',
    description: 'Update schema.prisma (prisma db pull) and keep or delete the migration folder.',
  },
  // The "Resolve failed migration" flow; numbered in the order `flowSteps` shows them.
  {
    id: 'assess',
    number: 13,
    title: 'What it left',
    kind: 'check',
    description:
      'Compare the live schema (read only) with the replay of the migrations applied before it (1..N-1) and, if that differs, with it (1..N): nothing left, applied whole, or partly applied.',
  },
  {
    id: 'writePartial',
    number: 14,
    title: 'Write the undo script',
    kind: 'task',
    description:
      "Write the script that undoes only what it left (down --partial: Prisma's diff from the live schema to the replay of 1..N-1) and open it: review it before running it.",
  },
  {
    id: 'runPartial',
    number: 15,
    title: 'Undo what it left and mark rolled back',
    kind: 'task',
    description:
      "Run the reviewed undo script on the target in one transaction, then mark the migration rolled back (Prisma's engine).",
  },
  {
    id: 'markApplied',
    number: 16,
    title: 'Mark applied',
    kind: 'task',
    description:
      'Finished by hand: record it applied (resolve --applied, which checks the schema is the replay of 1..N again first).',
  },
  {
    id: 'restoreBackup',
    number: 17,
    title: 'Restore values from a backup…',
    kind: 'task',
    description:
      'The rollback re-created columns or tables that had data, and no archive restored them: restore exactly those values from a pg_dump taken before the migration (prisma-rollback restore --from), matched by primary key.',
  },
];

/** Migration states (src/core/status) from which a rollback can start: something was applied there. */
export const ROLLBACKABLE_STATES: ReadonlySet<string> = new Set(['applied', 'failed', 'edited']);

/** Whether "Start Rollback…" applies: the migration is applied, failed or edited in at least one environment. */
export function canStartRollback(states: readonly (string | undefined)[]): boolean {
  return states.some((st) => st !== undefined && ROLLBACKABLE_STATES.has(st));
}

/**
 * "Roll Back to Here…": the migrations applied after `target` in an environment, newest first,
 * from its status (`{name, state}` in folder order, src/core/status) — what `apply-down --to`
 * rolls back. Throws `ChecklistError` when the target is not applied there, a later one failed
 * or exists only in the database, or nothing is applied after it. Pure.
 */
export function rangeToRollBack(
  statuses: readonly { name: string; state: string }[],
  target: string,
  environment: string,
): string[] {
  const applied = (st?: string) => st === 'applied' || st === 'edited';
  const t = statuses.find((m) => m.name === target);
  if (!applied(t?.state))
    throw new ChecklistError(
      `${target} reads ${t?.state ?? 'not in the status'} in ${environment}: roll back to a migration that is applied there (it stays applied).`,
    );
  const later = statuses.filter((m) => m.name > target);
  const failed = later.filter((m) => m.state === 'failed').map((m) => m.name);
  if (failed.length)
    throw new ChecklistError(
      `${failed.join(', ')} failed in ${environment}: resolve ${failed.length === 1 ? 'it' : 'them'} first (Start Rollback… on ${failed.length === 1 ? 'it' : 'each'}).`,
    );
  const dbOnly = later.filter((m) => m.state === 'missingLocally').map((m) => m.name);
  if (dbOnly.length)
    throw new ChecklistError(
      `${dbOnly.join(', ')} ${dbOnly.length === 1 ? 'is' : 'are'} applied in ${environment} but not in the migrations folder: a rollback needs ${dbOnly.length === 1 ? 'its' : 'their'} folder.`,
    );
  const range = later
    .filter((m) => applied(m.state))
    .map((m) => m.name)
    .sort()
    .reverse();
  if (!range.length)
    throw new ChecklistError(
      `No migration is applied after ${target} in ${environment}: nothing to roll back.`,
    );
  return range;
}

export function stepDefinition(id: StepId): StepDefinition {
  return STEPS.find((s) => s.id === id)!;
}

export interface StepRecord {
  state: StepState;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number | null;
  /** The command line shown before it ran (secrets masked). */
  commandLine?: string;
  /** Why it was skipped, or why it failed. */
  reason?: string;
  /** What it produced: backup file and size, verification result, status read… */
  detail?: Record<string, string | number | boolean | null>;
}

export interface Override {
  step: StepId;
  /** The gate that was overridden, in words. */
  gate: string;
  reason: string;
  at: string;
}

export interface ChecklistKey {
  projectId: string;
  /** The migration rolled back; for a range ("Roll Back to Here…"), the target, which stays applied. */
  migration: string;
  environment: string;
  /**
   * A range: the migrations applied after `migration` that are rolled back, newest first, in one
   * transaction (`apply-down --to`). Absent for a single migration.
   */
  migrations?: string[];
}

/** The migrations a checklist rolls back, newest first: the range, or the one migration. */
export function rolledBackMigrations(k: ChecklistKey): string[] {
  return k.migrations ?? [k.migration];
}

export interface ChecklistState {
  version: 1;
  key: ChecklistKey;
  /** The target environment is protected (backup + verification + typed name before apply). */
  protected: boolean;
  runner: Runner;
  /** State of the migration in the target when the checklist started. */
  migrationState?: 'applied' | 'failed' | 'other';
  /**
   * Where the rehearsal (step 8) runs (rehearsal.ts `planRehearsal`), set by the host from the
   * environments' live status while the step has not passed (`withRehearsal`); absent: the dry run
   * on the target.
   */
  rehearsal?: RehearsalPlan;
  /**
   * `resolveFailed`: opened on a migration recorded as failed in the target — the "Resolve failed
   * migration" flow (`flowSteps`), never an Apply. Absent or `rollback`: the rollback runbook.
   */
  flow?: 'rollback' | 'resolveFailed';
  /**
   * The data the rollback brings back (issue 12), set by the host from the generator's analysis and
   * the target's archive: `recreated` — the columns/tables (`table.column` or `table`) the rollback
   * re-creates that held data; `archive` — what `_prisma_rollback` holds for the migration on the
   * target (rows, ISO date), absent when there is none; `restored` — what Apply restored
   * (`table: N rows` lines).
   */
  data?: { recreated?: string[]; archive?: { rows: number; takenAt: string }; restored?: string[] };
  steps: Record<StepId, StepRecord>;
  overrides: Override[];
  createdAt: string;
  updatedAt: string;
}

export class ChecklistError extends Error {}

export interface NewChecklist {
  key: ChecklistKey;
  protected: boolean;
  runner?: Runner;
  migrationState?: ChecklistState['migrationState'];
  now?: Date;
}

/**
 * A new checklist, every step todo. Pure: throws `ChecklistError` when `o.key.migrations` is an empty
 * range (nothing applied after the target); nothing is created or saved.
 */
export function createChecklist(o: NewChecklist): ChecklistState {
  const at = (o.now ?? new Date()).toISOString();
  const steps = Object.fromEntries(STEP_IDS.map((id) => [id, { state: 'todo' } as StepRecord])) as Record<
    StepId,
    StepRecord
  >;
  if (o.key.migrations && !o.key.migrations.length)
    throw new ChecklistError(
      `No migration is applied after ${o.key.migration}: there is nothing to roll back.`,
    );
  const state: ChecklistState = {
    version: 1,
    key: { ...o.key },
    protected: o.protected,
    runner: o.runner ?? 'bundled',
    migrationState: o.migrationState,
    flow: o.migrationState === 'failed' && !o.key.migrations ? 'resolveFailed' : 'rollback',
    steps,
    overrides: [],
    createdAt: at,
    updatedAt: at,
  };
  return state;
}

const clone = (s: ChecklistState): ChecklistState => JSON.parse(JSON.stringify(s)) as ChecklistState;

function touch(s: ChecklistState, now?: Date): string {
  const at = (now ?? new Date()).toISOString();
  s.updatedAt = at;
  return at;
}

/** Whether a step can run at all here (its capability exists). */
export function availability(
  id: StepId,
  caps: Capabilities,
): { available: true } | { available: false; reason: string } {
  const cap = stepDefinition(id).capability;
  if (!cap || caps[cap]) return { available: true };
  const what: Record<Capability, string> = {
    generator: 'the rollback generator',
    verifier: 'the embedded verifier',
    impact: 'the live impact check',
  };
  return {
    available: false,
    reason: `Not available yet: ${what[cap]} is not part of this build. Skip it with a reason, or do it by hand.`,
  };
}

export interface Gate {
  /** Whether the step may run now. */
  allowed: boolean;
  /** Unmet conditions, in words (empty when allowed). */
  blockers: string[];
  /** Blockers that a typed, recorded reason may override. */
  overridable: boolean;
  /** Whether an override was recorded for this step. */
  overridden?: Override;
  /** The text the user must type before it runs (the environment's name), when required. */
  typeToConfirm?: string;
}

/** The gate in front of a step. */
export function gate(s: ChecklistState, id: StepId, caps?: Capabilities): Gate {
  const blockers: string[] = [];
  const step = s.steps[id];
  if (step.state === 'running') return { allowed: false, blockers: ['It is running.'], overridable: false };
  if (caps) {
    const a = availability(id, caps);
    if (!a.available) return { allowed: false, blockers: [a.reason], overridable: false };
  }
  if (!flowSteps(s).includes(id))
    return { allowed: false, blockers: [notInFlowReason(s, id)], overridable: false };
  if (s.flow === 'resolveFailed') return failedGate(s, id);
  let overridable = false;
  if (id === 'apply') {
    if (s.migrationState && s.migrationState !== 'applied' && s.migrationState !== 'failed') {
      return {
        allowed: false,
        blockers: [`The migration is not applied in ${s.key.environment}: there is nothing to roll back.`],
        overridable: false,
      };
    }
    if (s.protected) {
      if (s.steps.backup.state !== 'done') blockers.push('Backup is not done.');
      if (s.steps.verify.state !== 'done' || s.steps.verify.detail?.result !== 'verified')
        blockers.push('The rollback has not passed verification.');
      // Issue 13: the rehearsal (the rollback on the rehearsal environment, or the dry run on the
      // target) passed, or was skipped with a reason.
      const where = rehearsalOf(s).environment;
      if (!['done', 'skipped'].includes(s.steps.staging.state))
        blockers.push(
          s.steps.staging.state === 'failed'
            ? `The rehearsal on ${where} failed: fix it and rehearse again, or skip the rehearsal with a reason.`
            : `The rehearsal on ${where} has not passed: rehearse, or skip it with a reason.`,
        );
      overridable = blockers.length > 0;
    }
  }
  if (id === 'markRolledBack') {
    const recorded = rollbackRecordedByApply(s);
    // Running `resolve --rolled-back` again would fail: the row is already rolled back.
    if (recorded) return { allowed: false, blockers: [recordedReason(recorded)], overridable: false };
    if (s.steps.apply.state !== 'done') blockers.push('Apply to target is not done.');
  }
  if (id === 'confirm' && !['done', 'skipped'].includes(s.steps.apply.state))
    blockers.push('Apply to target is not done.');
  if (id === 'restoreBackup' && s.steps.apply.state !== 'done') blockers.push('Apply to target is not done.');
  const overridden = [...s.overrides].reverse().find((o) => o.step === id);
  const allowed = blockers.length === 0 || (overridable && !!overridden);
  return {
    allowed,
    blockers,
    overridable,
    overridden,
    typeToConfirm:
      id === 'apply'
        ? s.protected
          ? s.key.environment
          : undefined
        : id === 'staging'
          ? rehearsalTypeToConfirm(s)
          : undefined,
  };
}

/**
 * The name of a step's task in `environment` (its terminal and its progress notification):
 * `Rehearse on staging`, `Apply to target — production`.
 */
export function stepTaskName(id: StepId, environment: string): string {
  return id === 'staging' ? `Rehearse on ${environment}` : `${stepDefinition(id).title} — ${environment}`;
}

/** The rehearsal's plan (`s.rehearsal`), or the dry run on the target when none is recorded. */
export function rehearsalOf(s: ChecklistState): RehearsalPlan {
  return s.rehearsal ?? { kind: 'dryRun', environment: s.key.environment };
}

/**
 * The name the rehearsal asks for: the dry run takes the same locks as the real run, so a protected
 * target's name; the real rollback on a rehearsal environment, that environment's name when it is
 * protected (as Apply there would); otherwise none.
 */
function rehearsalTypeToConfirm(s: ChecklistState): string | undefined {
  const r = rehearsalOf(s);
  if (r.kind === 'rollback') return r.protected ? r.environment : undefined;
  return s.protected ? s.key.environment : undefined;
}

/**
 * `s` with the rehearsal's plan `plan` (from `planRehearsal` over the environments' live status),
 * while the rehearsal has not run to an end (todo or failed): once it is running, done or skipped,
 * the plan it ran with stays — a rollback rehearsed on staging leaves the migration rolled back
 * there, which must not turn the record into "not applied on staging". Pure: returns `s` itself
 * when nothing changes, else a copy.
 */
export function withRehearsal(s: ChecklistState, plan: RehearsalPlan): ChecklistState {
  if (s.flow === 'resolveFailed' || !['todo', 'failed'].includes(s.steps.staging.state)) return s;
  if (JSON.stringify(s.rehearsal ?? null) === JSON.stringify(plan)) return s;
  const n = clone(s);
  n.rehearsal = plan;
  return n;
}

/**
 * Records a reasoned override of a step's gate (only gates that may be overridden). Pure: returns a
 * new state; throws `ChecklistError` when the gate cannot be overridden or `reason` is shorter than
 * 10 characters, leaving `s` unchanged.
 */
export function overrideGate(s: ChecklistState, id: StepId, reason: string, now?: Date): ChecklistState {
  const g = gate(s, id);
  if (!g.overridable)
    throw new ChecklistError(
      `The gate of "${stepDefinition(id).title}" cannot be overridden${g.blockers.length ? `: ${g.blockers.join(' ')}` : ' (nothing blocks it).'}`,
    );
  const why = reason.trim();
  if (why.length < 10)
    throw new ChecklistError('Give a reason of at least 10 characters: it is recorded in the audit log.');
  const n = clone(s);
  const at = touch(n, now);
  n.overrides.push({ step: id, gate: g.blockers.join(' '), reason: why, at });
  return n;
}

export interface StartOptions {
  commandLine?: string;
  /** What the user typed when the gate asks for the environment's name. */
  typed?: string;
  caps?: Capabilities;
  now?: Date;
}

/**
 * Marks a step running. Pure: returns a new state; throws `ChecklistError` when the step's gate
 * does not allow it yet, or when the gate asks for the environment's name and `o.typed` differs;
 * `s` is left unchanged.
 */
export function startStep(s: ChecklistState, id: StepId, o: StartOptions = {}): ChecklistState {
  const g = gate(s, id, o.caps);
  if (!g.allowed)
    throw new ChecklistError(`"${stepDefinition(id).title}" cannot run yet: ${g.blockers.join(' ')}`);
  if (g.typeToConfirm !== undefined && o.typed !== g.typeToConfirm) {
    throw new ChecklistError(
      `Type the environment's name (${g.typeToConfirm}) to run "${stepDefinition(id).title}" there.`,
    );
  }
  const n = clone(s);
  const at = touch(n, o.now);
  n.steps[id] = { state: 'running', startedAt: at, commandLine: o.commandLine };
  return n;
}

export interface FinishOptions {
  exitCode: number | null;
  detail?: StepRecord['detail'];
  reason?: string;
  now?: Date;
}

/**
 * Ends a running step: exit code 0 → done, anything else (null: no exit code) → failed. Pure:
 * throws `ChecklistError` when the step is not running; `s` is left unchanged.
 */
export function finishStep(s: ChecklistState, id: StepId, o: FinishOptions): ChecklistState {
  const cur = s.steps[id];
  if (cur.state !== 'running') throw new ChecklistError(`"${stepDefinition(id).title}" is not running.`);
  const n = clone(s);
  const at = touch(n, o.now);
  const ok = o.exitCode === 0;
  n.steps[id] = {
    ...cur,
    state: ok ? 'done' : 'failed',
    finishedAt: at,
    exitCode: o.exitCode,
    detail: o.detail ?? cur.detail,
    reason: ok
      ? undefined
      : (o.reason ?? (o.exitCode === null ? 'Ended without an exit code.' : `Exit code ${o.exitCode}.`)),
  };
  // The bundled apply-down records the rollback itself: nothing left for step 10.
  if (id === 'apply') settleMarkRolledBack(n);
  return n;
}

/**
 * When "Apply to target" ran through a route that records the rollback in `_prisma_migrations`
 * in the same transaction (the bundled apply-down), the time it finished; otherwise undefined.
 */
export function rollbackRecordedByApply(s: ChecklistState): string | undefined {
  const a = s.steps.apply;
  return a.state === 'done' && a.detail?.marksRolledBack === true ? (a.finishedAt ?? s.updatedAt) : undefined;
}

function recordedReason(at: string): string {
  const when = formatDateTime(at);
  return `apply-down already recorded the rollback in _prisma_migrations at ${when} (same transaction): nothing is left to mark.`;
}

/** Step 10 reads skipped, with the reason, when apply-down already recorded the rollback (never run: it would fail). */
function settleMarkRolledBack(n: ChecklistState): void {
  const recorded = rollbackRecordedByApply(n);
  const m = n.steps.markRolledBack;
  if (!recorded || m.state === 'running' || m.state === 'done') return;
  const reason = recordedReason(recorded);
  if (m.state === 'skipped' && m.reason === reason) return;
  n.steps.markRolledBack = { state: 'skipped', reason, finishedAt: recorded };
}

/** The terminal was closed (or the window reloaded) while the step ran: failed, never done. */
export function interruptStep(
  s: ChecklistState,
  id: StepId,
  why = 'Interrupted: the terminal was closed before the command ended.',
  now?: Date,
): ChecklistState {
  const cur = s.steps[id];
  if (cur.state !== 'running') return s;
  const n = clone(s);
  const at = touch(n, now);
  n.steps[id] = { ...cur, state: 'failed', finishedAt: at, exitCode: null, reason: why };
  return n;
}

/**
 * Marks a manual step (review, notify, follow-up…) or a check's result done. Pure: throws
 * `ChecklistError` when the step is running, is a task or a check (those are done by running them),
 * or its gate does not allow it yet; `s` is left unchanged.
 */
export function completeStep(
  s: ChecklistState,
  id: StepId,
  detail?: StepRecord['detail'],
  now?: Date,
  caps?: Capabilities,
): ChecklistState {
  if (s.steps[id].state === 'running') throw new ChecklistError(`"${stepDefinition(id).title}" is running.`);
  const def = stepDefinition(id);
  if (def.kind === 'task')
    throw new ChecklistError(
      `"${def.title}" is done when its command succeeds; run it, or skip it with a reason.`,
    );
  if (def.kind === 'check')
    throw new ChecklistError(
      `"${def.title}" is done when its check passes; run it, or skip it with a reason.`,
    );
  const g = gate(s, id, caps);
  if (!g.allowed) throw new ChecklistError(`"${def.title}" cannot be done yet: ${g.blockers.join(' ')}`);
  const n = clone(s);
  const at = touch(n, now);
  n.steps[id] = { state: 'done', startedAt: s.steps[id].startedAt ?? at, finishedAt: at, detail };
  return n;
}

/**
 * Ends a running check (identify, verify, confirm…): passed → done, else failed with the reason.
 * Pure: throws `ChecklistError` when the step is not running; `s` is left unchanged.
 */
export function endCheck(
  s: ChecklistState,
  id: StepId,
  o: { ok: boolean; reason?: string; detail?: StepRecord['detail']; now?: Date },
): ChecklistState {
  const cur = s.steps[id];
  if (cur.state !== 'running') throw new ChecklistError(`"${stepDefinition(id).title}" is not running.`);
  const n = clone(s);
  const at = touch(n, o.now);
  n.steps[id] = {
    ...cur,
    state: o.ok ? 'done' : 'failed',
    finishedAt: at,
    detail: o.detail ?? cur.detail,
    reason: o.ok ? undefined : (o.reason ?? 'The check did not pass.'),
  };
  return n;
}

/**
 * Skips a step with a reason (recorded). Pure: throws `ChecklistError` when the step is running or
 * `reason` is blank; `s` is left unchanged.
 */
export function skipStep(s: ChecklistState, id: StepId, reason: string, now?: Date): ChecklistState {
  if (s.steps[id].state === 'running')
    throw new ChecklistError(`"${stepDefinition(id).title}" is running; wait for it to end.`);
  const why = reason.trim();
  if (!why) throw new ChecklistError('Say why the step is skipped: the reason is recorded.');
  const n = clone(s);
  const at = touch(n, now);
  n.steps[id] = { state: 'skipped', reason: why, finishedAt: at };
  return n;
}

/**
 * Back to todo (to run it again). Pure: throws `ChecklistError` when the step is running; `s` is
 * left unchanged.
 */
export function resetStep(s: ChecklistState, id: StepId, now?: Date): ChecklistState {
  if (s.steps[id].state === 'running') throw new ChecklistError(`"${stepDefinition(id).title}" is running.`);
  const n = clone(s);
  touch(n, now);
  n.steps[id] = { state: 'todo' };
  // Resetting step 10 after apply-down recorded the rollback brings back its reason, not a runnable step.
  if (id === 'markRolledBack') settleMarkRolledBack(n);
  return n;
}

/** Steps left running in a persisted state (window reloaded mid-run): they become failed, interrupted. */
export function recoverInterrupted(s: ChecklistState, now?: Date): ChecklistState {
  let n = s;
  // A state saved before step 10 was settled automatically (it may even read failed, exit code 1).
  const settled = clone(s);
  settleMarkRolledBack(settled);
  if (JSON.stringify(settled.steps.markRolledBack) !== JSON.stringify(s.steps.markRolledBack)) n = settled;
  for (const id of STEP_IDS) {
    if (n.steps[id].state === 'running')
      n = interruptStep(
        n,
        id,
        'Interrupted: VS Code was reloaded or closed while it ran; its outcome is unknown. Check the terminal output and run it again.',
        now,
      );
  }
  return n;
}

/** The step that should be done next (first todo or failed one whose gate is open). */
export function nextStep(s: ChecklistState, caps: Capabilities): StepId | undefined {
  return flowSteps(s).find(
    (id) => (s.steps[id].state === 'todo' || s.steps[id].state === 'failed') && gate(s, id, caps).allowed,
  );
}

/** The outcome of "Confirm" from a status read: the migration must read rolled back (or be gone with its row rolled back). */
export function confirmOutcome(
  migration: { state: string; latest?: { rolledBackAt: Date | string | null } } | undefined,
): { ok: boolean; reason: string } {
  if (!migration) return { ok: false, reason: 'The migration is not in the status at all.' };
  if (migration.state === 'rolledBack') return { ok: true, reason: 'The migration reads rolled back.' };
  if (
    migration.latest?.rolledBackAt &&
    (migration.state === 'missingLocally' || migration.state === 'pending')
  ) {
    return { ok: true, reason: `Its latest row is rolled back (it reads ${stateWord(migration.state)}).` };
  }
  return { ok: false, reason: `The migration reads ${stateWord(migration.state)}, not rolled back.` };
}

// ---- the data the rollback brings back (issue 12) ----------------------------------------------

/**
 * The checklist's lines about data, by step: `verify` lists what its data proof found (the
 * differences, or why it could not check: verifyDataNote); `backup` names the archive when one exists ("Values this
 * migration destroyed are archived in _prisma_rollback on production (12 rows, taken …); Apply
 * restores them."), or says what re-created columns will be empty without one; `apply`/`confirm`
 * list what Apply restored. `formatDate` is the product's one formatter (status/present
 * formatDateTime), passed in so that this module stays free of imports. Pure.
 */
export function dataNotes(
  s: ChecklistState,
  formatDate: (d: Date) => string,
): Partial<Record<'verify' | 'backup' | 'apply' | 'confirm', string>> {
  if (s.flow === 'resolveFailed') return {};
  const out: Partial<Record<'verify' | 'backup' | 'apply' | 'confirm', string>> = {};
  const verify = verifyDataNote(s.steps.verify.detail);
  if (verify) out.verify = verify;
  const d = s.data;
  if (!d) return out;
  if (d.archive) {
    const n = d.archive.rows;
    out.backup = `Values this migration destroyed are archived in _prisma_rollback on ${s.key.environment} (${n} ${n === 1 ? 'row' : 'rows'}, taken ${formatDate(new Date(d.archive.takenAt))}); Apply restores them.`;
  } else if (d.recreated?.length) {
    out.backup = `No archive holds what this migration destroyed on ${s.key.environment}: the rollback re-creates ${d.recreated.join(', ')} empty. Keep this backup: after Apply, "Restore values from a backup…" puts them back from it.`;
  }
  if (d.restored?.length) {
    const text = `Restored from the archive: ${d.restored.join('; ')}.`;
    out.apply = text;
    out.confirm = text;
  }
  return out;
}

/** The file the Backup step wrote, when it is done. Pure. */
export function takenBackupFile(s: ChecklistState): string | undefined {
  const f = s.steps.backup.state === 'done' ? s.steps.backup.detail?.file : undefined;
  return typeof f === 'string' ? f : undefined;
}

/**
 * Whether the verify step also proves the data (`verify --data`, core VerifyStepOptions.data) and
 * how: `archive` when the target's archive holds the migration's data (`archived`: read with the
 * status by the caller; or already kept in the state), with the archive's capture and restore;
 * `rollbackAlone` when only a backup is in play (the Backup step took one): the differences are
 * what the rollback alone does not bring back. Undefined: neither, or a range. Pure.
 */
export function verifyDataProof(
  s: ChecklistState,
  archived: boolean,
): 'archive' | 'rollbackAlone' | undefined {
  if (s.key.migrations || s.flow === 'resolveFailed') return undefined;
  if (archived || s.data?.archive) return 'archive';
  return takenBackupFile(s) ? 'rollbackAlone' : undefined;
}

/**
 * The verify step's data note, from its detail (`data`: core DataCheck result, `dataLines`: its
 * lines joined by newlines): the differences or the reasons it could not check, the first 5 and
 * how many more; undefined when the data was not proved, or proved identical (the step's summary
 * says so). Pure.
 */
export function verifyDataNote(detail: StepRecord['detail'] | undefined): string | undefined {
  const verdict = detail?.data;
  const text = detail?.dataLines;
  if (typeof verdict !== 'string' || verdict === 'identical' || typeof text !== 'string' || !text)
    return undefined;
  const lines = text.split('\n');
  const shown = `${lines.slice(0, 5).join('; ')}${lines.length > 5 ? `; … and ${lines.length - 5} more` : ''}`;
  return verdict === 'couldNotCheck' ? `Data not checked: ${shown}.` : `Data differences: ${shown}.`;
}

// ---- the "Resolve failed migration" flow -------------------------------------------------------

/**
 * What a failed migration left on the target (core runbook/failed.ts `assessFailedMigration`):
 * `nothingLeft` (live = replay of 1..N-1), `complete` (live = replay of 1..N), `partial` (neither),
 * `couldNotCheck`.
 */
export type FailedVerdict = 'nothingLeft' | 'complete' | 'partial' | 'couldNotCheck';
const VERDICTS: readonly string[] = ['nothingLeft', 'complete', 'partial', 'couldNotCheck'];

/** Steps that exist only in the resolve-failed flow. */
const FAILED_FLOW_STEPS: readonly string[] = ['assess', 'writePartial', 'runPartial', 'markApplied'];

/** The rollback runbook's steps (1–12); `restoreBackup` is inserted after Apply when offered. */
const ROLLBACK_FLOW: readonly StepId[] = STEP_IDS.filter(
  (id) => !FAILED_FLOW_STEPS.includes(id) && id !== 'restoreBackup',
);

/**
 * Whether "Restore values from a backup…" is offered: Apply is done, the rollback re-created
 * columns or tables that had data (`s.data.recreated`, from the generator's analysis), and no
 * archive on the target holds them (`s.data.archive` absent). Once it ran it stays shown. Pure.
 */
export function restoreFromBackupOffered(s: ChecklistState): boolean {
  if (s.flow === 'resolveFailed') return false;
  if (s.steps.restoreBackup.state !== 'todo') return true;
  return s.steps.apply.state === 'done' && !s.data?.archive && (s.data?.recreated?.length ?? 0) > 0;
}

/**
 * The action steps that fit a verdict, in the order shown (never `apply`): nothing left → mark it
 * rolled back; applied whole → mark it applied; partly applied → write the undo script, run it (it
 * marks it rolled back), or finish it by hand and mark it applied (its gate opens once "What it
 * left" reads applied whole); could not check → mark it rolled back, only with a recorded override
 * (the CLI's `--skip-drift-check`). Pure.
 */
export function failedActions(verdict: FailedVerdict | undefined): StepId[] {
  switch (verdict) {
    case 'nothingLeft':
      return ['markRolledBack'];
    case 'complete':
      return ['markApplied'];
    case 'partial':
      return ['writePartial', 'runPartial', 'markApplied'];
    case 'couldNotCheck':
      return ['markRolledBack'];
    default:
      return [];
  }
}

/** The verdict of the last "What it left" that ran to the end (its detail), if any. */
export function failedVerdict(s: ChecklistState): FailedVerdict | undefined {
  const a = s.steps.assess;
  const v = a.detail?.verdict;
  return (a.state === 'done' || a.state === 'failed') && typeof v === 'string' && VERDICTS.includes(v)
    ? (v as FailedVerdict)
    : undefined;
}

/**
 * The steps a checklist shows, in order. The rollback runbook: steps 1–12. The resolve-failed flow:
 * Identify (with Prisma's failure log), What it left, Backup, the actions that fit the verdict
 * (`failedActions`; none before it is known), Confirm. Pure.
 */
export function flowSteps(s: ChecklistState): StepId[] {
  if (s.flow !== 'resolveFailed') {
    if (!restoreFromBackupOffered(s)) return [...ROLLBACK_FLOW];
    const out = [...ROLLBACK_FLOW];
    out.splice(out.indexOf('markRolledBack'), 0, 'restoreBackup');
    return out;
  }
  // An action that already ran stays visible even when a later check changed the verdict.
  const ran = (['markRolledBack', 'writePartial', 'runPartial', 'markApplied'] as const).filter(
    (id) => s.steps[id].state !== 'todo',
  );
  const shown = new Set<StepId>([...failedActions(failedVerdict(s)), ...ran]);
  const order: StepId[] = ['writePartial', 'runPartial', 'markRolledBack', 'markApplied'];
  return ['identify', 'assess', 'backup', ...order.filter((id) => shown.has(id)), 'confirm'];
}

function notInFlowReason(s: ChecklistState, id: StepId): string {
  if (s.flow !== 'resolveFailed')
    return `"${stepDefinition(id).title}" belongs to the resolve-failed-migration flow, not to a rollback.`;
  if (id === 'apply' || id === 'staging')
    return `${s.key.migration} failed in ${s.key.environment}: there is no applied migration to roll back, so no Apply is offered. Resolve it: check what it left, then take the action that fits.`;
  if (FAILED_FLOW_STEPS.includes(id) || id === 'markRolledBack')
    return failedVerdict(s)
      ? `It does not fit what ${s.key.migration} left on ${s.key.environment} (${failedVerdict(s)}).`
      : 'Check what it left first.';
  return `"${stepDefinition(id).title}" is not part of resolving a failed migration.`;
}

/**
 * Whether a saved checklist still fits its migration's state in the target (`statuses`, from
 * src/core/status): a rollback runbook saved before the migration failed there does not (a new
 * "Resolve failed migration" checklist starts instead). Pure.
 */
export function savedChecklistFits(
  saved: ChecklistState,
  statuses: readonly { name: string; state: string }[] | undefined,
): boolean {
  if (saved.flow === 'resolveFailed' || saved.key.migrations) return true;
  return statuses?.find((m) => m.name === saved.key.migration)?.state !== 'failed';
}

/** The actions of the resolve-failed flow that record a resolution, done. */
function resolvedBy(s: ChecklistState): StepId | undefined {
  return (['runPartial', 'markRolledBack', 'markApplied'] as const).find(
    (id) => s.steps[id].state === 'done',
  );
}

function failedGate(s: ChecklistState, id: StepId): Gate {
  const blockers: string[] = [];
  let overridable = false;
  const verdict = failedVerdict(s);
  const done = resolvedBy(s);
  const env = s.key.environment;
  const isAction =
    id === 'writePartial' || id === 'runPartial' || id === 'markRolledBack' || id === 'markApplied';
  if (isAction && done && done !== id) blockers.push(`"${stepDefinition(done).title}" already resolved it.`);
  if (id === 'markRolledBack' && verdict === 'couldNotCheck' && !done) {
    blockers.push(
      `What it left on ${env} could not be checked (see "What it left"): marking it rolled back without the check needs a reason.`,
    );
    overridable = true;
  }
  if (id === 'runPartial') {
    if (s.steps.writePartial.state !== 'done') blockers.push('The undo script is not written yet.');
    if (s.protected && s.steps.backup.state !== 'done') {
      blockers.push('Backup is not done.');
      overridable = blockers.length === 1;
    }
  }
  if (id === 'markApplied' && verdict !== 'complete' && !done)
    blockers.push(
      `The schema of ${env} is not the replay of the migrations with ${s.key.migration} yet: finish it by hand, then run "What it left" again.`,
    );
  if (id === 'confirm' && !done) blockers.push('No resolution is recorded yet.');
  const overridden = [...s.overrides].reverse().find((o) => o.step === id);
  return {
    allowed: blockers.length === 0 || (overridable && !!overridden),
    blockers,
    overridable,
    overridden,
    typeToConfirm: isAction && id !== 'writePartial' && s.protected ? env : undefined,
  };
}

/**
 * Confirm of the resolve-failed flow: the migration no longer reads failed — rolled back (or
 * pending with its latest row rolled back) after a mark or an undo, applied after "Mark applied".
 */
export function confirmResolved(
  s: ChecklistState,
  migration: { state: string; latest?: { rolledBackAt: Date | string | null } } | undefined,
): { ok: boolean; reason: string } {
  if (resolvedBy(s) === 'markApplied') {
    const ok = migration?.state === 'applied' || migration?.state === 'edited';
    return {
      ok,
      reason: ok
        ? 'The migration reads applied.'
        : `The migration reads ${migration?.state ?? 'nothing'}, not applied.`,
    };
  }
  return confirmOutcome(migration);
}

// ---- persistence ------------------------------------------------------------------------------

export function storageKey(k: ChecklistKey): string {
  return `prismaRollback.checklist:${k.projectId}:${k.migrations ? 'to:' : ''}${k.migration}:${k.environment}`;
}

const STATES: readonly StepState[] = ['todo', 'running', 'done', 'failed', 'skipped'];

/** Validates a persisted checklist (from workspaceState or a file); undefined when it is not one. */
export function parseChecklist(value: unknown): ChecklistState | undefined {
  const v = typeof value === 'string' ? safeJson(value) : value;
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Partial<ChecklistState>;
  if (
    o.version !== 1 ||
    !o.key ||
    typeof o.key.migration !== 'string' ||
    typeof o.key.environment !== 'string' ||
    typeof o.key.projectId !== 'string' ||
    (o.key.migrations !== undefined &&
      (!Array.isArray(o.key.migrations) || !o.key.migrations.every((m) => typeof m === 'string')))
  ) {
    return undefined;
  }
  if (!o.steps || typeof o.steps !== 'object') return undefined;
  const steps = { ...(o.steps as Record<string, StepRecord>) };
  for (const id of STEP_IDS) {
    // A checklist saved before the resolve-failed steps existed has none of them: todo.
    if (!steps[id] && FAILED_FLOW_STEPS.includes(id)) steps[id] = { state: 'todo' };
    // …and one saved before issue 12 has no restoreBackup: todo.
    if (!steps[id] && id === 'restoreBackup') steps[id] = { state: 'todo' };
    const st = steps[id];
    if (!st || !STATES.includes(st.state)) return undefined;
  }
  if (!Array.isArray(o.overrides) || (o.runner !== 'bundled' && o.runner !== 'prismaCli')) return undefined;
  if (o.flow !== undefined && o.flow !== 'rollback' && o.flow !== 'resolveFailed') return undefined;
  // A malformed rehearsal plan is dropped (the host plans it again); `stagingEnvironment`, saved
  // before issue 13's rehearsal environment, meant nothing and goes.
  const r = o.rehearsal as Partial<RehearsalPlan> | undefined;
  const rehearsal =
    r && (r.kind === 'rollback' || r.kind === 'dryRun') && typeof r.environment === 'string'
      ? (r as RehearsalPlan)
      : undefined;
  const { stagingEnvironment: _old, ...rest } = o as Partial<ChecklistState> & {
    stagingEnvironment?: unknown;
  };
  return clone({ ...(rest as ChecklistState), rehearsal, steps: steps as Record<StepId, StepRecord> });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- the ready message for step 7 -------------------------------------------------------------

export function notifyMessage(
  s: ChecklistState,
  o: { window?: string; backupPath?: string; dependents?: string[] } = {},
): string {
  const backup = o.backupPath ?? (s.steps.backup.detail?.file as string | undefined);
  const route =
    s.runner === 'bundled'
      ? "prisma-rollback apply-down (one transaction, Prisma's migration lock)"
      : 'prisma db execute, then mark it rolled back';
  const what = s.key.migrations
    ? `the ${s.key.migrations.length} migration(s) applied after ${s.key.migration} (${s.key.migrations.join(', ')}), newest first, in one transaction`
    : `migration ${s.key.migration}`;
  return [
    `Heads-up: rolling back ${what} on ${s.key.environment}${s.protected ? ' (protected)' : ''}.`,
    `Window: ${o.window ?? 'starting now, about 15 minutes'}.`,
    `Backup: ${backup ?? 'not taken yet'}.`,
    `Verified in an embedded PostgreSQL: ${s.steps.verify.state === 'done' && s.steps.verify.detail?.result === 'verified' ? 'yes' : 'no'}.`,
    `${rehearsalOf(s).kind === 'rollback' ? 'Rehearsal (the rollback)' : 'Rehearsal (dry run)'} on ${rehearsalOf(s).environment}: ${s.steps.staging.state}.`,
    !s.key.migrations && o.dependents?.length
      ? `Later migrations that depend on it: ${o.dependents.join(', ')}.`
      : undefined,
    `Plan: ${route}; then confirm the status reads rolled back. Please hold deploys to ${s.key.environment} until I confirm.`,
  ]
    .filter(Boolean)
    .join('\n');
}
