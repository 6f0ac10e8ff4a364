/**
 * What the editor knows about each migration's rollback, apart from the views that show it
 * (after prisma/language-tools' `PrismaDevRepository`):
 * - `VerificationStore`: the latest verification (running, verified, differences, could not
 *   verify); changes fire `onDidChange`, which MigrationsRepository forwards to the tree and the
 *   CodeLens.
 * - `RollbackState`: that store, plus the down.sql facts the tree shows (flagged steps, out of
 *   date), a watcher that forgets verifications the files no longer match, and results of an
 *   earlier session looked up on first sight.
 *
 * Results are also kept in workspaceState by the verifier's cache key (checksums of migrations
 * 1..N and of the rollback): after a reload, `remembered()` finds the result of an unchanged
 * history instantly; any change to those files changes the key. File changes drop the entries
 * whose checksums no longer match (RollbackState.revalidate: a migration.sql can affect its own and
 * every later migration's result, a down.sql its own).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { escapeMarkdown } from '../../core/status/present';
import {
  downSqlProblems,
  rollbackFileDescription,
  type VerificationState,
  verificationDescription,
  verificationTooltipLines,
} from '../../core/status/present-rollback';
import type { VerifyResult } from '../../core/verify';
import { type CoreApi, coreLoadMs, loadCore } from '../core';

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

/** A migration's down.sql as read from disk: its flagged steps and whether migration.sql changed since. */
export interface RollbackFileInfo {
  warnings: number;
  irreversible: number;
  /** Generated from an earlier migration.sql (header checksum differs). */
  stale: boolean;
}

/** The glob of the files a rollback's state depends on (the CodeLens selector uses the same). */
export const ROLLBACK_FILES_GLOB = '**/migrations/*/{migration,down}.sql';

