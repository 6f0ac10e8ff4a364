#!/usr/bin/env node
/**
 * Bundles the extension and the CLI with esbuild and copies the runtime assets (WebAssembly…)
 * next to the bundles, so the .vsix needs no node_modules.
 *
 *   node scripts/build.mjs               development build (source maps, not minified)
 *   node scripts/build.mjs --production  minified, with source maps
 *   node scripts/build.mjs --watch       rebuild on change
 */
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { lazyPg } from './lib/lazy-pg.mjs';

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
export const ASSETS = [
  // Prisma's schema engine (src/core/engine): `migrate status/deploy/diff`.
  ['@prisma/schema-engine-wasm/schema_engine_bg.wasm', 'schema_engine_bg.wasm'],
  // Prisma's schema parser, read by @prisma/internals from `${__dirname}/prisma_schema_build_bg.wasm`.
  ['@prisma/prisma-schema-wasm/src/prisma_schema_build_bg.wasm', 'prisma_schema_build_bg.wasm'],
  // The PostgreSQL parser (src/core/sql), looked for beside the script that loads it.
  ['libpg-query/wasm/libpg-query.wasm', 'libpg-query.wasm'],
  // PGlite, the embedded PostgreSQL of the verifier (src/core/verify/embedded.ts reads dist/pglite/).
  ['@electric-sql/pglite/dist/pglite.wasm', 'pglite/pglite.wasm'],
  ['@electric-sql/pglite/dist/initdb.wasm', 'pglite/initdb.wasm'],
  ['@electric-sql/pglite/dist/pglite.data', 'pglite/pglite.data'],
  // Its contrib extensions (pgcrypto, uuid-ossp, citext…), one tarball each.
  ...pgliteExtensionTarballs(),
];

/** `[from, to]` of every extension tarball in PGlite's dist (loaded when a history creates that extension). */
function pgliteExtensionTarballs() {
  const dir = path.join(root, 'node_modules', '@electric-sql', 'pglite', 'dist');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.tar.gz'))
    .map((f) => [`@electric-sql/pglite/dist/${f}`, `pglite/${f}`]);
}

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
  // src/core resolves some packages at run time and falls back when they are not there (the .vsix has no node_modules).
  logOverride: { 'require-resolve-not-external': 'silent' },
  metafile: true,
  absWorkingDir: root,
  // `import()` becomes `require()`: lazy modules stay lazy, and nothing goes through the ESM loader.
  supported: { 'dynamic-import': false },
  // Some dependencies ship ESM that reads import.meta.url; give it a CJS equivalent.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

/**
 * The extension's entry stays small: src/vscode/core.ts imports './core-api' lazily, and that
 * import is left as `require('./core-api.js')`, a bundle of its own loaded on the first refresh.
 */
const coreApiExternal = {
  name: 'core-api-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/core-api$/ }, (a) =>
      a.importer.endsWith(path.join('src', 'vscode', 'core.ts'))
        ? { path: './core-api.js', external: true }
        : undefined,
    );
  },
};

/**
 * src/core/db imports `pg` at the top; the extension's entry only uses its pure helpers
 * (maskUrl…). Declaring `pg` free of side effects lets esbuild drop it from dist/extension.js
 * (it is bundled in dist/core-api.js, where pools are made): ~85 KiB less to parse at activation.
 */
const pgWithoutSideEffects = {
  name: 'pg-without-side-effects',
  setup(build) {
    build.onResolve({ filter: /^pg$/ }, async (a) => {
      if (a.pluginData === 'pg-resolved') return undefined;
      const r = await build.resolve(a.path, {
        kind: a.kind,
        resolveDir: a.resolveDir,
        importer: a.importer,
        pluginData: 'pg-resolved',
      });
      return r.errors.length ? undefined : { path: r.path, sideEffects: false };
    });
  },
};

/**
 * PGlite's Emscripten glue does `let { createRequire } = await import("node:module"); var require = …`
 * inside a function. With `import()` turned into `require()` (see `supported` above) that call
 * would read the function's own, still undefined, hoisted `var require`. Node's
 * `process.getBuiltinModule` (Node ≥ 20.16) gives the same module without naming `require`.
 */
