/**
 * `apply-down --to` and `--dry-run` on a real PostgreSQL 15 with Prisma's real schema engine:
 * rallly's real history (../shared/corpus, read only) deployed, then its last 10 migrations rolled
 * back with generated rollbacks (the chain proven first with the verifier) — Prisma's engine reads
 * exactly those 10 as not applied and the live schema equals a fresh replay of 1..target; dry runs
 * change nothing, also when they fail.
 */
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FILTERS, toMigrationList } from '../../src/core/engine';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { applyDownTo } from '../../src/core/runbook/apply-down-to';
import { RunbookError } from '../../src/core/runbook/errors';
import { deployMigrations } from '../../src/core/runbook/resolve';
import {
  compareSnapshots,
  disposeEmbeddedVerifier,
  type SchemaSnapshot,
  snapshotSchema,
} from '../../src/core/verify';
import { verifyRollbackChain } from '../../src/core/verify/chain';
import { withEngine } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const CORPUS =
  process.env.ROLLBACK_CORPUS_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
const DIR = path.join(CORPUS, 'rallly');

async function snapshot(url: string): Promise<SchemaSnapshot> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await snapshotSchema((q) => c.query(q));
  } finally {
    await c.end();
  }
}
const rows = (url: string) =>
  query(
    url,
    'SELECT id, migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY started_at, id',
  );

async function rejection(p: Promise<unknown>): Promise<RunbookError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RunbookError) return e;
    throw e;
  }
  throw new Error('expected a RunbookError, the promise resolved');
}

describe('roll back to a target on a real history (rallly)', () => {
  let db: TestDatabase;
  let names: string[];
  let target: string;
  let range: string[];

  beforeAll(async () => {
    const folder = await readMigrationsFolder(DIR);
    names = folder.migrations.map((m) => m.name);
    // the last 11 migrations have generated rollbacks that are all transactional and reversible
    target = names[names.length - 11];
    range = names.slice(-10).reverse();
    db = await createTestDatabase('rollto');
    const d = await deployMigrations({ url: db.url, environment: 'local', migrationsDir: DIR });
    expect(d.applied).toHaveLength(names.length);
  }, 240_000);
  afterAll(async () => {
    await db?.drop();
    await disposeEmbeddedVerifier();
  });

  it('the generated rollbacks of the 10 are transactional and the chain is verified', async () => {
    const folder = await readMigrationsFolder(DIR);
    const migrations = folder.migrations.map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath }));
    const to = names.indexOf(target);
    const rollbacks = [];
    for (let i = to + 1; i < migrations.length; i++) {
      const r = await generateRollback(migrations, i);
      expect([r.transactional, r.irreversible.length]).toEqual([true, 0]);
      rollbacks.push({ name: `${migrations[i].name}/down.sql`, sql: r.sql });
    }
    const ok = await verifyRollbackChain({ migrations, to, rollbacks, noCache: true });
    expect(ok.kind).toBe('verified');
    // a broken link (one rollback forgets its step) is caught, named in the differences
    const broken = rollbacks.map((r, i) => (i === rollbacks.length - 1 ? { ...r, sql: 'SELECT 1;' } : r));
    const bad = await verifyRollbackChain({ migrations, to, rollbacks: broken, noCache: true });
    expect(bad.kind).toBe('differences');
  }, 240_000);

  it('a dry run rolls everything back and changes nothing; a failing one names file:line and changes nothing', async () => {
    const schemaBefore = await snapshot(db.url);
    const rowsBefore = await rows(db.url);
    const lines: string[] = [];
    const dry = await applyDownTo({
      url: db.url,
      environment: 'local',
      migrationsDir: DIR,
      to: target,
      generate: true,
      dryRun: true,
      log: (l) => lines.push(l),
    });
    expect(dry).toMatchObject({ dryRun: true, transactions: 'one' });
    expect(dry.steps.map((s) => s.migration)).toEqual(range);
    expect(lines.join('\n')).toContain('ROLLBACK  -- dry run');
    expect(compareSnapshots(schemaBefore, await snapshot(db.url))).toEqual([]);
    expect(await rows(db.url)).toEqual(rowsBefore);

    // A view on a column the oldest rollback of the range drops makes the dry run fail there.
    const folder = await readMigrationsFolder(DIR);
    const oldest = folder.migrations.findIndex((m) => m.name === range[range.length - 1]);
    const down = await generateRollback(
      folder.migrations.map((m) => ({ name: m.name, sql: m.sql! })),
      oldest,
    );
    const drop = /ALTER TABLE "([^"]+)" DROP COLUMN "([^"]+)"/.exec(down.sql);
    expect(drop).not.toBeNull();
    await query(db.url, `CREATE VIEW "rollto_probe" AS SELECT "${drop![2]}" FROM "${drop![1]}"`);
    const withView = await snapshot(db.url);
    const rowsWithView = await rows(db.url);
    const e = await rejection(
      applyDownTo({
        url: db.url,
        environment: 'local',
        migrationsDir: DIR,
        to: target,
        generate: true,
        dryRun: true,
      }),
    );
    expect(e.code).toBe('statementFailed');
    const downLine = down.sql.slice(0, drop!.index).split('\n').length;
    expect(e.where).toMatchObject({ line: downLine });
    expect(e.message).toContain(`${range[range.length - 1]}/down.sql (generated):${downLine}:`);
    expect(e.message).toContain('because other objects depend on it (SQLSTATE 2BP01)');
    expect(e.message).toContain('Dry run: the transaction was rolled back; nothing was changed');
    expect(compareSnapshots(withView, await snapshot(db.url))).toEqual([]);
    expect(await rows(db.url)).toEqual(rowsWithView);
    // the real run fails the same way and leaves everything applied
    const real = await rejection(
      applyDownTo({ url: db.url, environment: 'local', migrationsDir: DIR, to: target, generate: true }),
    );
    expect(real.message).toContain('every migration after');
    expect(await rows(db.url)).toEqual(rowsWithView);
    await query(db.url, 'DROP VIEW "rollto_probe"');
  }, 240_000);

  it('rolls back the 10: Prisma reads exactly those unapplied, the schema equals a fresh replay of 1..target', async () => {
    const r = await applyDownTo({
      url: db.url,
      environment: 'local',
      migrationsDir: DIR,
      to: target,
      generate: true,
    });
    expect(r.steps.map((s) => s.migration)).toEqual(range);
    expect(r.steps.every((s) => s.source === 'generated')).toBe(true);
    const folder = await readMigrationsFolder(DIR);
    const diagnosis = await withEngine(db.url, (engine) =>
      engine.diagnoseMigrationHistory({
        migrationsList: toMigrationList(folder),
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      }),
    );
    expect(diagnosis.history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: range.slice().reverse(),
    });
    expect(diagnosis.failedMigrationNames).toEqual([]);

    // a fresh database with migrations 1..target replayed
    const fresh = await createTestDatabase('rollto_fresh');
    try {
      const c = new pg.Client({ connectionString: fresh.url });
      await c.connect();
      try {
        for (const m of folder.migrations.slice(0, names.indexOf(target) + 1)) await c.query(m.sql!);
      } finally {
        await c.end();
      }
      expect(compareSnapshots(await snapshot(fresh.url), await snapshot(db.url))).toEqual([]);
    } finally {
      await fresh.drop();
    }

    // nothing is applied after the target any more
    const again = await rejection(
      applyDownTo({ url: db.url, environment: 'local', migrationsDir: DIR, to: target, generate: true }),
    );
    expect(again.message).toBe(`Nothing to roll back: no migration is applied after ${target} in local.`);
  }, 240_000);
});
