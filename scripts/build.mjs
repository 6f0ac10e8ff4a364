#!/usr/bin/env node
/**
 * Bundles the extension and the CLI with esbuild and copies the runtime assets (WebAssembly…)
 * next to the bundles, so the .vsix needs no node_modules.
 *
 *   node scripts/build.mjs               development build (source maps, not minified)
 *   node scripts/build.mjs --production  minified, with source maps
 *   node scripts/build.mjs --watch       rebuild on change
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const require = createRequire(path.join(root, 'package.json'));
const args = new Set(process.argv.slice(2));
const production = args.has('--production');
const watch = args.has('--watch');

/**
 * Files copied next to the bundles (`dist/`): [package-relative path resolved from node_modules, name in dist].
 * Code that loads them looks in `__dirname` first (see src/core/engine/index.ts).
 */
export const ASSETS = [['@prisma/schema-engine-wasm/schema_engine_bg.wasm', 'schema_engine_bg.wasm']];

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // `vscode` is provided by the editor; `pg-native` is an optional native driver pg never needs here.
  external: ['vscode', 'pg-native'],
  sourcemap: true,
  sourcesContent: false,
  minify: production,
  keepNames: true,
  logLevel: 'warning',
  metafile: true,
  absWorkingDir: root,
  // Some dependencies ship ESM that reads import.meta.url; give it a CJS equivalent.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

const builds = [
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: dist },
  { ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: dist },
];

function packagePath(spec) {
  const parts = spec.split('/');
  const pkgName = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const rest = parts.slice(pkgName.split('/').length).join('/');
  const pkgJson = require.resolve(`${pkgName}/package.json`);
  return path.join(path.dirname(pkgJson), rest);
}

async function copyAssets() {
  await fs.mkdir(dist, { recursive: true });
  for (const [from, to] of ASSETS) {
    const source = packagePath(from);
    const target = path.join(dist, to);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.cp(source, target, { recursive: true });
  }
}

async function finishCli() {
  // src/cli.ts starts with a shebang that esbuild keeps; make sure of it and make the file executable.
  const file = path.join(dist, 'cli.js');
  const text = await fs.readFile(file, 'utf8');
  if (!text.startsWith('#!')) await fs.writeFile(file, `#!/usr/bin/env node\n${text}`);
  await fs.chmod(file, 0o755);
}

function report(results) {
  for (const r of results) {
    for (const [file, out] of Object.entries(r.metafile?.outputs ?? {})) {
      if (file.endsWith('.map')) continue;
      console.log(
        `${path.relative(root, path.join(root, file)).padEnd(24)} ${(out.bytes / 1024).toFixed(0).padStart(6)} KiB`,
      );
    }
  }
}

const started = performance.now();
if (watch) {
  await copyAssets();
  for (const b of builds) {
    const ctx = await esbuild.context({
      ...b,
      plugins: [
        {
          name: 'report',
          setup(build) {
            build.onEnd(async (result) => {
              if (result.errors.length === 0 && b.entryPoints.cli) await finishCli();
              console.log(`[watch] ${Object.keys(b.entryPoints)[0]} built (${result.errors.length} errors)`);
            });
          },
        },
      ],
    });
    await ctx.watch();
  }
  console.log('[watch] watching src/ …');
} else {
  await fs.rm(dist, { recursive: true, force: true });
  const results = await Promise.all(builds.map((b) => esbuild.build(b)));
  await finishCli();
  await copyAssets();
  report(results);
  console.log(`built in ${(performance.now() - started).toFixed(0)} ms${production ? ' (production)' : ''}`);
}
