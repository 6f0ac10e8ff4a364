import { stateWord } from '../../core/status/present';
import { ChecklistPanel } from '../checklist/panel';
import { pickEnvironment, pickMigration } from '../pick';
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
    const t = await pickMigration(ctx.repo, arg, {
      prompt: { title: 'Start Rollback: migration (most recent first)' },
      reason: 'start rollback',
      among: 'rollbackable',
      needsProject: true,
    });
    if (!t?.project) return;
    const migration = t.name;
    const picked = await pickEnvironment(t.project, arg, {
      prompt: { title: `Start Rollback of ${migration}: target environment` },
      none: `${t.project.project.label} has no configured environment.`,
      item: (e) => {
        const m = e.status?.migrations.find((x) => x.name === migration);
        return {
          label: e.name,
          description: [e.protected ? '$(shield) protected' : '', m ? stateWord(m.state) : 'not in status']
            .filter(Boolean)
            .join(' · '),
        };
      },
    });
    if (!picked) return;
    ChecklistPanel.show(ctx.checklist, {
      projectId: picked.project.project.id,
      migration,
      environment: picked.env.name,
    });
  };
