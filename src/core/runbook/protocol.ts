/**
 * The message protocol between the checklist webview and its host — one file, imported by
 * both sides (the webview bundle and the extension). Browser-safe: type imports only.
 * Every message that arrives is validated with the parse functions below before it is used.
 */
import type { ChecklistKey, Override, Runner, StepRecord, StepState } from './checklist';
import type { RehearsalPlan } from './rehearsal';
import { STEP_IDS, type StepId } from './steps';

export interface StepView {
  id: StepId;
  number: number;
  title: string;
  description: string;
  kind: 'task' | 'check' | 'manual';
  state: StepState;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number | null;
  /** What ran (recorded) or what will run (planned), secrets masked: the full line, behind a disclosure. */
  commandLine?: string;
  /** How far the step is while it runs (`12 of 40 migrations replayed (30%)`, `Statement 3 of 7`…). */
  progress?: string;
  /** The same command as a person would type it (`prisma-rollback apply-down <name> --env production`), when known. */
  commandShort?: string;
  /** A note about the route (e.g. why `migrate resolve --rolled-back` is not offered). */
  note?: string;
  reason?: string;
  detail?: StepRecord['detail'];
  available: boolean;
  unavailableReason?: string;
  /** The gate: may it run now? */
  allowed: boolean;
  blockers: string[];
  overridable: boolean;
  overridden?: Override;
  typeToConfirm?: string;
}

export interface DependentView {
  name: string;
  /** One line per statement that touches what the migration created or changed. */
  reasons: string[];
  /** Its state in the target environment (applied, pending…), when known. */
  state?: string;
}

export interface ChecklistView {
  /** Which checklist this is (kept in the webview's state so that a reload restores the same panel). */
  key: ChecklistKey;
  /** `resolveFailed`: the "Resolve failed migration" flow (no Apply); else the rollback runbook. */
  flow: 'rollback' | 'resolveFailed';
  /** Resolve-failed flow: what the last "What it left" found (nothingLeft, complete, partial, couldNotCheck). */
  failedVerdict?: string;
  /** Resolve-failed flow: Prisma's failure log of the migration, secrets masked, once Identify read it. */
  failureLog?: string;
  title: string;
  projectLabel: string;
  migration: string;
  environment: string;
  protected: boolean;
  runner: Runner;
  migrationState?: string;
  /** Where the rehearsal (step 8) runs and how (rehearsal.ts). */
  rehearsal?: RehearsalPlan;
  /** One line of live status of the target ("applied 2025-11-17 · host:5432/db"). */
  statusLine?: string;
  /** Later migrations that depend on this one, with why, once step 1 listed them. */
  /** Rolling back a migration in the middle of the history: `migrate deploy` re-applies it after the later ones. */
  historyNote?: string;
  /** migration.sql changed after it was applied in the target: both checksums (`editedAfterApplyWarning`). */
  editedNote?: string;
  dependents?: DependentView[];
  /** Why the dependents are not listed (not yet identified, could not be computed…), when they are not. */
  dependentsNote?: string;
  steps: StepView[];
  overrides: Override[];
  notifyText: string;
  auditLog: string;
  updatedAt: string;
}

/** Host → webview. */
export type HostMessage =
  | { type: 'state'; view: ChecklistView }
  | { type: 'error'; message: string }
  | { type: 'busy'; step?: StepId };

export type OpenTarget = 'migration' | 'rollback' | 'diff' | 'schema' | 'terminal' | 'auditLog' | 'backup';
export type FollowUpAction = 'dbPull' | 'deploy' | 'deleteFolder' | 'keepFolder';

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh' }
  | { type: 'run'; step: StepId; typed?: string }
  | { type: 'complete'; step: StepId }
  | { type: 'skip'; step: StepId; reason: string }
  | { type: 'override'; step: StepId; reason: string }
  | { type: 'reset'; step: StepId }
  | { type: 'open'; target: OpenTarget; step?: StepId }
  | { type: 'copy'; text: string }
  | { type: 'setRunner'; runner: Runner }
  | { type: 'followUp'; action: FollowUpAction };

const STEP_ID_LIST: readonly string[] = STEP_IDS;
const OPEN_TARGETS: readonly string[] = [
  'migration',
  'rollback',
  'diff',
  'schema',
  'terminal',
  'auditLog',
  'backup',
];
const FOLLOW_UPS: readonly string[] = ['dbPull', 'deploy', 'deleteFolder', 'keepFolder'];

const isStep = (v: unknown): v is StepId => typeof v === 'string' && STEP_ID_LIST.includes(v);
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Validates a message from the webview; undefined for anything malformed. */
export function parseWebviewMessage(m: unknown): WebviewMessage | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'ready':
    case 'refresh':
      return { type: o.type };
    case 'run':
      if (!isStep(o.step) || (o.typed !== undefined && !isText(o.typed, 200))) return undefined;
      return o.typed === undefined
        ? { type: 'run', step: o.step }
        : { type: 'run', step: o.step, typed: o.typed };
    case 'complete':
    case 'reset':
      if (!isStep(o.step)) return undefined;
      return o.type === 'complete' ? { type: 'complete', step: o.step } : { type: 'reset', step: o.step };
    case 'skip':
    case 'override':
      if (!isStep(o.step) || !isText(o.reason, 2000)) return undefined;
      return o.type === 'skip'
        ? { type: 'skip', step: o.step, reason: o.reason }
        : { type: 'override', step: o.step, reason: o.reason };
    case 'open':
      if (typeof o.target !== 'string' || !OPEN_TARGETS.includes(o.target)) return undefined;
      if (o.step !== undefined && !isStep(o.step)) return undefined;
      return { type: 'open', target: o.target as OpenTarget, ...(o.step ? { step: o.step as StepId } : {}) };
    case 'copy':
      return isText(o.text, 20_000) ? { type: 'copy', text: o.text } : undefined;
    case 'setRunner':
      return o.runner === 'bundled' || o.runner === 'prismaCli'
        ? { type: 'setRunner', runner: o.runner }
        : undefined;
    case 'followUp':
      return typeof o.action === 'string' && FOLLOW_UPS.includes(o.action)
        ? { type: 'followUp', action: o.action as FollowUpAction }
        : undefined;
    default:
      return undefined;
  }
}

/** Validates a message from the host (the webview trusts nothing either). */
export function parseHostMessage(m: unknown): HostMessage | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const o = m as Record<string, unknown>;
  if (
    o.type === 'state' &&
    o.view &&
    typeof o.view === 'object' &&
    Array.isArray((o.view as ChecklistView).steps)
  )
    return o as HostMessage;
  if (o.type === 'error' && typeof o.message === 'string') return o as HostMessage;
  if (o.type === 'busy' && (o.step === undefined || isStep(o.step))) return o as HostMessage;
  return undefined;
}
