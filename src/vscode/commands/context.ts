/** What every command module receives: `(ctx: CommandContext) => handler`. */
import type * as vscode from 'vscode';
import type { ChecklistDeps } from '../checklist/panel';
import type { MigrationsRepository } from '../repository';
import type { RollbackDiagnostics } from '../rollback/diagnostics';
import type { RollbackState } from '../rollback/state';

export interface CommandContext {
  extension: vscode.ExtensionContext;
  repo: MigrationsRepository;
  log: vscode.LogOutputChannel;
  secrets: vscode.SecretStorage;
  /** Verifications and down.sql facts (src/vscode/rollback/state.ts). */
  rollbacks: RollbackState;
  /** Problems entries of down.sql and migration.sql (src/vscode/rollback/diagnostics.ts). */
  diagnostics: RollbackDiagnostics;
  /** The rollback checklist's task runner and services (src/vscode/checklist). */
  checklist: ChecklistDeps;
}
