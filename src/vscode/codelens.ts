/**
 * CodeLens over `migration.sql` in a migrations folder: one line with the migration's state in
 * every environment ("local: applied 2025-11-17 · production: pending"); clicking refreshes.
 * Beside it, "Start Rollback…" opens the rollback checklist of that migration, when it is
 * applied, failed or edited in at least one environment (trusted workspaces only).
 * `provideCodeLenses` only reads the repository's cached state; the setting is read on every call.
 */
import * as vscode from 'vscode';
import { canStartRollback } from '../core/runbook/checklist';
import { lensTitle } from '../core/status/present';
import type { MigrationsRepository } from './repository';
import { affects, readSettings } from './settings';

/** Narrow selector: only `migration.sql` directly inside a migration folder of a `migrations` folder. */
export const MIGRATION_SQL_SELECTOR: vscode.DocumentFilter = {
  scheme: 'file',
  pattern: '**/migrations/*/migration.sql',
};

export class MigrationCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly repo: MigrationsRepository) {
    this.subscriptions = [
      this.changed,
      repo.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, 'codeLens.enabled')) this.changed.fire();
      }),
    ];
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!readSettings(document.uri).codeLensEnabled) return [];
    this.repo.ensureStarted();
    const found = this.repo.findMigration(document.uri.fsPath);
    if (!found) return [];
    const { entry, name } = found;
    if (!entry.project.support.supported || entry.environments.length === 0) return [];
    const title = !vscode.workspace.isTrusted
      ? 'Prisma Rollback — Restricted Mode: database state not checked'
      : lensTitle(
          name,
          entry.environments.map((e) => ({ environment: e.name, status: e.status })),
        );
    const range = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(range, {
        title,
        tooltip: 'Prisma Rollback: state of this migration in each environment (click to refresh)',
        command: 'prismaRollback.refresh',
      }),
    ];
    if (
      vscode.workspace.isTrusted &&
      canStartRollback(
        entry.environments.map((e) => e.status?.migrations.find((m) => m.name === name)?.state),
      )
    ) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: 'Start Rollback…',
          tooltip: `Prisma Rollback: open the rollback checklist of ${name} (pick the target environment)`,
          command: 'prismaRollback.startRollback',
          arguments: [document.uri],
        }),
      );
    }
    return lenses;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
