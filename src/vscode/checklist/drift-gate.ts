/**
 * The checklist's drift checks (service `drift`, core `driftOfEnvironment`): before Apply the
 * target must be the schema of migrations 1..N (those recorded as applied, N included); after it,
 * Confirm checks the schema of 1..N-1 (N is then recorded rolled back).
 */
import { redactSecrets } from '../../core/db/redact';
import { ChecklistError } from '../../core/runbook/checklist';
import type { ProjectEntry } from '../repository';
import type { ChecklistDeps } from './panel';

/**
 * Throws ChecklistError when the target has drifted from migrations 1..N, with the differences and
 * how to proceed. A check that cannot run is logged, not blocking (verification and impact stand).
 */
export async function refuseDriftedTarget(
  deps: ChecklistDeps,
  project: ProjectEntry['project'],
  environment: string,
  url: () => string,
): Promise<void> {
  if (!deps.services.drift) return;
  const r = await deps.services.drift({ project, environment, url: url() });
  const summary = redactSecrets(r.summary);
  if (r.kind === 'couldNotCheck') deps.log.warn(`Before Apply: ${summary}`);
  if (r.kind === 'drift')
    throw new ChecklistError(
      `"Apply to target" is blocked: ${summary} The rollback was written and verified for the schema of migrations 1..N; on this one it may fail or do something else. Bring ${environment} back to its migrations (or record the change in a migration), then check drift again.`,
    );
}

/** After the rollback: whether the schema is that of migrations 1..N-1 (undefined without the service). */
export async function driftAfterRollback(
  deps: ChecklistDeps,
  project: ProjectEntry['project'],
  environment: string,
  url: () => string,
): Promise<{ ok: boolean; text: string } | undefined> {
  if (!deps.services.drift) return undefined;
  const r = await deps.services.drift({ project, environment, url: url() });
  return { ok: r.kind !== 'drift', text: redactSecrets(r.summary) };
}

export type DriftService = (o: {
  project: ProjectEntry['project'];
  environment: string;
  url: string;
}) => Promise<{ kind: 'none' | 'drift' | 'couldNotCheck'; summary: string }>;

/** Confirm's verdict: the status reads rolled back, the health check passed, the schema is that of 1..N-1. */
export function confirmVerdict(
  outcome: { ok: boolean; reason: string },
  state: string | null,
  health: { ok: boolean; text: string } | undefined,
  drift: { ok: boolean; text: string } | undefined,
): { ok: boolean; reason: string; detail: Record<string, string | null> } {
  const problems = [
    health && !health.ok ? `Health check: ${health.text}` : '',
    drift && !drift.ok ? `Schema: ${drift.text}` : '',
  ].filter(Boolean);
  return {
    ok: outcome.ok && problems.length === 0,
    reason: [outcome.reason, ...problems].join(' '),
    detail: { state, ...(health ? { health: health.text } : {}), ...(drift ? { drift: drift.text } : {}) },
  };
}
