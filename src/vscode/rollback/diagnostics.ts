/**
 * Problems entries of the rollback: on `down.sql` (the generator's warnings, the verifier's
 * differences, following the RollbackState) and on `migration.sql` (the parse error of the last
 * "Create Rollback…", until the file changes).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { downSqlProblems, type ProblemEntry, verificationProblems } from '../../core/status/present-rollback';
import type { MigrationsRepository } from '../repository';
import { readText } from './files';
import type { RollbackState } from './state';

function toDiagnostic(p: ProblemEntry): vscode.Diagnostic {
  const severity =
    p.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : p.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : vscode.DiagnosticSeverity.Information;
  const d = new vscode.Diagnostic(
    new vscode.Range(p.line, p.startColumn, p.line, Math.max(p.endColumn, p.startColumn + 1)),
    p.message,
    severity,
  );
  d.source = 'Prisma Rollback';
  d.code = p.code;
  return d;
}

const isDown = (d: vscode.TextDocument) =>
  d.uri.scheme === 'file' && path.basename(d.uri.fsPath) === 'down.sql';

export class RollbackDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('prisma-rollback');
  /** Parse errors of migration.sql files, by path (cleared when the file changes). */
  private readonly parseErrors = new Map<string, vscode.Diagnostic>();
  private readonly subscriptions: vscode.Disposable[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repo: MigrationsRepository,
    private readonly state: RollbackState,
  ) {
    this.subscriptions = [
      this.collection,
      state.onDidChange(() => this.schedule()),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (isDown(d)) void this.refreshDown(d.uri.fsPath);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        const file = e.document.uri.fsPath;
        if (isDown(e.document)) void this.refreshDown(file);
        else if (this.parseErrors.delete(file)) this.collection.delete(e.document.uri);
      }),
    ];
    for (const d of vscode.workspace.textDocuments) if (isDown(d)) void this.refreshDown(d.uri.fsPath);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
  }

  /** Problems of open and known down.sql files follow the state (coalesced). */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refreshAll();
    }, 50);
  }

  /**
   * Marks where PostgreSQL cannot parse a migration.sql (1-based line and column, as the parser
   * reports them); kept until the file is edited or `clearParseError` is called.
   */
  setParseError(sqlPath: string, line1: number, column1: number, reason: string): void {
    const line = Math.max(0, line1 - 1);
    const column = Math.max(0, column1 - 1);
    const d = new vscode.Diagnostic(
      new vscode.Range(line, column, line, column + 1),
      `PostgreSQL cannot parse this migration: ${reason}`,
      vscode.DiagnosticSeverity.Error,
    );
    d.source = 'Prisma Rollback';
    d.code = 'parse';
    this.parseErrors.set(sqlPath, d);
    this.collection.set(vscode.Uri.file(sqlPath), [d]);
  }

  clearParseError(sqlPath: string): void {
    if (this.parseErrors.delete(sqlPath)) this.collection.delete(vscode.Uri.file(sqlPath));
  }

  /** Recomputes the Problems of one rollback file (its flagged steps and its verification). */
  async refreshDown(file: string): Promise<void> {
    const uri = vscode.Uri.file(file);
    const text = await readText(file);
    if (text === undefined) {
      this.collection.delete(uri);
      return;
    }
    const problems = downSqlProblems(text);
    const dir = path.dirname(file);
    const migrationsDir = this.repo.findMigration(path.join(dir, 'migration.sql'))?.entry.project
      .migrationsDir;
    const owner = path.basename(file) === 'down.sql' ? path.basename(dir) : undefined;
    const state = owner
      ? this.state.verifications.verification(migrationsDir ?? path.dirname(dir), owner)
      : undefined;
    if (state && state.kind !== 'running') problems.push(...verificationProblems(state, text, file));
    this.collection.set(uri, problems.map(toDiagnostic));
  }

  private async refreshAll(): Promise<void> {
    const files = new Set<string>();
    this.collection.forEach((uri) => {
      if (path.basename(uri.fsPath) === 'down.sql') files.add(uri.fsPath);
    });
    for (const d of vscode.workspace.textDocuments) if (isDown(d)) files.add(d.uri.fsPath);
    await Promise.all([...files].map((f) => this.refreshDown(f)));
  }
}
