/** Minimal, dependency-free argument parsing shared by every CLI command. */

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/**
 * Parses `--name value`, `--name=value` and boolean `--flag` (a flag listed in `booleans`);
 * everything after `--` is positional. `argv` is the command's arguments, without `node` and the
 * script. Pure: throws `UsageError` when a non-boolean flag has no value (last argument, followed
 * by another `--flag`, or empty/blank); nothing is read or changed.
 */
export function parseArgs(argv: string[], booleans: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) {
        if (!a.slice(eq + 1).trim()) throw new UsageError(`--${name} needs a value (it was empty)`);
        flags.set(name, a.slice(eq + 1));
      } else if (booleans.includes(name)) flags.set(name, true);
      else {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        if (!v.trim()) throw new UsageError(`--${name} needs a value (it was empty)`);
        flags.set(name, v);
        i++;
      }
    } else positionals.push(a);
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function has(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

/** Wrong usage: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {}

/** An expected failure (unreachable database, not configured…): one line on stderr, exit code 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  booleans?: readonly string[];
  /** Returns the exit code. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