export class RollbackState implements vscode.Disposable {
  readonly verifications: VerificationStore;
  /** Fires when a verification changes (or the views must render again). */
  readonly onDidChange: vscode.Event<void>;
  /** Cache keys already looked up in workspaceState (one lookup per key). */
  private readonly peeked = new Set<string>();
  /** Migrations whose remembered result was looked for since their files last changed. */
  private readonly peekedTargets = new Set<string>();
  /** The loaded core (set once something loaded it; the tree reads staleness with it). */
  private core: CoreApi | undefined;
  private readonly fileCache = new Map<string, { stamp: string; info: RollbackFileInfo | undefined }>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly log: vscode.LogOutputChannel,
    memento?: vscode.Memento,
  ) {
    this.verifications = new VerificationStore(memento);
    this.onDidChange = this.verifications.onDidChange;
    const watcher = vscode.workspace.createFileSystemWatcher(ROLLBACK_FILES_GLOB);
    this.subscriptions = [
      this.verifications,
      watcher,
      watcher.onDidChange((u) => this.filesChanged(u.fsPath)),
      watcher.onDidCreate((u) => this.filesChanged(u.fsPath)),
      watcher.onDidDelete((u) => this.filesChanged(u.fsPath)),
    ];
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  private filesChanged(file: string): void {
    this.peekedTargets.clear();
    void this.revalidate(file).catch((e) =>
      this.log.debug(`Revalidating verifications failed: ${e instanceof Error ? e.message : e}`),
    );
  }

  /**
   * After a migration.sql or down.sql changed, forgets the verifications it made out of date: those
   * whose cache key (checksums of migrations 1..N and of the rollback) no longer matches the files.
   * Comparing keys, not reacting to the event alone, keeps a result that a late event of the
   * rollback's own writing would otherwise wipe. `keepUnkeyed` keeps "could not verify" results
   * (they have no key), as right after a verification.
   */
  async revalidate(file: string, keepUnkeyed = false): Promise<void> {
    const store = this.verifications;
    const dir = path.dirname(file);
    const migrationsDir = path.dirname(dir);
    const name = path.basename(dir);
    const isDownSql = path.basename(file) === 'down.sql';
    const affected = store.verifiedIn(migrationsDir).filter((n) => (isDownSql ? n === name : n >= name));
    if (!affected.length) return;
    const core = await loadCore();
    const folder = await core.readMigrationsFolder(migrationsDir);
    const migrations = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    for (const n of affected) {
      const state = store.verification(migrationsDir, n);
      if (!state || state.kind === 'running') continue;
      const index = folder.migrations.findIndex((m) => m.name === n);
      const rollback = index < 0 ? undefined : await core.findRollbackScript(folder.migrations, index);
      const key = rollback ? await core.verifyCacheKeyInTurns(migrations, index, rollback.sql) : undefined;
      const stale = state.kind === 'couldNotVerify' ? !keepUnkeyed : state.key !== key;
      if (stale) store.dropVerification(migrationsDir, n);
    }
  }

  /**
   * Looks up, once per migration until its files change, a result of an earlier session for the
   * current files (instant after a reload). Failures are ignored (nothing is shown then).
   */
  peekOnce(migrationsDir: string, name: string): void {
    const target = `${migrationsDir}::${name}`;
    if (this.peekedTargets.has(target) || this.verifications.verification(migrationsDir, name)) return;
    this.peekedTargets.add(target);
    void this.peek(migrationsDir, name).catch(() => {});
  }

  private async peek(migrationsDir: string, name: string): Promise<void> {
    const core = await loadCore();
    const folder = await core.readMigrationsFolder(migrationsDir);
    const index = folder.migrations.findIndex((m) => m.name === name);
    if (index < 0) return;
    const rollback = await core.findRollbackScript(folder.migrations, index);
    if (!rollback) return;
    const key = await core.verifyCacheKeyInTurns(
      folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' })),
      index,
      rollback.sql,
    );
    if (this.peeked.has(key)) return;
    this.peeked.add(key);
    const r = this.verifications.remembered(key);
    if (r && !this.verifications.verification(migrationsDir, name))
      this.verifications.setResult(migrationsDir, name, r);
  }

  /**
   * What a migration's down.sql on disk says, for the tree: its warnings and whether migration.sql
   * changed since it was generated. Synchronous and cached by the files' sizes and times, so the
   * tree's own refresh (the repository watches these files) shows it without extra events.
   */
  fileInfo(migrationsDir: string, name: string): RollbackFileInfo | undefined {
    const dir = path.join(migrationsDir, name);
    const down = path.join(dir, 'down.sql');
    const sqlPath = path.join(dir, 'migration.sql');
    const stat = (f: string) => {
      try {
        const s = fs.statSync(f);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return undefined;
      }
    };
    const downStamp = stat(down);
    if (!downStamp) return undefined;
    if (!this.core && coreLoadMs() > 0)
      void loadCore().then((c) => {
        if (this.core) return;
        this.core = c;
        this.fileCache.clear();
        // Re-render once: the core became available to read staleness with.
        this.verifications.touch();
      });
    const stamp = `${downStamp}|${stat(sqlPath)}|${this.core ? 'core' : ''}`;
    const hit = this.fileCache.get(down);
    if (hit?.stamp === stamp) return hit.info;
    let info: RollbackFileInfo | undefined;
    try {
      const text = fs.readFileSync(down, 'utf8');
      const problems = downSqlProblems(text);
      let stale = false;
      if (this.core) {
        const sql = fs.readFileSync(sqlPath, 'utf8');
        stale = this.core.isDownSqlStale(text, sql) === true;
      }
      info = {
        warnings: problems.filter((x) => x.code !== 'irreversible').length,
        irreversible: problems.filter((x) => x.code === 'irreversible').length,
        stale,
      };
    } catch {
      info = undefined;
    }
    this.fileCache.set(down, { stamp, info });
    return info;
  }

  /** Extra words for a migration's tree item description, and tooltip lines (markdown). */
  treeDecoration(migrationsDir: string, name: string): { description?: string; tooltip: string[] } {
    const e = this.verifications.get(migrationsDir, name);
    const file = this.fileInfo(migrationsDir, name);
    const parts = [
      file ? rollbackFileDescription(file) : undefined,
      verificationDescription(e?.verification),
    ].filter((x): x is string => !!x);
    const tooltip = verificationTooltipLines(e?.verification, escapeMarkdown);
    if (file?.stale)
      tooltip.unshift(
        'down.sql is **out of date**: it was generated from an earlier migration.sql. Regenerate it with *Create Rollback…* (asks before overwriting).',
      );
    return { description: parts.length ? parts.join(' · ') : undefined, tooltip };
  }
}
