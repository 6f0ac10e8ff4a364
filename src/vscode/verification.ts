/**
 * What the editor knows about each migration's rollback: the latest verification (running,
 * verified, differences, could not verify) and the summary of the latest generation. Views read
 * it; changes fire `onDidChange`, which MigrationsRepository forwards to the tree and the CodeLens.
 *
 * Results are also kept in workspaceState by the verifier's cache key (checksums of migrations
 * 1..N and of the rollback): after a reload, `remembered()` finds the result of an unchanged
 * history instantly; any change to those files changes the key. File changes drop the entries
 * they make out of date (a migration.sql: its own and every later migration's; a down.sql: its own).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { RollbackSummary } from '../core/sql';
import type { VerificationState } from '../core/status/present-rollback';
import type { VerifyResult } from '../core/verify';

const MEMENTO_KEY = 'prismaRollback.verifications';
const MEMENTO_LIMIT = 200;

export interface RollbackEntry {
  verification?: VerificationState;
  /** Summary of the rollback generated in this session. */
  generated?: RollbackSummary;
  /** What the rollback file on disk says (read in the background). */
  file?: RollbackFileInfo;
}

/** A migration's down.sql as read from disk: its flagged steps and whether migration.sql changed since. */
export interface RollbackFileInfo {
  warnings: number;
  irreversible: number;
  /** Generated from an earlier migration.sql (header checksum differs). */
  stale: boolean;
}

function keyOf(migrationsDir: string, name: string): string {
  return `${path.resolve(migrationsDir)}::${name}`;
}

export class VerificationStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly entries = new Map<string, RollbackEntry>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(private readonly memento?: vscode.Memento) {
    const w = vscode.workspace.createFileSystemWatcher('**/migrations/*/{migration,down}.sql');
    const on = (uri: vscode.Uri) => this.fileChanged(uri.fsPath);
    this.subscriptions.push(w, w.onDidChange(on), w.onDidCreate(on), w.onDidDelete(on));
  }

  get(migrationsDir: string, name: string): RollbackEntry | undefined {
    return this.entries.get(keyOf(migrationsDir, name));
  }

  verification(migrationsDir: string, name: string): VerificationState | undefined {
    return this.get(migrationsDir, name)?.verification;
  }

  private update(migrationsDir: string, name: string, change: Partial<RollbackEntry>): void {
    const k = keyOf(migrationsDir, name);
    const next = { ...this.entries.get(k), ...change };
    if (!next.verification && !next.generated && !next.file) this.entries.delete(k);
    else this.entries.set(k, next);
    this.changed.fire();
  }

  setRunning(migrationsDir: string, name: string): VerificationState | undefined {
    const before = this.verification(migrationsDir, name);
    this.update(migrationsDir, name, { verification: { kind: 'running' } });
    return before;
  }

  /** Restores what was shown before a verification that was cancelled. */
  restore(migrationsDir: string, name: string, before: VerificationState | undefined): void {
    this.update(migrationsDir, name, { verification: before });
  }

  setResult(migrationsDir: string, name: string, r: VerifyResult): void {
    this.update(migrationsDir, name, { verification: r });
    if (r.kind !== 'couldNotVerify' && this.memento) {
      const all = { ...this.memento.get<Record<string, VerifyResult>>(MEMENTO_KEY, {}) };
      delete all[r.key];
      all[r.key] = r;
      const keys = Object.keys(all);
      for (const old of keys.slice(0, Math.max(0, keys.length - MEMENTO_LIMIT))) delete all[old];
      void this.memento.update(MEMENTO_KEY, all);
    }
  }

  setGenerated(migrationsDir: string, name: string, summary: RollbackSummary): void {
    this.update(migrationsDir, name, { generated: summary });
  }

  /** Records what a down.sql on disk says; fires only when that changed. */
  setFile(migrationsDir: string, name: string, info: RollbackFileInfo | undefined): void {
    const before = this.get(migrationsDir, name)?.file;
    if (JSON.stringify(before) === JSON.stringify(info)) return;
    this.update(migrationsDir, name, { file: info });
  }

  /** A result stored for this cache key in an earlier session, if any. */
  remembered(cacheKey: string): VerifyResult | undefined {
    const r = this.memento?.get<Record<string, VerifyResult>>(MEMENTO_KEY, {})[cacheKey];
    return r && r.kind !== 'couldNotVerify' ? { ...r, cached: true } : undefined;
  }

  /** Drops what a changed migration.sql or down.sql makes out of date. */
  fileChanged(file: string): void {
    const base = path.basename(file);
    const dir = path.dirname(file);
    const migrationsDir = path.resolve(path.dirname(dir));
    const name = path.basename(dir);
    let dropped = false;
    for (const [k, entry] of this.entries) {
      const sep = k.lastIndexOf('::');
      const [d, n] = [k.slice(0, sep), k.slice(sep + 2)];
      if (d !== migrationsDir) continue;
      const affected = base === 'down.sql' ? n === name : n >= name;
      if (!affected || entry.verification?.kind === 'running') continue;
      const next: RollbackEntry = { ...entry, verification: undefined };
      if (base === 'migration.sql' && n === name) next.generated = undefined;
      if (!next.generated && !next.file) this.entries.delete(k);
      else this.entries.set(k, next);
      dropped = true;
    }
    if (dropped) this.changed.fire();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
