/**
 * "Create Rollback…" (down.sql beside migration.sql; asks before replacing a different one) and
 * "Create Rollback as New Migration…" (a `<timestamp>_rollback_<name>` migration, the runbook's
 * Method 2). A migration.sql PostgreSQL cannot parse gets a Problems entry and nothing is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RollbackResult, RollbackSourceNote } from '../../core/generator';
import type { LocalMigration } from '../../core/migrations';
import {
  conflictQuestion,
  editedAfterApplyWarning,
  generationMessage,
  rollbackMigrationName,
} from '../../core/status/present-rollback';
import { isRollbackMigration } from '../../core/verify/rollback-file';
import { type CoreApi, loadCore } from '../core';
import { type MigrationTarget, pickMigration } from '../pick';
import { openRollbackDiff, readHistory } from '../rollback/files';
import { readRollbackSettings } from '../settings';
import { UserError } from './boundary';
import type { CommandContext } from './context';
import type { CommandId } from './ids';

/**
 * Awaits `work`; a notification with the title appears only when it takes longer than half a
 * second (large histories), so quick generations do not flash one.
 */
async function withDelayedProgress<T>(title: string, work: Promise<T>, delayMs = 500): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), delayMs);
  });
  const first = await Promise.race([
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    slow,
  ]);
  clearTimeout(timer);
  if (first === 'slow')
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () =>
      work.catch(() => undefined),
    );
  return work;
}

/** The `prismaRollback.generator` setting for a file (an unknown value falls back to `statements`). */
function generatorStrategy(uri: vscode.Uri, core: CoreApi): 'statements' | 'prismaDiff' {
  const v = readRollbackSettings(uri).generator;
  return (core.isGeneratorStrategy(v) ? v : 'statements') as 'statements' | 'prismaDiff';
}

export const createRollback = (ctx: CommandContext) => (arg?: unknown) => create(ctx, arg, false);
export const createRollbackAsMigration = (ctx: CommandContext) => (arg?: unknown) => create(ctx, arg, true);

async function create(ctx: CommandContext, arg: unknown, asMigration: boolean): Promise<void> {
  const t = await pickMigration(ctx.repo, arg, {
    prompt: {
      placeHolder: asMigration
        ? 'Migration to roll back with a new migration'
        : 'Migration to create a rollback (down.sql) for',
    },
    reason: 'migration quick pick',
    among: 'local',
    needsLocal: true,
  });
  if (!t) return;
  const core = await loadCore();
  const { migrations, index, local } = await readHistory(core, t);
  if (isRollbackMigration(t.name) && !asMigration)
    ctx.log.warn(`${t.name} is itself a rollback migration; generating its inverse anyway.`);
  const sqlUri = vscode.Uri.file(local.sqlPath);
  const source = migrations.slice(0, index + 1).map((m) => ({ name: m.name, sql: m.sql ?? '' }));
  const from = await chooseSourceText(ctx, core, t, local);
  if (!from) return;
  source[index].sql = from.sql;

  let result: RollbackResult;
  try {
    result = await withDelayedProgress(
      `Generating the rollback of ${t.name} (replaying ${index} earlier migrations)…`,
      core.generateRollbackWith(generatorStrategy(sqlUri, core), source, index, { source: from.note }),
    );
  } catch (e) {
    if (!(e instanceof core.SqlParseError)) throw e;
    ctx.diagnostics.setParseError(local.sqlPath, e.line, e.column, e.reason);
    const where = `${vscode.workspace.asRelativePath(local.sqlPath)}:${e.line}:${e.column}`;
    ctx.log.error(`Cannot generate the rollback of ${t.name}: ${where}: ${e.reason}`);
    const line = Math.max(0, e.line - 1);
    const column = Math.max(0, e.column - 1);
    void vscode.window
      .showErrorMessage(
        `Cannot generate the rollback of ${t.name}: ${where}: ${e.reason}. Nothing was written.`,
        'Go to Error',
      )
      .then((c) => {
        if (c)
          void vscode.window.showTextDocument(sqlUri, {
            selection: new vscode.Range(line, column, line, column),
          });
      });
    return;
  }
  ctx.diagnostics.clearParseError(local.sqlPath);
  for (const p of result.historyProblems) ctx.log.warn(`${t.name}: ${p}`);

  if (asMigration) return writeAsMigration(ctx, t, local, result);

  let file = path.join(local.dir, 'down.sql');
  const existing = await fs.promises.readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    const conflict = core.downSqlConflict(existing, result.sql, local.sql ?? '');
    if (!conflict) {
      void vscode.window.showInformationMessage(`${t.name}/down.sql is already up to date.`);
      await openRollbackDiff(local.sqlPath, file, t.name);
      return;
    }
    const overwrite = 'Overwrite';
    const beside = 'Write down.new.sql';
    const openExisting = 'Open Existing';
    const choice = await vscode.window.showWarningMessage(
      conflictQuestion(t.name, conflict),
      {
        modal: true,
        detail:
          'Overwrite replaces it with the newly generated rollback. Write down.new.sql keeps it and puts the new rollback beside it to compare.',
      },
      overwrite,
      beside,
      openExisting,
    );
    if (!choice) return;
    if (choice === openExisting) {
      await openRollbackDiff(local.sqlPath, file, t.name);
      return;
    }
    if (choice === beside) file = path.join(local.dir, 'down.new.sql');
    ctx.log.info(`${t.name}: ${choice === overwrite ? 'overwriting' : 'keeping'} down.sql (${conflict})`);
  }
  await fs.promises.writeFile(file, result.sql, 'utf8');
  ctx.log.info(
    `Wrote ${file}: ${result.summary.statements} statement${result.summary.statements === 1 ? '' : 's'}, ${result.summary.flagged} flagged`,
  );
  await openRollbackDiff(local.sqlPath, file, t.name);
  await ctx.diagnostics.refreshDown(file);
  announceGeneration(t, path.basename(file), result);
}

