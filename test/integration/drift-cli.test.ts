/**
 * `drift`, `resolve` with its schema check and `down --partial` through the CLI on a real
 * PostgreSQL 15: a failed migration that left nothing (resolve marks it), one that left half of
 * itself (its own BEGIN/COMMIT): resolve refuses, the partial script brings the schema back to the
 * replay of the migrations before it, resolve then marks it and Prisma's engine no longer reports it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_FILTERS, toMigrationList } from '../../src/core/engine';
import { readMigrationsFolder } from '../../src/core/migrations';
import { deployMigrations } from '../../src/core/runbook/resolve';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { runCliLines } from '../support/cli';
import { withEngine } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { type TempProject, tempProject } from '../support/project';

const INIT = 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n';
const BIO = 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n';
/** Fails on its second statement; nothing stays (one implicit transaction). */
const WHOLE = 'ALTER TABLE "User" ADD COLUMN "age" INTEGER;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n';
/** Its first block commits before the second fails: the column and the index stay. */
const HALF =
  'BEGIN;\nALTER TABLE "User" ADD COLUMN "age" INTEGER;\nCREATE INDEX "User_age_idx" ON "User"("age");\nCOMMIT;\n' +
  'BEGIN;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\nCOMMIT;\n';

describe('drift, resolve and down --partial (CLI, PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: TempProject;
  let env: NodeJS.ProcessEnv;

  async function cli(...argv: string[]) {
    const r = await runCliLines(argv, mig.root, env);
    expect(`${r.out}\n${r.err}`).not.toContain(decodeURIComponent(new URL(db.url).password));
    return r;
  }

  beforeAll(async () => {
    mig = await tempProject({
      schema:
        'datasource db {\n  provider = "postgresql"\n}\n\nmodel User {\n  id Int @id @default(autoincrement())\n}\n',
      settings: { 'prismaRollback.environments': [{ name: 'staging', urlEnv: 'STAGING_DATABASE_URL' }] },
      migrations: { '20240101000000_init': INIT, '20240102000000_bio': BIO },
    });
  });
  beforeEach(async () => {
    db = await createTestDatabase('driftcli');
    env = { PATH: process.env.PATH, STAGING_DATABASE_URL: db.url };
    await mig.remove('20240103000000_age');
  });
  afterAll(async () => {
    await disposeEmbeddedVerifier();
    await db?.drop();
    await mig.cleanup();
  });

  async function deployFailing(sql: string) {
    await mig.add('20240103000000_age', sql);
    await expect(
      deployMigrations({ url: db.url, environment: 'staging', migrationsDir: mig.dir }),
    ).rejects.toThrow(/20240103000000_age/);
  }
  const failedRows = async () =>
    (
      await query<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE migration_name = '20240103000000_age' AND finished_at IS NULL AND rolled_back_at IS NULL`,
      )
    )[0].n;

  it('drift saves its replayed state in the replay cache before the command returns (the next verify or drift loads it)', async () => {
    await deployMigrations({ url: db.url, environment: 'staging', migrationsDir: mig.dir });
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'drift-cli-cache-'));
    try {
      const r = await cli('drift', '--env', 'staging', '--cache-dir', cacheDir);
      expect(r.code).toBe(0);
      // Saved after the result by the verifier's worker: the CLI waits for it before it returns
      // (a process that exits at once stopped the worker before the save, every time).
      expect((await fs.readdir(cacheDir)).filter((f) => f.endsWith('.pgdata'))).toHaveLength(1);
    } finally {
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('drift --json: none after deploy (exit 0), then the added column (exit 1)', async () => {
    await deployMigrations({ url: db.url, environment: 'staging', migrationsDir: mig.dir });
    const none = await cli('drift', '--env', 'staging', '--json');
    expect(none.code).toBe(0);
    expect(JSON.parse(none.out)).toEqual({
      environment: 'staging',
      lastApplied: '20240102000000_bio',
      drift: false,
      differences: [],
    });
    await query(db.url, 'ALTER TABLE "User" ADD COLUMN "nickname" TEXT');
    const drifted = await cli('drift', '--env', 'staging', '--json');
    expect(drifted.code).toBe(1);
    expect(JSON.parse(drifted.out)).toEqual({
      environment: 'staging',
      lastApplied: '20240102000000_bio',
      drift: true,
      differences: [
        {
          object: 'column "User"."nickname"',
          message: 'column "User"."nickname" exists on staging but no applied migration creates it',
        },
      ],
    });
    const text = await cli('drift', '--env', 'staging');
    expect(text.out).toBe(
      '✗ staging has drifted from its 2 applied migrations (last: 20240102000000_bio): 1 difference.\n' +
        '  column "User"."nickname" exists on staging but no applied migration creates it',
    );
    await db.drop();
  });

  it('a failed migration that left nothing: resolve --rolled-back marks it', async () => {
    await deployMigrations({ url: db.url, environment: 'staging', migrationsDir: mig.dir });
    await deployFailing(WHOLE);
    expect(await failedRows()).toBe(1);
    const partial = await cli('down', '20240103000000_age', '--partial', '--env', 'staging', '--stdout');
    expect(partial.code).toBe(1);
    expect(partial.err).toContain('20240103000000_age left nothing applied on staging');
    const r = await cli('resolve', '--rolled-back', '20240103000000_age', '--env', 'staging');
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      'The schema of staging is the replay of its applied migrations without 20240103000000_age.',
    );
    expect(await failedRows()).toBe(0);
    await db.drop();
  });

  it('a failed migration left half-applied: resolve refuses, the partial script undoes it, resolve then marks it', async () => {
    await deployMigrations({ url: db.url, environment: 'staging', migrationsDir: mig.dir });
    await deployFailing(HALF);

    const refused = await cli('resolve', '--rolled-back', '20240103000000_age', '--env', 'staging');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(
      'Refused: resolve --rolled-back 20240103000000_age — the schema of staging is not the replay of its applied migrations without 20240103000000_age: ' +
        'column "User"."age" exists on staging but no applied migration creates it; index "User_age_idx" exists on staging but no applied migration creates it.',
    );
    expect(refused.err).toContain('prisma-rollback down 20240103000000_age --partial --env staging --stdout');
    expect(await failedRows()).toBe(1);

    // --applied is refused too: the migration is not there whole (its replay fails in the embedded PostgreSQL)
    const applied = await cli('resolve', '--applied', '20240103000000_age', '--env', 'staging');
    expect(applied.code).toBe(2);
    expect(applied.err).toContain('--skip-drift-check');
    expect(await failedRows()).toBe(1);

    const partial = await cli('down', '20240103000000_age', '--partial', '--env', 'staging', '--stdout');
    expect(partial.code).toBe(0);
    const body = partial.out
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('--'))
      .join('\n');
    expect(body).toBe('DROP INDEX "public"."User_age_idx";\nALTER TABLE "public"."User" DROP COLUMN "age";');
    expect(partial.out).toContain(
      '--   column "User"."age" exists on staging but no applied migration creates it',
    );
    await query(db.url, partial.out);

    const none = await cli('drift', '--env', 'staging', '--json');
    expect(JSON.parse(none.out)).toMatchObject({ drift: false, lastApplied: '20240102000000_bio' });
    const r = await cli('resolve', '--rolled-back', '20240103000000_age', '--env', 'staging');
    expect(r.code).toBe(0);
    expect(await failedRows()).toBe(0);
    // Prisma's engine no longer reports it failed: it is pending again
    const diag = await withEngine(db.url, async (e) => {
      return e.diagnoseMigrationHistory({
        migrationsList: toMigrationList(await readMigrationsFolder(mig.dir)),
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      });
    });
    expect(diag.failedMigrationNames).toEqual([]);
    expect(diag.history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: ['20240103000000_age'],
    });
    await db.drop();
  }, 180_000);
});
