/**
 * Where the checklist's rehearsal runs, from the project's environments as the Migrations view last
 * read them: the decision is core's `planRehearsal` (src/core/runbook/rehearsal.ts); this only
 * gathers its input.
 */
import { type ChecklistKey, type ChecklistState, withRehearsal } from '../../core/runbook/checklist';
import { planRehearsal, type RehearsalPlan } from '../../core/runbook/rehearsal';
import { diagnosisMessage, statesAreKnown } from '../../core/status/present';
import type { ProjectEntry } from '../repository';

/**
 * `s` with the rehearsal planned again from its project's environments in `projects` (core
 * `withRehearsal`: only while the step has not run to an end); `s` itself when nothing changes or
 * the project is gone. Never throws.
 */
export function replanRehearsal(s: ChecklistState, projects: readonly ProjectEntry[]): ChecklistState {
  const entry = projects.find((p) => p.project.id === s.key.projectId);
  return entry ? withRehearsal(s, rehearsalPlanFor(entry, s.key)) : s;
}

/**
 * The rehearsal's plan for `key` in `entry`'s project: the real rollback on the environment marked
 * `"rehearsal": true` when the migration (or range) is applied there, else the dry run on the
 * target (with the reason when a marked environment could not serve). Pure over its inputs; never throws.
 */
export function rehearsalPlanFor(entry: ProjectEntry, key: ChecklistKey): RehearsalPlan {
  return planRehearsal({
    target: key.environment,
    migration: key.migration,
    range: key.migrations,
    environments: entry.environments.map((e) => ({
      name: e.name,
      protected: e.protected,
      rehearsal: e.rehearsal,
      migrations: e.status && statesAreKnown(e.status.diagnosis) ? e.status.migrations : undefined,
      problem: e.status
        ? diagnosisMessage(e.status.diagnosis)?.text
        : (e.resolved?.problem ?? 'its status is still loading'),
    })),
  });
}
