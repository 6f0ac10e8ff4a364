#!/usr/bin/env node
/** `prisma-rollback` — the headless CLI over src/core, for terminals and CI pipelines. */
// First: `verify` starts the verifier's worker before the command modules load (see there).
import './cli/early-verifier';
import { CliError, type CliIO, parseArgs, UsageError } from './cli/args';
import { progressLine } from './cli/backup';
import { commands } from './cli/commands';
import { describeFailure } from './cli/failure';
import { SettingsFileError } from './core/project/settings-file';
import { disposeVerifierWorker } from './core/verify/worker-client';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: prisma-rollback <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `prisma-rollback <command> --help` for its options.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`Usage: ${command.usage}`);
    return 0;
  }
  // The editor's checklist reads the last line of its progress file: on failure, the reason.
  const failed = (message: string) => {
    io.err(message);
    progressLine(io)(message);
  };
  try {
    return await command.run(parseArgs(rest, command.booleans), io);
  } catch (e) {
    if (e instanceof UsageError) {
      failed(`${e.message}\nUsage: ${command.usage}`);
      return 2;
    }
    if (e instanceof CliError) {
      failed(e.message);
      return e.exitCode;
    }
    if (e instanceof SettingsFileError) {
      failed(e.message);
      return 2;
    }
    failed(describeFailure(e));
    if (io.env.PRISMA_ROLLBACK_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return 2;
  } finally {
    // Every command that used the verifier's worker (verify, drift, resolve's schema check, down
    // --partial): the worker saves the state it replayed after posting the result, so it is
    // waited for (at most 20 s) and stopped here; a process that exited at once cut the save off
    // and the next command replayed again. Immediate when no worker runs or it only prepared.
    await disposeVerifierWorker();
  }
}

if (require.main === module) {
  // An error thrown outside the command's promise (an event nobody listens to) is still one line.
  process.on('uncaughtException', (e) => {
    process.stderr.write(`${describeFailure(e)}\n`);
    if (process.env.PRISMA_ROLLBACK_DEBUG && e instanceof Error && e.stack)
      process.stderr.write(`${e.stack}\n`);
    process.exit(2);
  });
  // Ctrl-C (or a CI runner's SIGTERM) ends the process with one line instead of none. What the
  // command had open ends with it: PostgreSQL rolls back a transaction that was not committed when
  // its connection closes, and releases the session's advisory lock (PostgreSQL docs §13.3.5).
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)
    process.once(signal, () => {
      process.stderr.write(
        `Interrupted (${signal}): a transaction not yet committed is rolled back by PostgreSQL as the connection closes; \`prisma-rollback status\` shows what is applied.\n`,
      );
      process.exit(code);
    });
  // Held until the command settles: nothing it waits on can let the process end early (timers of
  // Prisma's engine are unref'd, src/core/engine); released after, so the process exits at once.
  const keepAlive = setInterval(() => {}, 1 << 30);
  main(process.argv.slice(2), {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    cwd: process.cwd(),
  })
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e) => {
        process.stderr.write(`${describeFailure(e)}\n`);
        process.exitCode = 2;
      },
    )
    .finally(() => clearInterval(keepAlive));
}
