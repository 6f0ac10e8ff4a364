/**
 * esbuild plugin (scripts/build.mjs: the CLI and the verifier's worker): `pg` is loaded on first
 * use. Loading it (with `net`, `tls`, `crypto`, and Node's `undici` for the `typeof Response` of
 * its Cloudflare check, pg/lib/stream.js) took ~50 ms of each `prisma-rollback` start and ~80 ms
 * of the worker's (issue 14), also for commands and verifications that never open a connection
 * (the embedded verifier). `import pg from 'pg'` then gets an object with a getter for each of
 * pg's exports (listed at build time from the installed pg) that requires pg the first time one
 * is read; named imports work too (esbuild's interop copies the getters), and so does pg-pool's
 * own `require('pg')`. Checked by test/integration/lazy-pg.test.ts.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

/** @type {import('esbuild').Plugin} */
export const lazyPg = {
  name: 'lazy-pg',
  setup(build) {
    const dir = build.initialOptions.absWorkingDir ?? process.cwd();
    const exports = Object.keys(createRequire(path.join(dir, 'package.json'))('pg'));
    build.onResolve({ filter: /^pg$/ }, (a) =>
      a.pluginData === 'lazy-pg' || a.kind === 'require-resolve'
        ? undefined
        : { path: 'pg', namespace: 'lazy-pg' },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-pg' }, () => ({
      contents: `let pg;
const load = () => (pg ??= require('pg'));
for (const key of ${JSON.stringify(exports)})
  Object.defineProperty(exports, key, { enumerable: true, get: () => load()[key] });`,
      loader: 'js',
      resolveDir: dir,
      pluginData: 'lazy-pg',
    }));
  },
};