/**
 * The environment whose `_prisma_migrations` stored another checksum for this migration (edited
 * after it was applied there): the one the command was started from, else the first that says so.
 */
function editedIn(
  ctx: CommandContext,
  t: MigrationTarget,
): { environment: string; stored: string } | undefined {
  const envs = t.env ? [t.env] : (t.project ? [t.project] : ctx.repo.projects).flatMap((p) => p.environments);
  for (const e of envs) {
    const m = e.status?.migrations.find((x) => x.name === t.name);
    const stored = m?.rows[0]?.checksum;
    if (m?.checksumMatches === false && stored) return { environment: e.name, stored };
  }
  return undefined;
}

/**
 * The text to generate from: the file, unless an environment ran another version. Then, when git
 * has that version, the user chooses (the version that ran is the default); otherwise the file,
 * with the header's note saying what the database ran. Undefined when the user dismissed the question.
 */
async function chooseSourceText(
  ctx: CommandContext,
  core: CoreApi,
  t: MigrationTarget,
  local: LocalMigration,
): Promise<{ sql: string; note?: RollbackSourceNote } | undefined> {
  const fileSql = local.sql ?? '';
  const where = editedIn(ctx, t);
  const edited =
    where && (await core.editedAfterApply(local.sqlPath, fileSql, where.environment, where.stored));
  if (!edited) return { sql: fileSql };
  const warning = editedAfterApplyWarning(t.name, edited.environment, {
    storedChecksum: edited.ranChecksum,
    localChecksum: edited.fileChecksum,
  });
  if (!edited.ran) {
    ctx.log.warn(
      `${warning} Git has no version with checksum ${edited.ranChecksum.slice(0, 12)}…: generating from the file.`,
    );
    return { sql: fileSql, note: edited.editedNote };
  }
  const ran = 'Generate from the version the database ran';
  const file = 'Generate from the edited file';
  const choice = await vscode.window.showWarningMessage(
    `${t.name}/migration.sql was edited after it was applied in ${edited.environment}.`,
    {
      modal: true,
      detail: `The database ran the version with checksum ${edited.ranChecksum.slice(0, 12)}… (git ${edited.ran.revision.slice(0, 10)}); the file now has ${edited.fileChecksum.slice(0, 12)}…. A rollback of the edited file undoes text the database never ran.`,
    },
    ran,
    file,
  );
  if (!choice) return undefined;
  ctx.log.info(
    `${t.name}: ${choice === ran ? `generating from git ${edited.ran.revision.slice(0, 10)}` : 'generating from the edited file'}`,
  );
  return choice === ran
    ? { sql: edited.ran.sql, note: edited.ran.note }
    : { sql: fileSql, note: edited.editedNote };
}

function announceGeneration(t: MigrationTarget, fileName: string, result: RollbackResult): void {
  const s = result.summary;
  const text = generationMessage(t.name, `${t.name}/${fileName}`, s);
  const verify = 'Verify Rollback';
  const problems = 'Show Problems';
  const buttons = fileName === 'down.sql' ? [verify] : [];
  if (s.flagged > 0 || s.irreversible > 0) buttons.push(problems);
  const show =
    s.irreversible > 0 || s.flagged > 0
      ? vscode.window.showWarningMessage
      : vscode.window.showInformationMessage;
  void show(text, ...buttons).then((c) => {
    const verifyId: CommandId = 'prismaRollback.verifyRollback';
    if (c === verify)
      void vscode.commands.executeCommand(
        verifyId,
        vscode.Uri.file(path.join(t.migrationsDir, t.name, 'migration.sql')),
      );
    if (c === problems) void vscode.commands.executeCommand('workbench.actions.view.problems');
  });
}

async function writeAsMigration(
  ctx: CommandContext,
  t: MigrationTarget,
  local: LocalMigration,
  result: RollbackResult,
): Promise<void> {
  const name = rollbackMigrationName(t.name);
  const create = 'Create Migration';
  const choice = await vscode.window.showWarningMessage(
    `Create the rollback of ${t.name} as a new migration ${name}?`,
    {
      modal: true,
      detail:
        'A rollback written as a migration becomes part of the history: `prisma migrate deploy` applies it in every environment it reaches, after the migrations before it. Use it when the migration must be undone everywhere; to undo it in one database, use "Create Rollback…" (down.sql) instead.',
    },
    create,
  );
  if (choice !== create) return;
  const dir = path.join(t.migrationsDir, name);
  try {
    await fs.promises.mkdir(dir);
  } catch (e) {
    throw new UserError(
      `Cannot create ${dir}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? 'it already exists' : (e as Error).message}`,
    );
  }
  const file = path.join(dir, 'migration.sql');
  await fs.promises.writeFile(file, result.sql, 'utf8');
  ctx.log.info(`Wrote ${file} (rollback of ${t.name} as a new migration)`);
  await vscode.commands.executeCommand(
    'vscode.diff',
    vscode.Uri.file(local.sqlPath),
    vscode.Uri.file(file),
    `${t.name}/migration.sql ↔ ${name}/migration.sql (rollback as new migration)`,
  );
  await ctx.diagnostics.refreshDown(file);
  announceGeneration({ ...t, name }, 'migration.sql', result);
  void ctx.repo.refresh('rollback migration created');
}
