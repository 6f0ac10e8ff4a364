/**
 * "Verify Rollback": replays the history in an embedded PostgreSQL (or the shadow server when set
 * and the workspace is trusted), applies the migration and its rollback and compares the schemas;
 * cancellable. The result goes to the RollbackState (tree, CodeLens, Problems) and a notification.
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { redactSecrets } from '../../core/db/redact';
import type { LocalMigration } from '../../core/migrations';
import { verificationMessage } from '../../core/status/present-rollback';
import type { VerifyResult } from '../../core/verify';
import { isRollbackMigration, rollbackMigrationSuffix } from '../../core/verify/rollback-file';
import { type CoreApi, loadCore } from '../core';
import { type MigrationTarget, pickMigration } from '../pick';
import { readHistory } from '../rollback/files';
import { readRollbackSettings } from '../settings';
import type { CommandContext } from './context';
import { createRollback } from './create-rollback';

/** A `_rollback_` migration verifies as the rollback of the migration it undoes. */
function undoneBy(migrations: LocalMigration[], name: string): string | undefined {
  if (!isRollbackMigration(name)) return undefined;
  const i = migrations.findIndex((m) => m.name === name);
  return migrations
    .slice(0, i)
    .reverse()
    .find((m) => name.endsWith(rollbackMigrationSuffix(m.name)))?.name;
}

/**
 * The shadow server of a migration's project, by the core's one rule (src/core/project/shadow.ts):
 * $PRISMA_ROLLBACK_SHADOW_DATABASE_URL, else the setting (a URL or a variable's name), else that
 * variable in the project's .env files. A wrong configuration is logged and verification goes on
 * without a shadow server.
 */
async function shadowUrl(
  ctx: CommandContext,
  core: CoreApi,
  t: MigrationTarget,
): Promise<string | undefined> {
  const r = await core.resolveShadowDatabase(
    readRollbackSettings(vscode.Uri.file(t.migrationsDir)).shadowDatabaseUrl,
    {
      envFiles: t.project?.project.envFiles,
    },
  );
  if (r.problem) ctx.log.warn(r.problem);
  return r.url;
}