const pgliteNodeModule = {
  name: 'pglite-node-module',
  setup(build) {
    build.onLoad({ filter: /[\\/]@electric-sql[\\/]pglite[\\/]dist[\\/].*\.c?js$/ }, async (a) => {
      const text = await fs.readFile(a.path, 'utf8');
      if (!text.includes('import("node:module")')) return undefined;
      return {
        contents: text.replaceAll(
          'import("node:module")',
          'Promise.resolve(process.getBuiltinModule("node:module"))',
        ),
        loader: 'js',
        resolveDir: path.dirname(a.path),
      };
    });
  },
};

/**
 * Heavy packages the CLI and core-api only import lazily (`await import(…)`) get a bundle of their
 * own, so the entry bundle does not carry them: V8 compiles every byte of a script it loads, and
 * @prisma/internals alone (with the TypeScript compiler it pulls in) is ~12 MB, ~0.5 s of start-up
 * for every `prisma-rollback down`. [specifier, dist file, export of that file]; the import becomes
 * `require('./<file>')[export]`, loaded on first use. One file per package family so that
 * `@electric-sql/pglite` and its `node-postgres` bridge share one copy of PGlite.
 */
export const VENDOR = [
  ['@prisma/internals', 'vendor-prisma-internals.js', 'internals'],
  ['@electric-sql/pglite', 'vendor-pglite.js', 'pglite'],
  ['@electric-sql/pglite/node-postgres', 'vendor-pglite.js', 'nodePostgres'],
];
const vendorEntries = {
  'vendor-prisma-internals': { internals: '@prisma/internals' },
  'vendor-pglite': { pglite: '@electric-sql/pglite', nodePostgres: '@electric-sql/pglite/node-postgres' },
};
const lazyVendor = {
  name: 'lazy-vendor',
  setup(build) {
    const bySpec = new Map(VENDOR.map(([spec, file, name]) => [spec, { file, name }]));
    build.onResolve({ filter: /^(@prisma\/internals|@electric-sql\/pglite(\/node-postgres)?)$/ }, (a) =>
      bySpec.has(a.path) && a.kind !== 'require-resolve'
        ? { path: a.path, namespace: 'lazy-vendor' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-vendor' }, (a) => {
      const { file, name } = bySpec.get(a.path);
      return { contents: `module.exports = require('./${file}').${name};`, loader: 'js' };
    });
    build.onResolve({ filter: /^\.\/vendor-[a-z-]+\.js$/ }, (a) => ({ path: a.path, external: true }));
  },
};
/** The vendor bundles themselves: `module.exports = { <export>: require(<package>) }`. */
const vendorBuilds = Object.entries(vendorEntries).map(([out, exports]) => ({
  ...common,
  stdin: {
    contents: Object.entries(exports)
      .map(([name, spec]) => `exports.${name} = require(${JSON.stringify(spec)});`)
      .join('\n'),
    resolveDir: root,
    loader: 'js',
  },
  outfile: path.join(dist, `${out}.js`),
  plugins: [pgliteNodeModule],
}));

const builds = [
  {
    ...common,
    entryPoints: { extension: 'src/extension.ts' },
    outdir: dist,
    plugins: [coreApiExternal, pgWithoutSideEffects],
  },
  {
    ...common,
    entryPoints: { 'core-api': 'src/vscode/core-api.ts' },
    outdir: dist,
    plugins: [lazyVendor, pgliteNodeModule],
  },
  {
    ...common,
    entryPoints: { cli: 'src/cli.ts' },
    outdir: dist,
    plugins: [lazyVendor, pgliteNodeModule, lazyPg],
  },
  // The verifier's worker thread (src/core/verify/worker-client.ts looks for it beside the bundle
  // that starts it: dist/cli.js, dist/core-api.js); it owns PGlite, so it gets its assets' plugin.
  {
    ...common,
    entryPoints: { 'verify-worker': 'src/core/verify/worker.ts' },
    outdir: dist,
    plugins: [pgliteNodeModule, lazyPg],
  },
  ...vendorBuilds,
];

