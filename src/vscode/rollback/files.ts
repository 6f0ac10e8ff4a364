/** Reading a migration's files for the rollback commands: open editors first, then the disk. */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../commands/boundary';
import type { CoreApi } from '../core';

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A file's text as the editor has it (unsaved edits included), else from disk; undefined when unreadable. */
export async function readText(file: string): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  if (open) return open.getText();
  return fs.promises.readFile(file, 'utf8').catch(() => undefined);
}

/**
 * The migrations folder up to a migration: every migration (oldest first), the index of `name`
 * and its entry. Throws a UserError when the folder or the migration is missing, or when a
 * migration up to it cannot be read.
 */
export async function readHistory(core: CoreApi, t: { migrationsDir: string; name: string }) {
  const folder = await core.readMigrationsFolder(t.migrationsDir);
  if (!folder.exists) throw new UserError(`The migrations folder ${t.migrationsDir} does not exist.`);
  const index = folder.migrations.findIndex((m) => m.name === t.name);
  if (index < 0) throw new UserError(`No migration folder "${t.name}" in ${t.migrationsDir}.`);
  const unreadable = folder.migrations.slice(0, index + 1).find((m) => m.sql === undefined);
  if (unreadable) throw new UserError(`Cannot read ${unreadable.sqlPath}: ${unreadable.error}`);
  return { migrations: folder.migrations, index, local: folder.migrations[index] };
}

/** The diff editor: migration.sql on the left, its rollback on the right. */
export async function openRollbackDiff(sqlPath: string, downPath: string, name: string): Promise<void> {
  await vscode.commands.executeCommand(
    'vscode.diff',
    vscode.Uri.file(sqlPath),
    vscode.Uri.file(downPath),
    `${name}: migration.sql ↔ ${path.basename(downPath)} (rollback)`,
    { preview: false },
  );
}
