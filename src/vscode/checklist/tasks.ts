/**
 * Runs checklist steps as VS Code tasks: `ProcessExecution(command, args[])` (no shell, no
 * quoting), the connection string only in the task's environment, one dedicated terminal per
 * step named after it, and the exit code from `onDidEndTaskProcess`. A task that ends without a
 * process exit code (terminal closed, task terminated) resolves as interrupted, never success.
 */
import * as vscode from 'vscode';
import type { TaskCommand } from '../../core/runbook/commands';

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
