/**
 * The checklist's audit log (core/runbook/audit.ts): where it is for a checklist's project (setting
 * `prismaRollback.runbook.auditLogPath`) and one entry appended to it.
 */
import * as vscode from 'vscode';
import { appendAudit, auditEntry, auditLogPath } from '../../core/runbook/audit';
import type { ChecklistKey } from '../../core/runbook/checklist';
import { readRunbookSettings } from '../settings';
import type { ChecklistDeps } from './services';

/** The audit log's absolute path for the checklist `key`'s project. Never throws. */
export function checklistAuditFile(deps: ChecklistDeps, key: ChecklistKey): string {
  const root = deps.repo.projects.find((p) => p.project.id === key.projectId)?.project.root ?? key.projectId;
  return auditLogPath(root, readRunbookSettings(vscode.Uri.file(root)).auditLogPath);
}

/**
 * Appends one entry `e` for the checklist `key` to its audit log. Never throws: a log that cannot
 * be written is a warning in the extension's log (the step itself is not undone).
 */
export async function writeChecklistAudit(
  deps: ChecklistDeps,
  key: ChecklistKey,
  e: Parameters<typeof auditEntry>[2],
): Promise<void> {
  const entry = deps.repo.projects.find((p) => p.project.id === key.projectId);
  try {
    await appendAudit(checklistAuditFile(deps, key), auditEntry(key, entry?.project.label ?? '', e));
  } catch (err) {
    deps.log.warn(
      `Could not write the audit log ${checklistAuditFile(deps, key)}: ${(err as Error).message}`,
    );
  }
}
