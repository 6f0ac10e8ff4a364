/** Runs the CLI in-process (`main` of src/cli.ts) and collects what it prints. */
import { main } from '../../src/cli';

export async function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => {
      out += `${t}\n`;
    },
    err: (t) => {
      err += `${t}\n`;
    },
    env: { PATH: process.env.PATH, ...env },
    cwd,
  });
  return { code, out, err, json: () => JSON.parse(out) };
}