export const verifyRollback =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<VerifyResult | undefined> => {
    let t = await pickMigration(ctx.repo, arg, {
      prompt: { placeHolder: 'Migration whose rollback to verify' },
      reason: 'migration quick pick',
      among: 'local',
      needsLocal: true,
    });
    if (!t) return undefined;
    const core = await loadCore();
    let h = await readHistory(core, t);
    const undone = undoneBy(h.migrations, t.name);
    if (undone) {
      t = { ...t, name: undone };
      h = await readHistory(core, t);
    }
    // What is verified is the file on disk: unsaved edits of it are saved first.
    const dirty = vscode.workspace.textDocuments.find(
      (d) => d.isDirty && d.uri.scheme === 'file' && path.dirname(d.uri.fsPath) === h.local.dir,
    );
    if (dirty) await dirty.save();
    const rollback = await core.findRollbackScript(h.migrations, h.index);
    if (!rollback) {
      const create = 'Create Rollback…';
      const c = await vscode.window.showInformationMessage(
        `${t.name} has no rollback to verify yet: no down.sql in its folder and no later *_rollback_ migration.`,
        create,
      );
      if (c) await createRollback(ctx)(vscode.Uri.file(h.local.sqlPath));
      return undefined;
    }
    const target = t;
    const history = h;
    const rollbackSql = rollback.sql;
    const trusted = vscode.workspace.isTrusted;
    const shadowDatabaseUrl = trusted ? await shadowUrl(ctx, core, t) : undefined;
    const settings = readRollbackSettings(vscode.Uri.file(t.migrationsDir));
    const secondOpinion = settings.prismaDiff;
    const store = ctx.rollbacks.verifications;
    const before = store.setRunning(t.migrationsDir, t.name);
    const started = Date.now();
    let result: VerifyResult;
    try {
      result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Verifying the rollback of ${t.name}`,
          cancellable: true,
        },
        async (progress, token) => {
          const abort = new AbortController();
          let shown = 0;
          token.onCancellationRequested(() => {
            ctx.log.info(`Verification of the rollback of ${target.name}: cancel requested`);
            abort.abort();
          });
          const migrations = core.verifyHistory(history.migrations);
          const r = await core.verifyRollback({
            migrations,
            index: history.index,
            rollbackSql,
            rollbackName: rollback.name,
            rollbackPath: rollback.path,
            shadowDatabaseUrl,
            // In Restricted Mode nothing but the in-process PostgreSQL is used.
            engine: trusted ? 'auto' : 'embedded',
            // PGlite runs in a worker thread: each step is limited, the extension host never waits on it.
            timeoutMs: settings.verifyTimeoutMs,
            // Replayed states on disk, shared with the CLI.
            replayCacheDir: core.defaultReplayCacheDir(),
            signal: abort.signal,
            // The replay moves the bar: increments are the difference of percentages (withProgress adds them up).
            onProgress: (message, step) => {
              const pct = step?.total ? Math.floor((step.done / step.total) * 100) : undefined;
              const increment = pct !== undefined && pct > shown ? pct - shown : undefined;
              if (increment) shown = pct!;
              progress.report({
                message: redactSecrets(step ? core.replayProgressText(step) : message),
                increment,
              });
            },
          });
          if (!secondOpinion || token.isCancellationRequested) return r;
          // Setting prismaRollback.verify.prismaDiff: Prisma's own engine must agree (the core's policy).
          progress.report({ message: "asking Prisma's schema engine (migrate diff) for a second opinion" });
          const o = await core.secondOpinion(
            r,
            { migrations, index: history.index, rollbackSql },
            { signal: abort.signal },
          );
          if (o.outcome !== 'notAsked') ctx.log.info(`${target.name}: ${redactSecrets(o.line)}`);
          if (o.outcome === 'failed') void vscode.window.showWarningMessage(redactSecrets(o.line));
          return o.result;
        },
      );
    } catch (e) {
      store.restore(t.migrationsDir, t.name, before);
      throw e;
    }
    if (result.kind === 'couldNotVerify' && result.cancelled) {
      store.restore(t.migrationsDir, t.name, before);
      void vscode.window.showInformationMessage(`Verification of the rollback of ${t.name} cancelled.`);
      return result;
    }
    if (result.kind === 'couldNotVerify' && !trusted && /extension/i.test(result.reason))
      result = {
        ...result,
        reason: `${result.reason} (Restricted Mode: verifying on a shadow database server needs a trusted workspace)`,
      };
    store.setResult(t.migrationsDir, t.name, result);
    void ctx.rollbacks.revalidate(h.local.sqlPath, true).catch(() => {});
    const detail =
      result.kind === 'differences'
        ? `: ${result.differences.join('; ')}`
        : result.kind === 'cannotProve'
          ? `: ${result.reasons.join('; ')}`
          : '';
    ctx.log.info(
      `Verify ${t.name} (${rollback.name}): ${result.kind}${result.kind === 'couldNotVerify' ? `: ${redactSecrets(result.reason)}` : detail} in ${Date.now() - started} ms`,
    );
    await ctx.diagnostics.refreshDown(rollback.path);
    announce(ctx, t.name, result);
    return result;
  };

function announce(ctx: CommandContext, name: string, result: VerifyResult): void {
  const text = redactSecrets(verificationMessage(name, result));
  if (result.kind === 'verified') {
    void vscode.window.showInformationMessage(text);
    return;
  }
  const problems = 'Show Problems';
  const log = 'Show Log';
  void vscode.window
    .showWarningMessage(text, ...(result.kind === 'differences' ? [problems] : [log]))
    .then((c) => {
      if (c === problems) void vscode.commands.executeCommand('workbench.actions.view.problems');
      if (c === log) ctx.log.show(true);
    });
}
