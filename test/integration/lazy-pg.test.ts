/**
 * scripts/lib/lazy-pg.mjs (the CLI's and the verifier worker's bundles): `pg` is not loaded by
 * loading the bundle, and loads on first use for every way the code reaches it: the default
 * import, a named import, pg-pool's own `require('pg')`. Checked on a bundle made with the plugin,
 * run in a new Node process against the run's real PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { lazyPg } from '../../scripts/lib/lazy-pg.mjs';
import { adminUrl } from '../support/pg';

const ENTRY = `
import pg from 'pg';
import { Client } from 'pg';
// Loading pg loads Node's undici (pg/lib/stream.js: \`typeof Response\`) and tls: seen in the module list.
const loaded = () => ['NativeModule internal/deps/undici/undici', 'NativeModule tls'].map((m) => process.moduleLoadList.includes(m)).join();
const out = { loadedAtStart: loaded() };
async function main() {
const url = process.env.URL;
const c = new Client({ connectionString: url });
await c.connect();
out.named = (await c.query('SELECT 1 + 1 AS n')).rows[0].n;
await c.end();
out.loadedAfterUse = loaded();
const pool = new pg.Pool({ connectionString: url, max: 1 });
out.pool = (await pool.query('SELECT 2 + 2 AS n')).rows[0].n;
await pool.end();
out.escape = pg.escapeIdentifier('a"b');
out.databaseError = typeof pg.DatabaseError;
console.log(JSON.stringify(out));
}
main();
`;

describe('pg loaded on first use in the bundles (lazy-pg)', () => {
  it('is not loaded with the bundle, and works by default import, named import and pool', async () => {
    const dir = path.resolve('.cache', 'test', 'lazy-pg');
    await fs.mkdir(dir, { recursive: true });
    const outfile = path.join(dir, 'entry.cjs');
    // Bundled like dist/cli.js: pg and its dependencies inside the bundle, CommonJS.
    await build({
      stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js' },
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['pg-native'],
      absWorkingDir: process.cwd(),
      plugins: [lazyPg],
      logLevel: 'warning',
    });
    const bundle = await fs.readFile(outfile, 'utf8');
    expect(bundle).toContain('lazy-pg:pg');
    const stdout = execFileSync(process.execPath, [outfile], { env: { ...process.env, URL: adminUrl() } });
    expect(JSON.parse(stdout.toString())).toEqual({
      loadedAtStart: 'false,false',
      named: 2,
      loadedAfterUse: 'true,true',
      pool: 4,
      escape: '"a""b"',
      databaseError: 'function',
    });
  }, 60_000);
});
