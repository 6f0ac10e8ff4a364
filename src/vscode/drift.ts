/**
 * Drift results per environment, for the tree: kept until `_prisma_migrations` or the migrations
 * folder changes (the fingerprint of the environment's status: each migration's local checksum
 * and rows), then forgotten. Filled by "Check Drift on <env>…" (commands/check-drift.ts).
 */
import * as vscode from 'vscode';
import type { EnvironmentStatus } from '../core/status/types';

export interface StoredDrift {
  kind: 'none' | 'drift' | 'couldNotCheck';
  summary: string;
  /** Plain-words differences (first ones shown in the tooltip). */
  differences: string[];
  checkedAt: Date;
}

/** What a drift result depends on: the folder's checksums and the rows of `_prisma_migrations`. */
export function driftFingerprint(s: EnvironmentStatus | undefined): string {
  if (!s) return '';
  return JSON.stringify(
    s.migrations.map((m) => [
      m.name,
      m.local?.checksum ?? null,
      m.rows.map((r) => [
        r.id,
        r.finishedAt ? String(r.finishedAt) : null,
        r.rolledBackAt ? String(r.rolledBackAt) : null,
      ]),
    ]),
  );
}

const stored = new Map<string, { fingerprint: string; drift: StoredDrift }>();
const changed = new vscode.EventEmitter<void>();
/** Fires when a result is stored. */
export const onDidChangeDrift = changed.event;

const keyOf = (projectId: string, environment: string) => `${projectId}\u0000${environment}`;

/** Stores the result of a check made on the environment in the state `status`. */
export function storeDrift(
  projectId: string,
  environment: string,
  status: EnvironmentStatus | undefined,
  drift: StoredDrift,
): void {
  stored.set(keyOf(projectId, environment), { fingerprint: driftFingerprint(status), drift });
  changed.fire();
}

/** The stored result, while `_prisma_migrations` and the folder are as they were when it was checked. */
export function driftOf(
  projectId: string,
  environment: string,
  status: EnvironmentStatus | undefined,
): StoredDrift | undefined {
  const hit = stored.get(keyOf(projectId, environment));
  if (!hit) return undefined;
  if (hit.fingerprint !== driftFingerprint(status)) {
    stored.delete(keyOf(projectId, environment));
    return undefined;
  }
  return hit.drift;
}
