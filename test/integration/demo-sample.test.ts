/**
 * The demo / e2e sample project: Prisma's real engine must see exactly the states the
 * journeys rely on (edited, failed with logs, pending; fewer applied on production).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSampleWorkspace,
  EDITED_SQL,
  prepareSampleDatabases,
  SAMPLE,
  SAMPLE_MIGRATIONS,
  type SampleWorkspace,
} from '../../scripts/demo/sample';
import { NO_FILTERS, openSchemaEngine, toMigrationList } from '../../src/core/engine';
import { pgAdapterFactory } from '../../src/core/engine/pg-adapter';
import { readMigrationsFolder } from '../../src/core/migrations';
import { compareSnapshots } from '../../src/core/verify/snapshot';
import { schemaSnapshot, scratchWithMigrations } from '../e2e/support/db';
import { adminUrl, createTestDatabase, query, type TestDatabase } from '../support/pg';

async function diagnose(ws: SampleWorkspace, url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const engine = await openSchemaEngine(pgAdapterFactory(pool));
    try {
      const migrationsList = toMigrationList(await readMigrationsFolder(ws.migrationsDir));
      return await engine.diagnoseMigrationHistory({
        migrationsList,
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      });
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}

describe('demo sample project', () => {
  let local: TestDatabase;
  let production: TestDatabase;
  let dir: string;
  let ws: SampleWorkspace;
  let prepared: Awaited<ReturnType<typeof prepareSampleDatabases>>;

  beforeAll(async () => {
    local = await createTestDatabase('sample_local');
    production = await createTestDatabase('sample_prod');
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pr-sample-'));
    ws = await createSampleWorkspace(dir, { localUrl: local.url, productionUrl: production.url });
    prepared = await prepareSampleDatabases(ws, { local: local.url, production: production.url });
  });

  afterAll(async () => {
    await local?.drop();
    await production?.drop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes a Prisma 6 project whose URLs live only in prisma/.env', async () => {
    const names = (await fs.readdir(ws.migrationsDir)).filter((n) => n !== 'migration_lock.toml').sort();
    expect(names).toEqual(SAMPLE_MIGRATIONS.map((m) => m.name));
    for (const n of names) expect(await fs.readdir(ws.migrationDir(n))).toEqual(['migration.sql']);
    const settings = await fs.readFile(ws.settingsPath, 'utf8');
    expect(settings).not.toContain('postgresql://');
    expect(JSON.parse(settings)['prismaRollback.environments'][1]).toEqual({
      name: 'production',
      urlEnv: 'PRODUCTION_DATABASE_URL',
      protected: true,
    });
    expect(await fs.readFile(ws.envPath, 'utf8')).toContain(`PRODUCTION_DATABASE_URL="${production.url}"`);
    expect(
      JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')).devDependencies.prisma,
    ).toMatch(/^6\./);
    expect(await fs.readFile(ws.schemaPath, 'utf8')).toContain('url      = env("DATABASE_URL")');
  });

  it('local: six applied, one edited, one failed with the engine logs, one pending', async () => {
    expect(prepared.local.applied).toEqual(
      SAMPLE_MIGRATIONS.slice(0, SAMPLE.localApplied).map((m) => m.name),
    );
    const d = await diagnose(ws, local.url);
    expect(d.editedMigrationNames).toEqual([SAMPLE.edited]);
    expect(d.failedMigrationNames).toEqual([SAMPLE.failed]);
    expect(d.history).toEqual({ diagnostic: 'databaseIsBehind', unappliedMigrationNames: [SAMPLE.pending] });
    const rows = await query<{ migration_name: string; finished_at: Date | null; logs: string | null }>(
      local.url,
      'SELECT migration_name, finished_at, logs FROM _prisma_migrations ORDER BY started_at',
    );
    expect(rows).toHaveLength(7);
    const failed = rows.find((r) => r.migration_name === SAMPLE.failed);
    expect(failed?.finished_at).toBeNull();
    expect(failed?.logs).toMatch(/Unique constraint failed: \(domain\)[\s\S]*apply_migration/);
    expect(prepared.local.failureMessage).toMatch(/Unique constraint failed: \(domain\)/);
    expect(await fs.readFile(path.join(ws.migrationDir(SAMPLE.edited), 'migration.sql'), 'utf8')).toBe(
      EDITED_SQL,
    );
  });

  it('production: four applied, the rest pending, with data', async () => {
    expect(prepared.production.applied).toEqual(
      SAMPLE_MIGRATIONS.slice(0, SAMPLE.productionApplied).map((m) => m.name),
    );
    const d = await diagnose(ws, production.url);
    expect(d.editedMigrationNames).toEqual([]);
    expect(d.failedMigrationNames).toEqual([]);
    expect(d.history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: SAMPLE_MIGRATIONS.slice(SAMPLE.productionApplied).map((m) => m.name),
    });
    const [{ n }] = await query<{ n: string }>(production.url, 'SELECT count(*) AS n FROM "WidgetInstall"');
    expect(Number(n)).toBe(3);
  });

  it('schema snapshots (used by the e2e journeys) tell states apart and match equal states', async () => {
    const three = await scratchWithMigrations(adminUrl(), ws, 3);
    const four = await scratchWithMigrations(adminUrl(), ws, SAMPLE.productionApplied);
    try {
      const before = await schemaSnapshot(three.url);
      const after = await schemaSnapshot(four.url);
      expect(Object.keys(after.tables).filter((t) => !(t in before.tables))).toEqual([
        '"Tag"',
        '"_PostToTag"',
      ]);
      expect(before.enums).toEqual({
        '"Role"': ['USER', 'ADMIN'],
        '"WidgetPlan"': ['FREE', 'PRO', 'ENTERPRISE'],
      });
      expect(before.indexes['"User_email_key"']?.definition).toBe(
        'CREATE UNIQUE INDEX "User_email_key" ON public."User" USING btree (email)',
      );
      expect(compareSnapshots(after, await schemaSnapshot(production.url))).toEqual([]);
      expect(compareSnapshots(before, after)).toContain('table "Tag" is extra');
    } finally {
      await three.drop();
      await four.drop();
    }
  });
});
