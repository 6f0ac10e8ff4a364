/** What the webview renders: the checklist state with gates, availability and command lines resolved. */
import {
  availability,
  type Capabilities,
  type ChecklistState,
  gate,
  notifyMessage,
  STEPS,
  type StepId,
} from './checklist';
import type { TaskCommand } from './commands';
import type { ChecklistView, DependentView, StepView } from './protocol';

export interface ViewExtras {
  projectLabel: string;
  statusLine?: string;
  dependents?: DependentView[];
  dependentsNote?: string;
  auditLog: string;
  /** Planned commands of task steps (shown before they run). */
  commands: Partial<Record<StepId, TaskCommand>>;
}

export function viewChecklist(s: ChecklistState, caps: Capabilities, x: ViewExtras): ChecklistView {
  const steps: StepView[] = STEPS.map((def) => {
    const rec = s.steps[def.id];
    const a = availability(def.id, caps);
    const g = gate(s, def.id, caps);
    const planned = x.commands[def.id];
    return {
      id: def.id,
      number: def.number,
      // The rehearsal is a dry run on the target: its title names where it runs.
      title: def.id === 'staging' ? `Rehearse on ${s.key.environment}` : def.title,
      description: def.description,
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
      note: planned?.note,
      reason: rec.reason,
      detail: rec.detail,
      available: a.available,
      unavailableReason: a.available ? undefined : a.reason,
      allowed: g.allowed,
      blockers: g.blockers,
      overridable: g.overridable,
      overridden: g.overridden,
      typeToConfirm: g.typeToConfirm,
    };
  });
  return {
    key: { ...s.key },
    title: s.key.migrations
      ? `Roll back to ${s.key.migration} on ${s.key.environment}: ${s.key.migrations.length} migration${s.key.migrations.length === 1 ? '' : 's'} (${s.key.migrations.join(', ')})`
      : `Roll back ${s.key.migration} on ${s.key.environment}`,
    projectLabel: x.projectLabel,
    migration: s.key.migration,
    environment: s.key.environment,
    protected: s.protected,
    runner: s.runner,
    migrationState: s.migrationState,
    stagingEnvironment: s.stagingEnvironment,
    statusLine: x.statusLine,
    dependents: x.dependents,
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
