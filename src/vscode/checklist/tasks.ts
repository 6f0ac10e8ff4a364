/**
 * Runs checklist steps as VS Code tasks: `ProcessExecution(command, args[])` (no shell, no
 * quoting), the connection string only in the task's environment, one dedicated terminal per
 * step named after it, and the exit code from `onDidEndTaskProcess`. A task that ends without a
 * process exit code (terminal closed, task terminated) resolves as interrupted, never success.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { redactSecrets } from '../../core/db/redact';
import { ChecklistError, type StepId, stepTaskName } from '../../core/runbook/checklist';
import type { TaskCommand } from '../../core/runbook/commands';
import { noConnectionLine } from '../../core/status/present';
import type { ProjectEntry } from '../repository';
import { readSettings } from '../settings';

export const TASK_TYPE = 'prismaRollback';

export interface TaskOutcome {
  /** The process's exit code; undefined when it never reported one (interrupted). */
  exitCode: number | undefined;
}

interface Pending {
  resolve(o: TaskOutcome): void;
  exitCode?: number;
  gotExit: boolean;
}

export class TaskRunner implements vscode.Disposable {
  private readonly pending = new Map<vscode.TaskExecution, Pending>();
  private readonly terminalNames = new Map<string, string>();
  private readonly disposables: vscode.Disposable[];

  constructor() {
    this.disposables = [
      vscode.tasks.onDidEndTaskProcess((e) => {
        const p = this.pending.get(e.execution);
        if (!p) return;
        p.gotExit = true;
        p.exitCode = e.exitCode;
        this.finish(e.execution);
      }),
      // Fires also when the terminal is closed or the task terminated without a process end.
      vscode.tasks.onDidEndTask((e) => {
        // onDidEndTaskProcess (if any) comes first; give it a tick.
        setTimeout(() => this.finish(e.execution), 50);
      }),
    ];
  }

  private finish(execution: vscode.TaskExecution): void {
    const p = this.pending.get(execution);
    if (!p) return;
    this.pending.delete(execution);
    p.resolve({ exitCode: p.gotExit ? p.exitCode : undefined });
  }

