import * as vscode from 'vscode';
import { isMigrationNode } from '../tree';
import { UserError } from './boundary';

/** "Open migration.sql" (tree items only; hidden from the palette). */
export const openMigration =
  () =>
  async (node: unknown): Promise<void> => {
    let target: vscode.Uri | undefined;
    if (isMigrationNode(node)) {
      const local = node.migration.local;
      if (!local)
        throw new UserError(
          `${node.migration.name} is not in the local migrations folder: there is no file to open.`,
        );
      target = vscode.Uri.file(local.sqlPath);
    } else if (node instanceof vscode.Uri) {
      target = node;
    }
    if (!target) throw new UserError('Open Migration works on a migration of the Migrations view.');
    await vscode.window.showTextDocument(target, { preview: true });
  };
