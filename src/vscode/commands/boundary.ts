/**
 * The one error boundary of every command (after prisma/language-tools' `handleCommandError`):
 * a failure is redacted, logged and shown once with "Show Log" (and the next action, when a
 * `UserError` names one). A `UserError` is a message meant
 * for the user as is: shown without the "Prisma Rollback:" prefix, logged as one line without a
 * stack. Anything else is an unexpected failure: shown with the prefix, logged with its stack.
 */
import * as vscode from 'vscode';
import { redactSecrets } from '../../core/db/redact';

/**
 * An error whose message is meant for the user as is (bad input, a refused action, a missing file).
 * `next` is the action that gets the user past it ("Create Rollback…" when down.sql is missing):
 * offered first on the message, before "Show Log".
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly next?: { title: string; run: () => unknown },
  ) {
    super(message);
  }
}

/** A command body: what `vscode.commands.registerCommand` calls, with the arguments VS Code passes. */
/**
 * Refuses, as a UserError carrying `message` (what the command would do, then "trust this
 * workspace first"), when the workspace is not trusted: the one trust check of the commands that
 * connect to databases or run commands. Throws UserError; nothing is left behind.
 */
export function requireTrust(message: string): void {
  if (!vscode.workspace.isTrusted) throw new UserError(message);
}

export type Handler = (...args: unknown[]) => unknown;

/**
 * Wraps a handler: it resolves to the handler's value, or to undefined after a failure was shown
 * (never rejects, so VS Code adds no notification of its own).
 */
export function withErrorBoundary(id: string, log: vscode.LogOutputChannel, run: Handler) {
  return async (...args: unknown[]): Promise<unknown> => {
    try {
      return await run(...args);
    } catch (e) {
      const message = redactSecrets(e instanceof Error ? e.message : String(e));
      const user = e instanceof UserError;
      if (user) log.warn(`${id}: ${message}`);
      else
        log.error(`${id} failed: ${redactSecrets(e instanceof Error ? (e.stack ?? e.message) : String(e))}`);
      const next = user ? e.next : undefined;
      void vscode.window
        .showErrorMessage(
          user ? message : `Prisma Rollback: ${message}`,
          ...(next ? [next.title] : []),
          'Show Log',
        )
        .then((choice) => {
          if (choice === 'Show Log') log.show(true);
          else if (choice && next)
            void Promise.resolve(next.run()).catch((err) =>
              log.error(`${id}: ${redactSecrets(String(err))}`),
            );
        });
      return undefined;
    }
  };
}