  /**
   * Runs one command as a task and resolves with its exit code. `secretEnv` holds the
   * connection string(s) for the child process only: never on the command line, never logged.
   */
  async run(
    c: TaskCommand,
    o: { id: string; name: string; folder?: vscode.WorkspaceFolder; secretEnv: Record<string, string> },
  ): Promise<TaskOutcome> {
    const definition = { type: TASK_TYPE, step: o.id };
    const execution = new vscode.ProcessExecution(c.command, c.args, {
      cwd: c.cwd,
      // ELECTRON_RUN_AS_NODE lets VS Code's own binary run the bundled CLI as Node.
      env: { ...o.secretEnv, ELECTRON_RUN_AS_NODE: '1', FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    const task = new vscode.Task(
      definition,
      o.folder ?? vscode.TaskScope.Workspace,
      o.name,
      'Prisma Rollback',
      execution,
      [],
    );
    task.presentationOptions = {
      reveal: vscode.TaskRevealKind.Always,
      panel: vscode.TaskPanelKind.Dedicated,
      clear: true,
      echo: true,
      showReuseMessage: false,
      focus: false,
    };
    this.terminalNames.set(o.id, o.name);
    const started = await vscode.tasks.executeTask(task);
    return new Promise<TaskOutcome>((resolve) => {
      this.pending.set(started, { resolve, gotExit: false });
    });
  }

  /** Shows the terminal of a step's last run (a failed step shows its output). */
  showTerminal(id: string): boolean {
    const name = this.terminalNames.get(id);
    const t = name
      ? vscode.window.terminals.find((x) => x.name === name || x.name.includes(name))
      : undefined;
    t?.show(false);
    return !!t;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    for (const p of this.pending.values()) p.resolve({ exitCode: undefined });
    this.pending.clear();
  }
}

/**
 * The connection string(s) a task needs, as environment variables (never argv, never logged):
 * the environment's `urlEnv` and the datasource's variable, plus PRISMA_ROLLBACK_ENVIRONMENTS
 * (the environments' settings, no secrets). Throws a ChecklistError when the environment has no
 * connection string or no variable can carry it (or, with `prismaCli`, when the project's Prisma
 * CLI would read another one).
 */
export function taskEnvFor(
  entry: ProjectEntry,
  environment: string,
  o: { prismaCli?: boolean } = {},
): Record<string, string> {
  const env = entry.environments.find((e) => e.name === environment);
  const url = env?.resolved?.url;
  if (!url) {
    throw new ChecklistError(noConnectionLine(environment, env?.resolved?.problem));
  }
  const configs = readSettings(vscode.Uri.file(entry.project.root)).environments ?? [{ name: 'local' }];
  const cfg = configs.find((c) => c.name === environment);
  const expr = entry.project.urlExpression;
  const datasourceVar =
    expr?.kind === 'env'
      ? expr.name
      : expr?.kind === 'config'
        ? (expr as { envName?: string }).envName
        : undefined;
  const vars: Record<string, string> = {
    PRISMA_ROLLBACK_ENVIRONMENTS: JSON.stringify(
      configs.map((c) => ({ name: c.name, urlEnv: c.urlEnv, envFile: c.envFile, protected: c.protected })),
    ),
  };
  if (o.prismaCli && !datasourceVar) {
    // The project's Prisma CLI would connect wherever its schema/config says: maybe another database.
    throw new ChecklistError(
      `The project's Prisma CLI reads its connection string from ${entry.project.configFile ? 'prisma.config.ts' : 'the schema'} without a variable this extension can point at ${environment}: it could run against another database. Use the bundled runner for this step.`,
    );
  }
  const primary = cfg?.urlEnv ?? datasourceVar;
  if (primary) vars[primary] = url;
  // The project's own Prisma CLI reads the datasource's variable: point it at this environment.
  if (datasourceVar) vars[datasourceVar] = url;
  if (!primary && !datasourceVar) {
    throw new ChecklistError(
      `Cannot pass ${environment}'s connection string to a task: neither the environment (urlEnv) nor the datasource names a variable. Set urlEnv in prismaRollback.environments.`,
    );
  }
  return vars;
}

/**
 * The Confirm step's optional health check: GET `url` (10 s timeout). undefined when no URL is
 * set; `ok` is the response's 2xx-ness; `text` names the URL with secrets redacted. Never throws.
 */
export async function healthCheck(
  url: string | undefined,
): Promise<{ ok: boolean; text: string } | undefined> {
  if (!url) return undefined;
  try {
    const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(10_000) });
    return { ok: res.ok, text: `GET ${redactSecrets(url)} → ${res.status} ${res.statusText}` };
  } catch (e) {
    return { ok: false, text: `GET ${redactSecrets(url)} failed: ${(e as Error).message}` };
  }
}

/**
 * A file the bundled CLI writes its progress line to (`PRISMA_ROLLBACK_PROGRESS_FILE`: bytes a
 * backup has written, the statement apply-down runs), read every `everyMs` while a task runs.
 * `env` goes into the task's environment; `final()` reads the file's last line once more (after the
 * task ended: the last progress, or the CLI's failure message — src/cli.ts writes it there);
 * `stop()` stops reading, removes the file and calls `onText(undefined)` (the step shows no
 * progress any more).
 */
export function watchProgress(
  onText: (text: string | undefined) => void,
  everyMs = 500,
): { env: Record<string, string>; final(): string | undefined; stop(): void } {
  const file = path.join(
    os.tmpdir(),
    `prisma-rollback-progress-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`,
  );
  let last = '';
  let stopped = false;
  const timer = setInterval(() => {
    void fs.promises.readFile(file, 'utf8').then(
      (t) => {
        if (stopped || !t || t === last) return;
        last = t;
        onText(t);
      },
      () => {},
    );
  }, everyMs);
  return {
    env: { PRISMA_ROLLBACK_PROGRESS_FILE: file },
    final: () => {
      try {
        return fs.readFileSync(file, 'utf8').trim() || undefined;
      } catch {
        return undefined;
      }
    },
    stop: () => {
      stopped = true;
      clearInterval(timer);
      void fs.promises.rm(file, { force: true });
      onText(undefined);
    },
  };
}

/**
 * Runs a step's command as a task (`TaskRunner.run`) while reading its progress file
 * (`watchProgress`): each line goes to `onProgress` (the step) and, with `notify`, to a progress
 * notification titled "<name>: running…" (core `stepTaskName` of the step and `c.environment`). Resolves with the exit code (undefined: interrupted)
 * and the file's last line (how far it got, or the CLI's failure reason). Rejects when the task
 * cannot start; the progress file is removed either way.
 */
export async function runWithProgress(
  runner: TaskRunner,
  c: TaskCommand,
  o: {
    id: StepId;
    folder?: vscode.WorkspaceFolder;
    secretEnv: Record<string, string>;
    notify: boolean;
    onProgress: (text: string | undefined) => void;
  },
): Promise<{ exitCode: number | undefined; last?: string }> {
  let report: ((text: string) => void) | undefined;
  const watch = watchProgress((text) => {
    o.onProgress(text);
    if (text) report?.(text);
  });
  // `Rehearse on staging`, `Apply to target — production`: the terminal's and the notification's name.
  const name = stepTaskName(o.id, c.environment);
  const run = () =>
    runner.run(c, { id: o.id, name, folder: o.folder, secretEnv: { ...o.secretEnv, ...watch.env } });
  try {
    const { exitCode } = o.notify
      ? await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `${name}: running…` },
          (p) => {
            report = (message) => p.report({ message });
            return run();
          },
        )
      : await run();
    return { exitCode, last: watch.final() };
  } finally {
    watch.stop();
  }
}
