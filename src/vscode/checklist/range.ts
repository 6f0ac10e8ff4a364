/**
 * The checks of a "Roll Back to Here…" checklist (a key with `migrations`): one outcome for the
 * whole range — the range still applied, every down.sql written, one verification of the chain,
 * one impact of all the steps, every migration read rolled back afterwards.
 */
import { redactSecrets } from '../../core/db';
import { ChecklistError, type ChecklistKey, confirmOutcome, type StepId } from '../../core/runbook/checklist';
import type { EnvironmentEntry, MigrationsRepository, ProjectEntry } from '../repository';

type Project = ProjectEntry['project'];

/** The services a range's checks use (the panel's ChecklistServices provides them). */
export interface RangeServices {
  generate?(o: { project: Project; migration: string }): Promise<{ file: string; summary?: string }>;
  impact?(o: {
    project: Project;
    migration: string;
    environment: string;
    url: string;
  }): Promise<{ ok: boolean; summary: string; result?: string; lines?: string[] }>;
  /**
   * Proves the chain: the down.sql of every migration after `to` up to `through`, newest first,
   * brings the schema back to the one after `to`.
   */
  verifyChain?(o: { project: Project; to: string; through: string }): Promise<{
    result: 'verified' | 'differences' | 'couldNotVerify';
    summary: string;
  }>;
}

/** The panel's title of a range checklist. */
export function rangeTitle(k: ChecklistKey): string {
  return `Rollback to: ${k.migration.replace(/^\d{8,14}_/, '')} (${k.migrations?.length ?? 0}) → ${k.environment}`;
}

/** Why the follow-up "delete the folder" is not offered for a range. */
export function rangeDeleteRefusal(k: ChecklistKey): string {
  return `Delete the folders of ${(k.migrations ?? []).join(', ')} yourself if the history should drop them; the checklist deletes one migration's folder only.`;
}

export interface RangeCheckOutcome {
  ok: boolean;
  reason: string;
  detail?: Record<string, string | number | boolean | null>;
}

/**
 * Runs check step `id` for the range `key.migrations` (newest first) back to `key.migration`.
 * Throws ChecklistError for a step that is not a check, or a service this build lacks.
 */
export async function rangeCheck(
  id: StepId,
  s: RangeServices,
  o: {
    project: Project;
    key: ChecklistKey;
    repo: MigrationsRepository;
    /** The environment's entry, read after the refresh of identify and confirm. */
    env: () => EnvironmentEntry;
    url: () => string;
  },
): Promise<RangeCheckOutcome> {
  const { project, key } = o;
  if (id === 'identify' || id === 'confirm') await o.repo.refresh(`checklist ${id}`);
  const env = o.env();
  const range = key.migrations ?? [];
  const status = (n: string) => env.status?.migrations.find((x) => x.name === n);
  switch (id) {
    case 'identify': {
      const off = [key.migration, ...range].filter(
        (n) => !['applied', 'edited'].includes(status(n)?.state ?? ''),
      );
      if (off.length)
        return {
          ok: false,
          reason: `${off.map((n) => `${n} reads ${status(n)?.state ?? 'unknown'}`).join('; ')} in ${key.environment}: open "Roll Back to Here…" again for the current range.`,
        };
      return { ok: true, reason: '', detail: { migrations: range.join(', ') } };
    }
    case 'script': {
      const written: string[] = [];
      for (const migration of range)
        written.push(`${migration}: ${(await s.generate!({ project, migration })).summary ?? 'down.sql'}`);
      return { ok: true, reason: '', detail: { summary: written.join('\n') } };
    }
    case 'verify': {
      if (!s.verifyChain)
        throw new ChecklistError('Verifying a chain of rollbacks is not part of this build.');
      const r = await s.verifyChain({ project, to: key.migration, through: range[0] });
      return {
        ok: r.result === 'verified',
        reason: r.summary,
        detail: { result: r.result, summary: r.summary },
      };
    }
    case 'impact': {
      // Each rollback's destructive steps on the target as it is now, newest first.
      const url = o.url();
      const parts = [];
      for (const migration of range)
        parts.push({
          migration,
          ...(await s.impact!({ project, migration, environment: key.environment, url })),
        });
      const ok = parts.every((p) => p.ok);
      const summary = redactSecrets(parts.map((p) => `${p.migration}: ${p.summary}`).join('\n'));
      const lines = parts.flatMap((p) => (p.lines ?? []).map((l) => `${p.migration}/${l}`));
      return {
        ok,
        reason: summary,
        detail: {
          result: ok
            ? parts.some((p) => p.result === 'destroys')
              ? 'destroys'
              : 'destroysNothing'
            : 'notChecked',
          ...(ok ? { summary } : {}),
          ...(lines.length ? { lines: redactSecrets(lines.join('\n')) } : {}),
        },
      };
    }
    case 'confirm': {
      const outcomes = range.map((n) => ({ n, o: confirmOutcome(status(n)) }));
      const bad = outcomes.filter((x) => !x.o.ok);
      return {
        ok: bad.length === 0,
        reason: bad.map((x) => `${x.n}: ${x.o.reason}`).join(' '),
        detail: {
          rolledBack: outcomes
            .filter((x) => x.o.ok)
            .map((x) => x.n)
            .join(', '),
        },
      };
    }
    default:
      throw new ChecklistError(`This step does not run by itself.`);
  }
}
