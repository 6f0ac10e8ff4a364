/**
 * The append-only audit log of rollbacks (JSON Lines, default `.prisma-rollback/audit.jsonl` in
 * the project): who ran what, when, with which exit code; overrides and their reasons. Every
 * string is redacted before it is written: a connection string never reaches the file.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { redactSecrets } from '../db';
import type { ChecklistKey, StepId } from './checklist';

export interface AuditEntry {
  time: string;
  project: string;
  migration: string;
  /** A range ("Roll Back to Here…"): every migration rolled back, newest first; `migration` is the target. */
  migrations?: string[];
  environment: string;
  step: StepId | 'checklist';
  event: 'start' | 'finish' | 'done' | 'failed' | 'skip' | 'override' | 'interrupt' | 'reset' | 'open';
  commandLine?: string;
  exitCode?: number | null;
  backupPath?: string;
  reason?: string;
  detail?: Record<string, string | number | boolean | null>;
}

function redactDeep<T>(v: T): T {
  if (typeof v === 'string') return redactSecrets(v) as T;
  if (Array.isArray(v)) return v.map(redactDeep) as T;
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactDeep(x)])) as T;
  return v;
}

export const DEFAULT_AUDIT_LOG = path.join('.prisma-rollback', 'audit.jsonl');

/** The audit file for a project: the setting (relative to the project root, or absolute) or the default. */
export function auditLogPath(projectRoot: string, setting?: string): string {
  return path.resolve(projectRoot, setting?.trim() || DEFAULT_AUDIT_LOG);
}

export function auditEntry(
  key: ChecklistKey,
  projectLabel: string,
  e: Omit<AuditEntry, 'time' | 'project' | 'migration' | 'migrations' | 'environment'>,
  now = new Date(),
): AuditEntry {
  return {
    time: now.toISOString(),
    project: projectLabel || key.projectId,
    migration: key.migration,
    ...(key.migrations ? { migrations: [...key.migrations] } : {}),
    environment: key.environment,
    ...e,
  };
}

/** Appends one line (redacted) to the log, creating its folder. */
export async function appendAudit(file: string, entry: AuditEntry): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.appendFile(file, `${JSON.stringify(redactDeep(entry))}\n`, 'utf8');
}

/** Reads the log back (unparseable lines are skipped). */
export async function readAudit(file: string): Promise<AuditEntry[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const out: AuditEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AuditEntry);
    } catch {
      // a torn last line (crash mid-write) is ignored
    }
  }
  return out;
}
