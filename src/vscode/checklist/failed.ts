/**
 * The checks of the "Resolve failed migration" flow (a checklist opened on a migration recorded as
 * failed in its target; core/runbook/checklist.ts `flowSteps`): Identify reads the state and
 * Prisma's failure log, "What it left" asks service `assessFailed` (core `assessFailedMigration`),
 * Confirm checks it no longer reads failed.
 */
import { redactSecrets } from '../../core/db/redact';
import {
  ChecklistError,
  type ChecklistKey,
  type ChecklistState,
  confirmResolved,
  type StepId,
  stepDefinition,
} from '../../core/runbook/checklist';
import type { EnvironmentEntry, MigrationsRepository, ProjectEntry } from '../repository';
import type { ChecklistServices } from './services';

export interface FailedCheckOutcome {
  ok: boolean;
  reason: string;
  detail?: Record<string, string | number | boolean | null>;
}

/**
 * Runs check `id` of the resolve-failed flow. Throws `ChecklistError` for a step that is not a check
 * of this flow, or when the build has no `assessFailed` service; database problems come back as a
 * failed check (`couldNotCheck`), never thrown. Changes nothing in the database.
 */
export async function failedCheck(
  id: StepId,
  services: ChecklistServices,
  state: ChecklistState,
  o: {
    project: ProjectEntry['project'];
    key: ChecklistKey;
    repo: MigrationsRepository;
    /** The environment's entry, read after the refresh of identify and confirm. */
    env: () => EnvironmentEntry;
    url: () => string;
  },
): Promise<FailedCheckOutcome> {
  const { key } = o;
  const migration = () => o.env().status?.migrations.find((x) => x.name === key.migration);
  switch (id) {
    case 'identify': {
      await o.repo.refresh('checklist identify');
      const m = migration();
      const log = redactSecrets(m?.latest?.logs?.trim() || '(Prisma recorded no log)');
      if (m?.state === 'failed') return { ok: true, reason: '', detail: { state: m.state, log } };
      return {
        ok: false,
        reason: `${key.migration} reads ${m?.state ?? 'unknown'} in ${key.environment}, not failed: there is nothing to resolve.`,
        detail: { state: m?.state ?? null },
      };
    }
    case 'assess': {
      if (!services.assessFailed)
        throw new ChecklistError('Checking what a failed migration left is not part of this build.');
      const r = await services.assessFailed({
        project: o.project,
        migration: key.migration,
        environment: key.environment,
        url: o.url(),
      });
      const summary = redactSecrets(r.summary);
      return {
        ok: r.verdict !== 'couldNotCheck',
        reason: summary,
        detail: {
          verdict: r.verdict,
          summary,
          ...(r.lines.length ? { lines: redactSecrets(r.lines.join('\n')) } : {}),
        },
      };
    }
    case 'confirm': {
      await o.repo.refresh('checklist confirm');
      const m = migration();
      const v = confirmResolved(state, m);
      return { ok: v.ok, reason: v.reason, detail: { state: m?.state ?? null, summary: v.reason } };
    }
    default:
      throw new ChecklistError(`"${stepDefinition(id).title}" does not run by itself.`);
  }
}
