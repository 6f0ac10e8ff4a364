/**
 * "Check Impact on Environment…": a read-only pre-check of what the rollback would destroy in an
 * environment (rows of dropped tables and columns…) and which later migrations depend on it.
 */
import * as vscode from 'vscode';
import { redactSecrets } from '../../core/db/redact';
import { impactReport } from '../../core/status/present-rollback';
import { ChecklistPanel } from '../checklist/panel';
import { loadCore } from '../core';
import { pickChecklistTarget } from '../pick';
import { readHistory } from '../rollback/files';
import { readSettings } from '../settings';
import { requireTrust, UserError } from './boundary';
import type { CommandContext } from './context';
import { createRollback } from './create-rollback';

export const checkImpact =
  (ctx: CommandContext) =>
  async (arg?: unknown): Promise<void> => {
    requireTrust(
      'Check Impact connects to a database: trust this workspace first (in Restricted Mode Prisma Rollback only reads files).',
    );
    const picked = await pickChecklistTarget(ctx.repo, arg, {
      migration: {
        prompt: { placeHolder: 'Migration whose rollback impact to check' },
        reason: 'migration quick pick',
        among: 'local',
        needsLocal: true,
      },
      environment: () => ({
        prompt: { placeHolder: 'Environment to check the rollback against (read-only)' },
        none: 'This project has no environment with a connection string.',
        item: (e) => ({
          label: `Check Impact on ${e.name}…`,
          description: e.protected ? 'protected' : undefined,
          detail: e.status?.target ?? e.resolved?.problem,
        }),
      }),
    });
    if (!picked) return;
    const t = picked.migration;
    const project = t.project;
    const env = picked.env;
    const state = env.status?.migrations.find((x) => x.name === t.name)?.state;
    if (state === 'pending')
      throw new UserError(
        `${t.name} is pending in ${env.name}: it was never applied there, so there is nothing to roll back.`,
      );
    if (state === 'rolledBack')
      throw new UserError(
        `${t.name} is already marked rolled back in ${env.name}: there is nothing to roll back.`,
      );
    if (!state || !env.resolved?.url)
      throw new UserError(
        `The state of ${t.name} in ${env.name} is not known${env.status ? `: ${redactSecrets(env.resolved?.problem ?? env.status.diagnosis.kind)}` : ''}. Refresh the Migrations view or set the connection string first.`,
      );
    const core = await loadCore();
    const h = await readHistory(core, t);
    const rollback = await core.findRollbackScript(h.migrations, h.index);
    if (!rollback)
      throw new UserError(`${t.name} has no down.sql yet: create the rollback first.`, {
        title: 'Create Rollback…',
        run: () => createRollback(ctx)(vscode.Uri.file(h.local.sqlPath)),
      });
    const pool = await ctx.repo.pool(project, env);
    if (!pool) throw new UserError(`No connection string for ${env.name}.`);
    const later = new Map((env.status?.migrations ?? []).map((x) => [x.name, x.state]));
    const [pre, deps, locks] = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Checking what the rollback of ${t.name} would destroy in ${env.name} (read-only)`,
      },
      () =>
        Promise.all([
          core.precheckRollback(pool, rollback.sql, {
            rollbackName: rollback.name,
            migrationName: t.name,
            migrationSql: h.migrations[h.index].sql,
            statementTimeoutMs: readSettings(vscode.Uri.file(project.project.root)).statementTimeoutMs,
          }),
          // The core's one rule: its own rollback migration and folders without migration.sql are left out.
          core.dependentMigrations(h.migrations, h.index),
          core
            .lockRisks(rollback.sql)
            .catch(() => [])
            .then((r) => core.measureLockRisks(pool, r)),
        ]),
    );
    const report = impactReport(
      env.name,
      t.name,
      pre,
      deps.map((d) => ({ name: d.name, reasons: d.reasons, state: later.get(d.name) })),
      locks.risks.map((r) => core.describeLockRisk(r)),
    );
    ctx.log.info(
      `Check Impact on ${env.name} — ${redactSecrets(report.title)}\n${redactSecrets(report.detail)}`,
    );
    const show =
      report.refused || report.incomplete || report.blocking.length
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
    // Not a dead end: the next actions are offered (Cancel closes it, as OK did).
    const start = 'Start Rollback…';
    const backup = 'Back Up Now';
    const choice = await show(
      redactSecrets(report.title),
      { modal: true, detail: redactSecrets(report.detail) },
      start,
      backup,
    );
    if (!choice) return;
    const panel = ChecklistPanel.show(ctx.checklist, {
      projectId: project.project.id,
      migration: t.name,
      environment: env.name,
    });
    if (choice === backup) await panel.runStep('backup');
  };
