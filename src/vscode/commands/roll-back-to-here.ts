import { ChecklistError, rangeToRollBack } from '../../core/runbook/checklist';
import { ChecklistPanel } from '../checklist/panel';
import { environmentItem, pickChecklistTarget } from '../pick';
import { requireTrust, UserError } from './boundary';
import type { CommandContext } from './context';

/**
 * "Roll Back to Here…": opens one checklist for rolling back every migration applied after the
 * chosen one in a target environment (tree context menu on applied migrations, palette) — one
 * backup, one verification of the chain, one impact, one Apply (`apply-down --to`).
 */
export const rollBackToHere =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    requireTrust('The rollback checklist runs commands against databases: trust this workspace first.');
    const picked = await pickChecklistTarget(ctx.repo, arg, {
      migration: {
        prompt: { title: 'Roll Back to Here: the migration to go back to (it stays applied)' },
        reason: 'roll back to here',
        among: 'rollbackable',
      },
      environment: (target, project) => ({
        prompt: { title: `Roll Back to ${target}: target environment` },
        none: `${project.project.label} has no configured environment.`,
        item: (e) => {
          const later = (e.status?.migrations ?? []).filter(
            (m) => m.name > target && (m.state === 'applied' || m.state === 'edited'),
          ).length;
          return environmentItem(e, `${later} applied after it`);
        },
      }),
    });
    if (!picked) return;
    const target = picked.migration.name;
    let migrations: string[];
    try {
      migrations = rangeToRollBack(picked.env.status?.migrations ?? [], target, picked.env.name);
    } catch (e) {
      if (e instanceof ChecklistError) throw new UserError(e.message);
      throw e;
    }
    ChecklistPanel.show(ctx.checklist, {
      projectId: picked.project.project.id,
      migration: target,
      environment: picked.env.name,
      migrations,
    });
  };
