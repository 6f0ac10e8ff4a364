/**
 * Where the checklist's rehearsal (step 8) runs (issue 13, item 4). Pure: no I/O, no 'vscode'.
 *
 * An environment marked `"rehearsal": true` in `prismaRollback.environments` (e.g. `staging`) is
 * where the rollback is rehearsed for real — `apply-down <migration> --env staging`, recorded
 * rolled back there — when the migration (or, for "Roll Back to Here…", the whole range and its
 * target) is applied there. Otherwise the rehearsal is the dry run on the target itself
 * (`apply-down --dry-run --env <target>`: the same transaction and locks, then ROLLBACK), and
 * when an environment is marked but cannot serve, the plan says why in words. Either passing (or
 * a reasoned skip) opens Apply to a protected target (checklist.ts `gate`).
 */
import { stateWord } from '../status/present';

/**
 * The rehearsal's plan: `rollback` — the real rollback on the marked environment (`protected`:
 * it needs that environment's name typed, as Apply does); `dryRun` — the dry run on the target,
 * with `why` when a marked rehearsal environment could not be used.
 */
export type RehearsalPlan =
  | { kind: 'rollback'; environment: string; protected: boolean }
  | { kind: 'dryRun'; environment: string; why?: string };

/** One configured environment as the plan sees it. */
export interface RehearsalCandidate {
  name: string;
  protected: boolean;
  /** Marked `"rehearsal": true` in `prismaRollback.environments` (the first marked one is used). */
  rehearsal?: boolean;
  /** Its migrations' states as read from its `_prisma_migrations` (src/core/status); undefined when not read. */
  migrations?: readonly { name: string; state: string }[];
  /** Why its status is not read (unreachable, not configured…), when `migrations` is undefined. */
  problem?: string;
}

/** States whose migration ran on the environment (an edited file does not change what ran). */
const RAN = new Set(['applied', 'edited']);

/**
 * The rehearsal for rolling back `migration` (or, with `range`, the migrations applied after
 * `migration`, newest first — `apply-down --to`) on `target`, given the project's environments.
 * Rules: no marked environment, or the target itself marked → the dry run on the target; the
 * marked environment's status not read, a migration not applied there (pending, rolled back,
 * failed, absent), or — for a range — other migrations applied after `migration` there too
 * (`apply-down --to` would roll those back as well) → the dry run on the target with `why`;
 * else the real rollback there. Pure; never throws.
 */
export function planRehearsal(o: {
  target: string;
  migration: string;
  range?: readonly string[];
  environments: readonly RehearsalCandidate[];
}): RehearsalPlan {
  const dryRun = (why?: string): RehearsalPlan => ({
    kind: 'dryRun',
    environment: o.target,
    ...(why ? { why } : {}),
  });
  const marked = o.environments.find((e) => e.rehearsal);
  if (!marked || marked.name === o.target) return dryRun();
  const where = `${marked.name} (the rehearsal environment)`;
  const instead = `This step is a dry run on ${o.target} instead.`;
  if (!marked.migrations)
    return dryRun(
      `The status of ${where} is not read${marked.problem ? ` (${marked.problem})` : ''}: it cannot be rehearsed there. ${instead}`,
    );
  const stateOf = new Map(marked.migrations.map((m) => [m.name, m.state]));
  const wanted = o.range ? [o.migration, ...o.range] : [o.migration];
  const missing = wanted.filter((n) => !RAN.has(stateOf.get(n) ?? ''));
  if (missing.length)
    return dryRun(
      `Not applied on ${where}: ${missing.map((n) => `${n} (${stateOf.has(n) ? stateWord(stateOf.get(n)!) : 'not in its history'})`).join(', ')} — there is nothing to roll back there. ${instead}`,
    );
  if (o.range) {
    const inRange = new Set(o.range);
    const extra = marked.migrations
      .filter((m) => m.name > o.migration && RAN.has(m.state) && !inRange.has(m.name))
      .map((m) => m.name);
    if (extra.length)
      return dryRun(
        `On ${where} more migrations are applied after ${o.migration} than on ${o.target} (${extra.join(', ')}): rolling back to it there would undo those too. ${instead}`,
      );
  }
  return { kind: 'rollback', environment: marked.name, protected: marked.protected };
}
