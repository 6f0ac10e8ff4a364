/** What the checklist panel is given: the services other parts of the product provide, and its dependencies. */
import type * as vscode from 'vscode';
import type { Capabilities, FailedVerdict } from '../../core/runbook/checklist';
import type { MigrationsRepository, ProjectEntry } from '../repository';
import type { DriftService } from './drift-gate';
import type { RangeServices } from './range';
import type { TaskRunner } from './tasks';

/** What other parts of the product provide; a missing one makes its step "not available yet". */
export interface ChecklistServices {
  /** Writes the rollback (down.sql) of a migration; returns its path. */
  generate?(o: {
    project: ProjectEntry['project'];
    migration: string;
  }): Promise<{ file: string; summary?: string }>;
  verifyChain?: RangeServices['verifyChain']; // "Roll Back to Here…": one verification of the chain
  /** Proves the rollback in an embedded PostgreSQL. */
  verify?(o: {
    project: ProjectEntry['project'];
    migration: string;
    /** `12 of 40 migrations replayed (30%)`, as the replay goes. */
    onProgress?: (text: string) => void;
    /** Also prove the data (core VerifyStepOptions.data): when an archive or a backup is in play. */
    data?: 'archive' | 'rollbackAlone';
  }): Promise<{
    result: 'verified' | 'differences' | 'couldNotVerify';
    summary: string;
    /** With `data`: core DataCheck (identical / differences / couldNotCheck, rows compared, lines). */
    data?: { result: 'identical' | 'differences' | 'couldNotCheck'; summary: string; lines: string[] };
  }>;
  /**
   * Read-only pre-check of what the rollback would destroy in an environment. `ok: false` when it
   * could not answer (no rollback script yet, the migration is not applied there…), with why.
   */
  impact?(o: {
    project: ProjectEntry['project'];
    migration: string;
    environment: string;
    url: string;
  }): Promise<{ ok: boolean; summary: string; result?: string; lines?: string[] }>;
  /** Live schema vs. replay of the applied migrations (./drift-gate.ts). */
  drift?: DriftService;
  /**
   * Resolve-failed flow, "What it left": core `assessFailedMigration` (live vs. replay of 1..N-1
   * and 1..N). Never throws for database or replay problems (`couldNotCheck`).
   */
  assessFailed?(o: {
    project: ProjectEntry['project'];
    migration: string;
    environment: string;
    url: string;
  }): Promise<{ verdict: FailedVerdict; summary: string; lines: string[] }>;
  /** Later migrations that depend on this one, with why (throws when it cannot be computed). */
  dependents?(o: {
    project: ProjectEntry['project'];
    migration: string;
  }): Promise<{ name: string; reasons: string[] }[]>;
}

export interface ChecklistDeps {
  context: vscode.ExtensionContext;
  repo: MigrationsRepository;
  log: vscode.LogOutputChannel;
  tasks: TaskRunner;
  services: ChecklistServices;
}

export function capabilitiesOf(s: ChecklistServices): Capabilities {
  return { generator: !!s.generate, verifier: !!s.verify, impact: !!s.impact };
}
