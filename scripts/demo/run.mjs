// Runs a TypeScript entry point of scripts/ on the machine's Node 20: bundles it with esbuild
// (dependencies stay in node_modules) into .cache/run/ and starts it in this process.
// Usage: node scripts/demo/run.mjs [scripts/demo/index.ts] [args…]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, stop } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = path.resolve(repo, process.argv[2] ?? 'scripts/demo/index.ts');
const outfile = path.join(
  repo,
  '.cache',
  'run',
  `${path.basename(path.dirname(entry))}-${path.basename(entry, '.ts')}.cjs`,
);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
stop();
process.argv.splice(2, 1);
createRequire(import.meta.url)(outfile);
