/** Typed access to the `prismaRollback.*` settings (read on every use, so changes apply live). */
import * as vscode from 'vscode';
import type { EnvironmentConfig } from '../core/project/types';
import type { SortOrder } from '../core/status/present';

export const SECTION = 'prismaRollback';

export interface Settings {
  environments: EnvironmentConfig[] | undefined;
  sortOrder: SortOrder;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  refreshOnFocusAfterMs: number;
  codeLensEnabled: boolean;
}

function seconds(value: unknown, fallback: number, min = 0): number {
  const n = typeof value === 'number' && Number.isFinite(value) ? value : fallback;
  return Math.max(min, n) * 1000;
}

/** Environments as configured, keeping only well-formed entries (a typo must not break the view). */
export function cleanEnvironments(value: unknown): EnvironmentConfig[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const seen = new Set<string>();
  const out: EnvironmentConfig[] = [];
  for (const v of value) {
    if (!v || typeof v !== 'object') continue;
    const e = v as Record<string, unknown>;
    if (typeof e.name !== 'string' || !e.name.trim() || seen.has(e.name.trim())) continue;
    seen.add(e.name.trim());
    out.push({
      name: e.name.trim(),
      urlEnv: typeof e.urlEnv === 'string' && e.urlEnv ? e.urlEnv : undefined,
      envFile: typeof e.envFile === 'string' && e.envFile ? e.envFile : undefined,
      protected: e.protected === true,
    });
  }
  return out.length ? out : undefined;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    environments: cleanEnvironments(c.get('environments')),
    sortOrder: c.get<string>('sortOrder') === 'oldestFirst' ? 'oldestFirst' : 'newestFirst',
    connectTimeoutMs: seconds(c.get('connectTimeoutSeconds'), 5, 1),
    statementTimeoutMs: seconds(c.get('statementTimeoutSeconds'), 15, 1),
    refreshOnFocusAfterMs: seconds(c.get('refreshOnFocusAfterSeconds'), 60, 0),
    codeLensEnabled: c.get<boolean>('codeLens.enabled') !== false,
  };
}
