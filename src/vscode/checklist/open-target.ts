/** The checklist's "open" links: migration.sql, down.sql, their diff, the schema, a step's terminal, the audit log, the backup. */
import fs from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { PrismaProject } from '../../core/project';
import { ChecklistError } from '../../core/runbook/checklist';

/**
 * Opens what a checklist link names. Throws ChecklistError (shown in the checklist) when the file
 * does not exist yet or the terminal is closed.
 */
export async function openTarget(
  target: string,
  o: {
    project: Pick<PrismaProject, 'migrationsDir' | 'schemaPath'>;
    migration: string;
    auditFile: string;
    backupFile?: string;
    showTerminal: () => boolean;
  },
): Promise<void> {
  const dir = path.join(o.project.migrationsDir, o.migration);
  const migrationSql = vscode.Uri.file(path.join(dir, 'migration.sql'));
  const downSql = vscode.Uri.file(path.join(dir, 'down.sql'));
  const exists = (u: vscode.Uri) =>
    fs.stat(u.fsPath).then(
      () => true,
      () => false,
    );
  switch (target) {
    case 'migration':
      await vscode.window.showTextDocument(migrationSql, { preview: false });
      return;
    case 'rollback':
      if (!(await exists(downSql)))
        throw new ChecklistError(`There is no down.sql beside migration.sql yet (step 3 writes it).`);
      await vscode.window.showTextDocument(downSql, {
        preview: false,
        viewColumn: vscode.ViewColumn.Beside,
      });
      return;
    case 'diff':
      if (!(await exists(downSql)))
        throw new ChecklistError(`There is no down.sql beside migration.sql yet (step 3 writes it).`);
      await vscode.commands.executeCommand(
        'vscode.diff',
        migrationSql,
        downSql,
        `${o.migration}: migration.sql ↔ down.sql`,
      );
      return;
    case 'schema':
      if (!o.project.schemaPath) throw new ChecklistError('The project has no schema file to open.');
      await vscode.window.showTextDocument(vscode.Uri.file(o.project.schemaPath), { preview: false });
      return;
    case 'terminal':
      if (!o.showTerminal())
        throw new ChecklistError('That terminal is closed; run the step again to see its output.');
      return;
    case 'auditLog': {
      const f = vscode.Uri.file(o.auditFile);
      if (!(await exists(f))) throw new ChecklistError(`Nothing is logged yet in ${f.fsPath}.`);
      await vscode.window.showTextDocument(f, { preview: false });
      return;
    }
    case 'backup': {
      const file = o.backupFile;
      if (!file) throw new ChecklistError('No backup file recorded yet.');
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(file));
      return;
    }
  }
}