/** Absolute path of `<package>/<file>` in node_modules (by directory, so `exports` maps do not hide it). */
function packagePath(spec) {
  const direct = path.join(root, 'node_modules', spec);
  if (existsSync(direct)) return direct;
  return require.resolve(spec);
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

/**
 * PGlite's data directory right after `initdb`, dumped as PGlite's gzipped tar, shipped as
 * `dist/pglite/initial-pgdata.tar.gz` (src/core/verify/embedded.ts `INITIAL_PGDATA`): the verifier
 * starts from it instead of running initdb, which runs a second PGlite instance beside the
 * initdb module and peaks at ~650 MB of resident memory (issue 14: ≤ 300 MB). Made once per
 * PGlite version and initdb arguments in `.cache/pglite-initial/` (initdb is deterministic: same WebAssembly, C locale,
 * user and database `postgres`) and copied.
 *
 * Slimmed before the dump (issue 14: PGlite holds the tar, each file cut from it and its in-memory
 * copy of the directory while it loads; 30.9 MB of tar → 17.0 MB): `template0` is dropped (a
 * database PostgreSQL keeps only as a pristine source for `CREATE DATABASE … TEMPLATE template0`;
 * PGlite connects to `postgres`, `CREATE DATABASE` copies `template1`, and the verifier's snapshot
 * reads the current database only), and after a `CHECKPOINT` with `wal_recycle = off` the WAL
 * segments after the current one are removed (initdb left six 1 MB segments recycled ahead of the
 * insert position; PostgreSQL creates a segment that is missing when it gets there, PostgreSQL docs
 * "WAL Configuration"). Measured on `verify` of a 10 MB migration of INSERTs, resident memory once
 * PGlite has started: 294–302 → 252–257 MB (n=3 each, interleaved); PGlite alone in a bare
 * Node process, ready: 217–227 → 166–189 MB (n=2 each).
 */
async function initialPgdata() {
  const pkg = JSON.parse(await fs.readFile(packagePath('@electric-sql/pglite/package.json'), 'utf8'));
  // The same list as INITDB_PARAMS in src/core/verify/embedded.ts (1 MB WAL segments: less
  // resident memory for a data directory kept in memory; issue 14).
  const initDbStartParams = ['--wal-segsize=1'];
  const cached = path.join(
    root,
    '.cache',
    'pglite-initial',
    `${pkg.version}-${initDbStartParams.join('_').replace(/[^A-Za-z0-9_=-]/g, '')}-slim.tar.gz`,
  );
  if (!existsSync(cached)) {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite({ initDbStartParams, postgresqlconf: ['wal_recycle = off'] });
    await db.waitReady;
    await db.exec('ALTER DATABASE template0 IS_TEMPLATE false');
    await db.exec('DROP DATABASE template0');
    await db.exec('CHECKPOINT');
    const { current } = (await db.query('SELECT pg_walfile_name(pg_current_wal_lsn()) AS current')).rows[0];
    const wal = '/pglite/data/pg_wal'; // PGlite's PGDATA
    for (const f of db.Module.FS.readdir(wal))
      if (/^[0-9A-F]{24}$/.test(f) && f > current) db.Module.FS.unlink(`${wal}/${f}`);
    const dump = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
    await db.close();
    await fs.mkdir(path.dirname(cached), { recursive: true });
    await fs.writeFile(`${cached}.${process.pid}.tmp`, dump);
    await fs.rename(`${cached}.${process.pid}.tmp`, cached);
  }
  await fs.mkdir(path.join(dist, 'pglite'), { recursive: true });
  await fs.copyFile(cached, path.join(dist, 'pglite', 'initial-pgdata.tar.gz'));
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
  await initialPgdata();
  await (await import('../webview/build.mjs')).buildWebview({ production });
  for (const b of builds) {
    const ctx = await esbuild.context({
      ...b,
      plugins: [
        ...(b.plugins ?? []),
        {
          name: 'report',
          setup(build) {
            build.onEnd(async (result) => {
              if (result.errors.length === 0 && b.entryPoints?.cli) await finishCli();
              console.log(
                `[watch] ${Object.keys(b.entryPoints ?? { vendor: 1 })[0]} built (${result.errors.length} errors)`,
              );
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
  await initialPgdata();
  // The checklist webview (browser bundle + @vscode-elements/elements + codicons) → dist/webview/.
  await (await import('../webview/build.mjs')).buildWebview({ production });
  report(results);
  console.log(`built in ${(performance.now() - started).toFixed(0)} ms${production ? ' (production)' : ''}`);
}
