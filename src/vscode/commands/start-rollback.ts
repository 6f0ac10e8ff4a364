import { stateWord } from '../../core/status/present';
import { ChecklistPanel } from '../checklist/panel';
import { environmentItem, pickChecklistTarget } from '../pick';
import { requireTrust } from './boundary';
import type { CommandContext } from './context';

/**
 * "Start Rollback…": opens the rollback checklist of a project × migration × target environment
 * (tree context menu on applied/failed migrations, CodeLens/explorer on migration.sql, palette).
 */
export const startRollback =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    requireTrust('The rollback checklist runs commands against databases: trust this workspace first.');
    const picked = await pickChecklistTarget(ctx.repo, arg, {
      migration: {
        prompt: { title: 'Start Rollback: migration (most recent first)' },
        reason: 'start rollback',
        among: 'rollbackable',
      },
      environment: (migration, project) => ({
        prompt: { title: `Start Rollback of ${migration}: target environment` },
        none: `${project.project.label} has no configured environment.`,
        item: (e) => {
          const m = e.status?.migrations.find((x) => x.name === migration);
          return environmentItem(e, m ? stateWord(m.state) : 'not in status');
        },
      }),
    });
    if (!picked) return;
    ChecklistPanel.show(ctx.checklist, {
      projectId: picked.project.project.id,
      migration: picked.migration.name,
      environment: picked.env.name,
    });
  };
