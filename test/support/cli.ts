/** Runs the CLI in-process (`main` of src/cli.ts) and collects what it prints. */
import { main } from '../../src/cli';

/** One in-process run: the exit code and the lines printed on stdout and stderr, in order. */
async function capture(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), env, cwd });
  return { code, out, err };
}

/**
 * The CLI as a terminal runs it: `PATH` from this process plus `env`; `out` and `err` are the
 * printed lines, each ended by "\n"; `json()` parses `out`.
 */
export async function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = await capture(args, cwd, { PATH: process.env.PATH, ...env });
  const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('');
  const out = text(r.out);
  return { code: r.code, out, err: text(r.err), json: () => JSON.parse(out) };
}

/**
 * The CLI with exactly `env` (nothing added, not even `PATH`); `out` and `err` are the printed
 * lines joined by "\n" (no newline at the end).
 */
export async function runCliLines(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  const r = await capture(args, cwd, env);
  return { code: r.code, out: r.out.join('\n'), err: r.err.join('\n') };
}
