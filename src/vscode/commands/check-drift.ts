/**
 * "Check Drift on Environment…": compares the live schema of an environment (read-only) with the
 * replay of the migrations recorded as applied there (core `driftOfEnvironment`), shows the
 * result, and keeps it for the tree (../drift.ts) until `_prisma_migrations` or the folder changes.
 */
import * as vscode from 'vscode';
import { redactSecrets } from '../../core/db/redact';
import { noConnectionLine } from '../../core/status/present';
import { loadCore } from '../core';
import { storeDrift } from '../drift';
import { pickConfiguredEnvironment } from '../pick';
import { readRollbackSettings } from '../settings';
import { requireTrust, UserError } from './boundary';
import type { CommandContext } from './context';

export const checkDrift =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    requireTrust('Check Drift connects to a database: trust this workspace first.');
    const picked = await pickConfiguredEnvironment(ctx.repo, arg, {
      project: { prompt: { title: 'Check Drift: project' }, reason: 'check drift' },
      environment: (entry) => ({
        prompt: { placeHolder: 'Environment whose schema to compare with its migrations (read-only)' },
        none: `${entry.project.label} has no configured environment.`,
        item: (e) => ({
          label: `Check Drift on ${e.name}…`,
          description: e.protected ? 'protected' : undefined,
          detail: e.status?.target ?? e.resolved?.problem,
        }),
      }),
    });
    if (!picked) return;
    const entry = picked.project;
    const env = picked.env;
    const url = env.resolved?.url;
    if (!url) throw new UserError(noConnectionLine(env.name, env.resolved?.problem));
    const core = await loadCore();
    const project = entry.project;
    const r = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Checking drift on ${env.name}`,
        cancellable: true,
      },
      (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return core.driftOfEnvironment({
          url,
          environment: env.name,
          migrationsDir: project.migrationsDir,
          shadowSetting: readRollbackSettings(vscode.Uri.file(project.root)).shadowDatabaseUrl,
          // The replay runs in the verifier's worker: each step has verify's time limit.
          timeoutMs: readRollbackSettings(vscode.Uri.file(project.root)).verifyTimeoutMs,
          envFiles: project.envFiles,
          signal: ac.signal,
          onProgress: (message) => progress.report({ message: redactSecrets(message) }),
        });
      },
    );
    const summary = redactSecrets(r.summary);
    ctx.log.info(`Check Drift: ${summary}`);
    const differences = r.kind === 'couldNotCheck' ? [] : r.differences.map((d) => redactSecrets(d.message));
    storeDrift(project.id, env.name, env.status, {
      kind: r.kind,
      summary,
      differences,
      checkedAt: new Date(),
    });
    if (r.kind === 'none') void vscode.window.showInformationMessage(summary);
    else if (r.kind === 'couldNotCheck') void vscode.window.showWarningMessage(summary);
    else {
      for (const d of differences) ctx.log.info(`  ${d}`);
      const choice = await vscode.window.showWarningMessage(summary, 'Show All Differences');
      if (choice) ctx.log.show(true);
    }
  };
