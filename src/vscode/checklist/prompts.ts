/**
 * The checklist's questions and notices that stand between a click and a command: the modal
 * before a rollback that destroys data on an unprotected environment, the notice that a backup
 * folder was excluded from git. Kept apart from the panel (which owns the webview and the state).
 */
import * as vscode from 'vscode';
import type { ChecklistState } from '../../core/runbook/checklist';
import { ChecklistError } from '../../core/runbook/checklist';
import { type ExcludeOutcome, keepOutOfGit } from './backup-folder';

/**
 * On an environment that is not protected no name is typed: when Impact found data the rollback
 * destroys, a modal says how much (Impact's summary and lines) and where the backup is, and asks.
 * True when it may run (always true on a protected environment, or when Impact found nothing).
 */
export async function confirmDataLoss(s: ChecklistState): Promise<boolean> {
  const impact = s.steps.impact;
  if (s.protected || impact.state !== 'done' || impact.detail?.result !== 'destroys') return true;
  const summary = typeof impact.detail.summary === 'string' ? impact.detail.summary : '';
  const lines = typeof impact.detail.lines === 'string' ? impact.detail.lines : '';
  const backup = s.steps.backup;
  const choice = await vscode.window.showWarningMessage(
    `Apply the rollback on ${s.key.environment}? It destroys data there.`,
    {
      modal: true,
      detail: [
        summary,
        lines,
        backup.state === 'done' && typeof backup.detail?.file === 'string'
          ? `Backup: ${backup.detail.file}`
          : 'No backup is taken yet (step 6).',
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
    'Apply Rollback',
  );
  return choice === 'Apply Rollback';
}

/**
 * A backup folder inside a git work tree that is not ignored goes into `.git/info/exclude`
 * (keepOutOfGit), and the user is told. Throws ChecklistError when it cannot be excluded (the
 * backup must not run then).
 */
export async function keepBackupsOutOfGit(folder: string, log: vscode.LogOutputChannel): Promise<void> {
  let r: ExcludeOutcome;
  try {
    r = await keepOutOfGit(folder);
  } catch (e) {
    throw new ChecklistError(
      `The backup folder ${folder} is inside a git work tree and could not be excluded from commits (${(e as Error).message}); add it to .gitignore, or set prismaRollback.backupDirectory to a folder outside the repository.`,
    );
  }
  if (r.kind !== 'added') return;
  log.info(`Checklist: added ${r.pattern} to ${r.excludeFile} (backups are never committed).`);
  void vscode.window.showInformationMessage(
    `Backups are written to ${folder}, inside a git work tree: added ${r.pattern} to ${r.excludeFile} so that no dump is ever committed.`,
  );
}
