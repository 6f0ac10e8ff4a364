/**
 * Every `prismaRollback.*` setting, read in one place (after rust-analyzer's `config.ts`): typed
 * getters, read on every use so changes apply live. Nothing else in src/ calls
 * `getConfiguration` (test/unit/commands-table.test.ts). Keys and defaults are declared in
 * package.json `contributes.configuration`.
 */
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
      rehearsal: e.rehearsal === true,
    });
  }
  return out.length ? out : undefined;
}

/** The status settings (environments, sort order, timeouts in ms, CodeLens) for a resource scope. */
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

export interface RollbackSettings {
  /** `prismaRollback.generator` as set (unchecked: the core's `isGeneratorStrategy` validates it); `statements` when unset. */
  generator: string;
  /** `prismaRollback.shadowDatabaseUrl`, trimmed; undefined when empty. */
  shadowDatabaseUrl: string | undefined;
  /** `prismaRollback.verify.prismaDiff`: ask Prisma's schema engine for a second opinion after a verified replay. */
  prismaDiff: boolean;
  /** `prismaRollback.verify.timeoutSeconds` in ms: the limit of each step of an embedded verification. */
  verifyTimeoutMs: number;
  /** `prismaRollback.verify.warmStart`: prepare the verifier (the history before the last migration replayed) in the background after activation. */
  warmStart: boolean;
}

/** The generator and verifier settings for a resource scope (a migrations folder or project root). */
export function readRollbackSettings(scope?: vscode.Uri): RollbackSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const generator = c.get<string>('generator');
  const shadow = c.get<string>('shadowDatabaseUrl');
  return {
    generator: typeof generator === 'string' && generator ? generator : 'statements',
    shadowDatabaseUrl: typeof shadow === 'string' && shadow.trim() ? shadow.trim() : undefined,
    prismaDiff: c.get<boolean>('verify.prismaDiff') === true,
    verifyTimeoutMs: seconds(c.get('verify.timeoutSeconds'), 120, 1),
    warmStart: c.get<boolean>('verify.warmStart') !== false,
  };
}

export interface RunbookSettings {
  runner: 'bundled' | 'prismaCli';
  pgDumpPath?: string;
  backupFormat: 'custom' | 'plain';
  /** `prismaRollback.backupDirectory` as written (absolute, `~/…` or relative to the project); undefined: the extension's storage. */
  backupDirectory?: string;
  healthUrl?: string;
  auditLogPath?: string;
  /** `prismaRollback.archive.maxMegabytes`: the deploy's archive size limit (MB); undefined: none (0). */
  archiveMaxMegabytes?: number;
  /** `prismaRollback.archive.retentionDays`: a deploy purges archives of applied migrations older than this (days); undefined: keep forever (0). */
  archiveRetentionDays?: number;
}

const positive = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/** The rollback checklist's settings (runner, pg_dump, backup format and folder, health URL, audit log path). */
export function readRunbookSettings(scope?: vscode.Uri): RunbookSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const str = (k: string) => {
    const v = c.get<string>(k);
    return typeof v === 'string' && v.trim() ? v.trim() : undefined;
  };
  return {
    runner: c.get<string>('runner') === 'prismaCli' ? 'prismaCli' : 'bundled',
    pgDumpPath: str('pgDumpPath'),
    backupFormat: c.get<string>('backupFormat') === 'plain' ? 'plain' : 'custom',
    backupDirectory: str('backupDirectory'),
    healthUrl: str('healthUrl'),
    auditLogPath: str('auditLogPath'),
    archiveMaxMegabytes: positive(c.get<number>('archive.maxMegabytes')),
    archiveRetentionDays: positive(c.get<number>('archive.retentionDays')),
  };
}

/** Whether a configuration change touches one of these keys (names without the `prismaRollback.` prefix). */
export function affects(e: vscode.ConfigurationChangeEvent, ...keys: string[]): boolean {
  return keys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}
