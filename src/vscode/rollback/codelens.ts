/**
 * The rollback's CodeLens on `migration.sql` and `down.sql`: Create / Open rollback, "out of date"
 * when migration.sql changed since down.sql was generated, Verify (with the last result), and
 * Check impact… (trusted workspaces). Reads the RollbackState; never computes a verification.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { verificationLensTitle } from '../../core/status/present-rollback';
import type { CommandId } from '../commands/ids';
import { loadCore } from '../core';
import type { MigrationsRepository } from '../repository';
import { affects, readSettings } from '../settings';
import { isFile, readText } from './files';
import { ROLLBACK_FILES_GLOB, type RollbackState } from './state';

/** migration.sql and down.sql directly inside a migration folder of a `migrations` folder. */
export const ROLLBACK_SELECTOR: vscode.DocumentFilter = { scheme: 'file', pattern: ROLLBACK_FILES_GLOB };

const OUT_OF_DATE_TOOLTIP =
  'down.sql was generated from an earlier migration.sql: regenerate it (asks before overwriting)';

/** Whether down.sql was generated from an earlier migration.sql (false when unknown). */
async function isStale(sqlPath: string, downPath: string, sqlDoc?: vscode.TextDocument): Promise<boolean> {
  try {
    const core = await loadCore();
    const down = await readText(downPath);
    const sql = sqlDoc ? sqlDoc.getText() : await readText(sqlPath);
    if (down === undefined || sql === undefined) return false;
    return core.isDownSqlStale(down, sql) === true;
  } catch {
    return false;
  }
}

export class RollbackCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly repo: MigrationsRepository,
    private readonly state: RollbackState,
  ) {
    this.subscriptions = [
      this.changed,
      // The repository relays the state's changes too.
      repo.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affects(e, 'codeLens.enabled')) this.changed.fire();
      }),
    ];
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!readSettings(document.uri).codeLensEnabled) return [];
    this.repo.ensureStarted();
    const file = document.uri.fsPath;
    const isDown = path.basename(file) === 'down.sql';
    const dir = path.dirname(file);
    const sqlPath = path.join(dir, 'migration.sql');
    const found = this.repo.findMigration(sqlPath);
    if (!found?.entry.project.support.supported) return [];
    const migrationsDir = found.entry.project.migrationsDir;
    const range = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command: CommandId, tooltip: string) =>
      new vscode.CodeLens(range, { title, command, tooltip, arguments: [vscode.Uri.file(sqlPath)] });
    const downPath = path.join(dir, 'down.sql');
    const hasDown = isDown || isFile(downPath);
    const verification = this.state.verifications.verification(migrationsDir, found.name);
    if (!verification && hasDown) this.state.peekOnce(migrationsDir, found.name);
    const verifyLens = () =>
      lens(
        verificationLensTitle(verification),
        'prismaRollback.verifyRollback',
        verification && verification.kind !== 'running'
          ? 'Prisma Rollback: verify again (replays the history in an embedded PostgreSQL)'
          : 'Prisma Rollback: replay the history in an embedded PostgreSQL, apply this migration and its rollback, and compare the schemas',
      );
    const outOfDate = () =>
      lens('⚠ Rollback out of date', 'prismaRollback.createRollback', OUT_OF_DATE_TOOLTIP);
    if (!isDown) {
      if (!hasDown)
        return [
          lens(
            'Create rollback',
            'prismaRollback.createRollback',
            'Prisma Rollback: generate down.sql beside this migration.sql',
          ),
        ];
      const out = [
        lens(
          'Open rollback',
          'prismaRollback.openRollback',
          'Prisma Rollback: open migration.sql ↔ down.sql',
        ),
      ];
      if (await isStale(sqlPath, downPath, document)) out.push(outOfDate());
      out.push(verifyLens());
      return out;
    }
    const out = [verifyLens()];
    if (await isStale(sqlPath, downPath)) out.push(outOfDate());
    if (vscode.workspace.isTrusted)
      out.push(
        lens(
          'Check impact…',
          'prismaRollback.checkImpact',
          'Prisma Rollback: what this rollback would delete in an environment (read-only)',
        ),
      );
    return out;
  }
}
