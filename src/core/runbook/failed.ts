/**
 * What a failed migration left on an environment, the one assessment behind both the checklist's
 * "Resolve failed migration" flow and "Resolve Failed Migration…": the live schema compared (with
 * ../verify/drift.ts, read only) with the replay of the migrations recorded as applied there
 * without the failed one (1..N-1) and, when that differs, with it (1..N).
 *
 * On PostgreSQL a failed Prisma migration usually left nothing (Prisma sends the script as one
 * simple query, which PostgreSQL runs as one implicit transaction — PostgreSQL docs, "Multiple
 * Statements in a Simple Query"), but a script with its own BEGIN/COMMIT, or statements that cannot
 * run in a transaction, may have left part of itself.
 */
import type { ShadowSources } from '../project/shadow';
import { type DriftResult, driftOfEnvironment } from '../verify/drift';
import type { FailedVerdict } from './checklist';

export type { FailedVerdict };

export interface FailedAssessment {
  verdict: FailedVerdict;
  /** One paragraph: what was found and what fits (no secrets: drift messages name objects only). */
  summary: string;
  /** Live vs. replay of the applied migrations without the failed one (1..N-1). */
  withoutIt: DriftResult & { summary: string };
  /** Live vs. replay with it (1..N); only computed when `withoutIt` found drift. */
  withIt?: DriftResult & { summary: string };
}

/**
 * Assesses what `failed` left on an environment: `nothingLeft` (live = replay of 1..N-1: mark it
 * rolled back), `complete` (live = replay of 1..N: it was finished, by hand or by its own
 * transactions: mark it applied), `partial` (neither: undo what it left with `down --partial`, or
 * finish it by hand), `couldNotCheck` (the database cannot be read, a migration cannot be replayed…
 * `summary` says why). N-1 are the migrations `_prisma_migrations` records as applied (the failed
 * one is not). Reads only, changes nothing; never throws for database, folder or replay problems.
 */
export async function assessFailedMigration(
  o: {
    url: string;
    environment: string;
    migrationsDir: string;
    failed: string;
    shadowSetting?: string;
    /** Wall-clock limit of each step of the embedded replay, ms (see DriftOptions.timeoutMs). */
    timeoutMs?: number;
    signal?: AbortSignal;
    onProgress?: (message: string) => void;
  } & ShadowSources,
): Promise<FailedAssessment> {
  const base = { ...o, shown: 10 };
  const withoutIt = await driftOfEnvironment(base);
  const env = o.environment;
  if (withoutIt.kind === 'couldNotCheck')
    return {
      verdict: 'couldNotCheck',
      withoutIt,
      summary: `What ${o.failed} left on ${env} could not be checked: ${withoutIt.reason}`,
    };
  if (withoutIt.kind === 'none')
    return {
      verdict: 'nothingLeft',
      withoutIt,
      summary: `${o.failed} left nothing applied on ${env}: its schema is the replay of the ${withoutIt.expected.length} migration(s) applied before it (last: ${withoutIt.lastApplied ?? 'none'}). Mark it rolled back.`,
    };
  const withIt = await driftOfEnvironment({ ...base, expected: [...withoutIt.expected, o.failed] });
  const found = (r: DriftResult) =>
    r.kind === 'couldNotCheck'
      ? r.reason
      : r.differences
          .slice(0, 10)
          .map((d) => d.message)
          .join('; ') + (r.differences.length > 10 ? `; and ${r.differences.length - 10} more` : '');
  if (withIt.kind === 'none')
    return {
      verdict: 'complete',
      withoutIt,
      withIt,
      summary: `${o.failed} is applied whole on ${env}: its schema is the replay of the migrations before it and ${o.failed} itself. Mark it applied.`,
    };
  return {
    verdict: 'partial',
    withoutIt,
    withIt,
    summary:
      `${o.failed} left part of itself on ${env}: against the migrations before it, ${found(withoutIt)}` +
      (withIt.kind === 'couldNotCheck'
        ? `. (With it, the replay could not be compared: ${withIt.reason})`
        : `. Against the migrations with it, ${found(withIt)}.`) +
      ' Undo what it left (the partial script), or finish it by hand and check again.',
  };
}
