/**
 * "Resolve Failed Migration…": for a migration recorded as failed in an environment, opens its
 * checklist, which for a failed migration is the "Resolve failed migration" flow
 * (core/runbook/checklist.ts `flowSteps`, core/runbook/failed.ts `assessFailedMigration`): Prisma's
 * failure log, what the migration left (live schema vs. the replay of 1..N-1 and 1..N), and only the
 * actions that fit — mark it rolled back, undo what it left (`down --partial`, shown, then run) and
 * mark it, or finish it by hand and mark it applied — never an Apply. The tree's "Start Rollback…"
 * on a failed row opens the same checklist.
 */
import { ChecklistPanel } from '../checklist/panel';
import { pickChecklistTarget } from '../pick';
import { requireTrust, UserError } from './boundary';
import type { CommandContext } from './context';

export const resolveFailed =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    requireTrust('Resolving a failed migration connects to a database: trust this workspace first.');
    const picked = await pickChecklistTarget(ctx.repo, arg, {
      migration: {
        prompt: { title: 'Resolve Failed Migration: migration' },
        reason: 'resolve failed migration',
        among: 'rollbackable',
        needsLocal: true,
      },
      environment: (name) => ({
        prompt: { placeHolder: `Environment where ${name} failed` },
        none: 'This project has no environment with a connection string.',
        item: (e) => ({
          label: e.name,
          description: e.status?.migrations.find((x) => x.name === name)?.state,
        }),
      }),
    });
    if (!picked) return;
    const t = picked.migration;
    const entry = t.project;
    const env = picked.env;
    const m = env.status?.migrations.find((x) => x.name === t.name);
    if (m?.state !== 'failed')
      throw new UserError(
        `${t.name} is not recorded as failed in ${env.name} (${m?.state ?? 'unknown'}): there is nothing to resolve.`,
      );
    if (!env.resolved?.url) throw new UserError(`No connection string for ${env.name}.`);
    // One flow: the checklist of a failed migration is the "Resolve failed migration" flow.
    ChecklistPanel.show(ctx.checklist, {
      projectId: entry.project.id,
      migration: t.name,
      environment: env.name,
    });
  };
