/**
 * The checklist's archive side (issue 12), thin: what the target's archive holds for the migration
 * (read with the status, repository `archive`), what Apply restored (core restoredFromArchive on a
 * fresh read), and which pg_dump file "Restore values from a backup…" uses.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { MigrationArchive } from '../../core/archive/summary';
import {
  type ChecklistKey,
  type ChecklistState,
  type StepId,
  takenBackupFile,
  verifyDataProof,
} from '../../core/runbook/checklist';
import { loadCore } from '../core';
import type { EnvironmentEntry, MigrationsRepository, ProjectEntry } from '../repository';

/** The file the Backup step wrote, when it is done (core takenBackupFile). */
export const takenBackup = takenBackupFile;

/** The target's archive of the checklist's migration, as read with the last status (none for a range). */
export function archiveEntry(env: EnvironmentEntry, key: ChecklistKey): MigrationArchive | undefined {
  const index = env.archive?.index;
  return index?.kind === 'known' && !key.migrations ? index.byMigration.get(key.migration) : undefined;
}

/** How the verify step proves the data on this target (core verifyDataProof), if at all. */
export function dataProofFor(
  s: ChecklistState,
  env: EnvironmentEntry,
): 'archive' | 'rollbackAlone' | undefined {
  return verifyDataProof(s, archiveEntry(env, s.key) !== undefined);
}

/**
 * The state with what the target's archive holds for the migration; once known it stays (the
 * state keeps it), so that after Apply consumed it the Backup line still says what was archived.
 */
export function withArchive(s: ChecklistState, env: EnvironmentEntry): ChecklistState {
  const a = archiveEntry(env, s.key);
  if (!a) return s;
  return { ...s, data: { ...s.data, archive: { rows: a.rows, takenAt: a.takenAt.toISOString() } } };
}

/**
 * What Apply restored: the entries of `before` gone from a fresh read of the archive (apply-down
 * drops an archive once restored), as `table: N rows`. Empty when nothing was archived or the
 * archive cannot be read; never throws.
 */
export async function restoredByApply(
  repo: MigrationsRepository,
  entry: ProjectEntry,
  env: EnvironmentEntry,
  migration: string,
  before: MigrationArchive | undefined,
): Promise<string[]> {
  if (!before) return [];
  const pool = await repo.pool(entry, env).catch(() => undefined);
  if (!pool) return [];
  const core = await loadCore();
  const after = await core.readArchiveIndex(pool);
  if (after.kind !== 'known') return [];
  return core.restoredFromArchive(before, after.byMigration.get(migration));
}

/** Asks which pg_dump file to restore from: the Backup step's, or another one. Undefined: cancelled. */
export async function pickRestoreFile(s: ChecklistState): Promise<string | undefined> {
  const taken = takenBackup(s);
  if (taken) {
    const use = 'Use This Backup';
    const choice = await vscode.window.showInformationMessage(
      'Restore the values the migration destroyed from a backup taken before it was deployed?',
      { modal: true, detail: `Step 6 took ${taken}.` },
      use,
      'Pick Another File…',
    );
    if (!choice) return undefined;
    if (choice === use) return taken;
  }
  const picked = await vscode.window.showOpenDialog({
    title: 'A pg_dump taken before the migration was deployed',
    canSelectMany: false,
    defaultUri: taken ? vscode.Uri.file(path.dirname(taken)) : undefined,
  });
  return picked?.[0]?.fsPath;
}

/**
 * Before a task step runs: "Restore values from a backup…" asks for its file (undefined: the user
 * cancelled, run nothing); Apply keeps in the state what the archive holds (`before`, for
 * `afterApply`). Other steps: the state unchanged.
 */
export async function beforeTask(
  id: StepId,
  s: ChecklistState,
  env: EnvironmentEntry,
): Promise<{ state: ChecklistState; restoreFrom?: string; before?: MigrationArchive } | undefined> {
  if (id === 'restoreBackup') {
    const restoreFrom = await pickRestoreFile(s);
    return restoreFrom ? { state: s, restoreFrom } : undefined;
  }
  if (id !== 'apply') return { state: s };
  return { state: withArchive(s, env), before: archiveEntry(env, s.key) };
}

/**
 * After a successful Apply: the finished state with what it restored from the archive
 * (`data.restored`); with no archive (single migration), the tables and columns its rollback
 * re-created empty (`data.recreated`, core recreatedByRollback), which makes the checklist offer
 * "Restore values from a backup…". Never throws.
 */
export async function afterApply(
  repo: MigrationsRepository,
  target: { entry: ProjectEntry; env: EnvironmentEntry },
  finished: ChecklistState,
  before: MigrationArchive | undefined,
): Promise<ChecklistState> {
  if (finished.steps.apply.state !== 'done') return finished;
  const restored = await restoredByApply(repo, target.entry, target.env, finished.key.migration, before);
  if (restored.length) return { ...finished, data: { ...finished.data, restored } };
  if (before || finished.key.migrations) return finished;
  const sqlPath = path.join(target.entry.project.migrationsDir, finished.key.migration, 'migration.sql');
  const sql = await fs.readFile(sqlPath, 'utf8').catch(() => '');
  const recreated = sql ? await (await loadCore()).recreatedByRollback(sql) : [];
  return recreated.length ? { ...finished, data: { ...finished.data, recreated } } : finished;
}
