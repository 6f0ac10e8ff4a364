/**
 * What the editor knows about each migration's rollback: the latest verification (running,
 * verified, differences, could not verify). Views read it; changes fire `onDidChange`, which
 * MigrationsRepository forwards to the tree and the CodeLens.
 *
 * Results are also kept in workspaceState by the verifier's cache key (checksums of migrations
 * 1..N and of the rollback): after a reload, `remembered()` finds the result of an unchanged
 * history instantly; any change to those files changes the key. File changes drop the entries
 * whose checksums no longer match (RollbackEditor.revalidate: a migration.sql can affect its own and
 * every later migration's result, a down.sql its own).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { VerificationState } from '../core/status/present-rollback';
import type { VerifyResult } from '../core/verify';

const MEMENTO_KEY = 'prismaRollback.verifications';
const MEMENTO_LIMIT = 200;

export interface RollbackEntry {
  verification?: VerificationState;
}

function keyOf(migrationsDir: string, name: string): string {
  return `${path.resolve(migrationsDir)}::${name}`;
}

export class VerificationStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly entries = new Map<string, RollbackEntry>();
  private readonly subscriptions: vscode.Disposable[] = [this.changed];

  constructor(private readonly memento?: vscode.Memento) {}

  get(migrationsDir: string, name: string): RollbackEntry | undefined {
    return this.entries.get(keyOf(migrationsDir, name));
  }

  verification(migrationsDir: string, name: string): VerificationState | undefined {
    return this.get(migrationsDir, name)?.verification;
  }

  private update(migrationsDir: string, name: string, change: Partial<RollbackEntry>): void {
    const k = keyOf(migrationsDir, name);
    const next = { ...this.entries.get(k), ...change };
    if (!next.verification) this.entries.delete(k);
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

  /** Tells the views to render again (something they show changed outside the store). */
  touch(): void {
    this.changed.fire();
  }

  /** A result stored for this cache key in an earlier session, if any. */
  remembered(cacheKey: string): VerifyResult | undefined {
    const r = this.memento?.get<Record<string, VerifyResult>>(MEMENTO_KEY, {})[cacheKey];
    return r && r.kind !== 'couldNotVerify' ? { ...r, cached: true } : undefined;
  }

  /** Migrations of a folder that have a verification (not running), oldest first. */
  verifiedIn(migrationsDir: string): string[] {
    const prefix = `${path.resolve(migrationsDir)}::`;
    return [...this.entries]
      .filter(([k, e]) => k.startsWith(prefix) && e.verification && e.verification.kind !== 'running')
      .map(([k]) => k.slice(prefix.length))
      .sort();
  }

  /** Forgets a verification that no longer matches the files. */
  dropVerification(migrationsDir: string, name: string): void {
    if (!this.verification(migrationsDir, name)) return;
    this.update(migrationsDir, name, { verification: undefined });
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
