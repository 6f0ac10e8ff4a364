/**
 * The checklist's Identify (dependent later migrations) and Impact (live read-only pre-check)
 * steps over the real parser and a real PostgreSQL 15, as the editor's default services run them;
 * its Verify step with the shadow server named by the setting (as the editor passes it).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependentsOf, impactOnTarget, verifyRollbackScript } from '../../src/core/runbook/services';
import { clearVerifyCache } from '../../src/core/verify';
import { deploy, tempMigrations } from '../support/engine';
import { adminPassword, adminUrl, createTestDatabase, query, type TestDatabase } from '../support/pg';

const INIT = '20240101000000_init';
const TAGS = '20240102000000_add_tags';
const USES = '20240103000000_post_tags';
const OTHER = '20240104000000_unrelated';
const OWN_ROLLBACK = '20240105000000_rollback_add_tags';

let mig: Awaited<ReturnType<typeof tempMigrations>>;
let db: TestDatabase;

beforeAll(async () => {
  mig = await tempMigrations();
  await mig.add(INIT, 'CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\n');
  await mig.add(
    TAGS,
    'CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\nALTER TABLE "Post" ADD COLUMN "slug" TEXT;\n',
  );
  await mig.add(
    USES,
    'CREATE TABLE "_PostToTag" ("A" INT NOT NULL REFERENCES "Post"("id"), "B" INT NOT NULL REFERENCES "Tag"("id"));\nCREATE UNIQUE INDEX "Post_slug_key" ON "Post"("slug");\n',
  );
  await mig.add(OTHER, 'CREATE TABLE "Audit" ("id" SERIAL PRIMARY KEY, "at" TIMESTAMPTZ);\n');
  db = await createTestDatabase('rbsvc');
  await deploy(db.url, mig.dir);
  // Method 2 rollback of TAGS (touches Tag, as it must): written after deploy, so it stays pending.
  await mig.add(OWN_ROLLBACK, 'DROP TABLE "Tag";\nALTER TABLE "Post" DROP COLUMN "slug";\n');
});

afterAll(async () => {
  await db?.drop();
  await mig?.cleanup();
});

describe('Identify: later migrations that depend on the one rolled back', () => {
  it('lists the later migrations that touch what it created, with reasons; not unrelated ones nor its own rollback migration', async () => {
    const deps = await dependentsOf(mig.dir, TAGS);
    expect(deps.map((d) => d.name)).toEqual([USES]);
    const reasons = deps[0].reasons.join('\n');
    expect(reasons).toMatch(/"Tag"/);
    expect(reasons).toMatch(/slug/);
    expect(reasons).toMatch(/^line \d+: /m);
    expect(await dependentsOf(mig.dir, OTHER)).toEqual([]);
  });

  it('says why it cannot answer instead of answering "none"', async () => {
    await expect(dependentsOf(mig.dir, '20990101000000_nope')).rejects.toThrow(
      /No folder "20990101000000_nope"/,
    );
    const broken = await tempMigrations();
    try {
      await broken.add(INIT, 'CREATE TABLE "A" (id INT;\n');
      await broken.add(TAGS, 'ALTER TABLE "A" ADD COLUMN "b" INT;\n');
      await expect(dependentsOf(broken.dir, INIT)).rejects.toThrow(/does not parse/);
    } finally {
      await broken.cleanup();
    }
  });
});

describe('Impact on the target: the live pre-check', () => {
  it('counts the rows the rollback would destroy there, read-only', async () => {
    await query(db.url, `INSERT INTO "Tag" ("name") SELECT 'tag ' || i FROM generate_series(1, 7) i`);
    await query(db.url, `INSERT INTO "Post" ("title", "slug") VALUES ('a', 'a'), ('b', NULL), ('c', 'c')`);
    await fs.writeFile(
      path.join(mig.dir, TAGS, 'down.sql'),
      'DROP TABLE "Tag";\nALTER TABLE "Post" DROP COLUMN "slug";\n',
    );
    const r = await impactOnTarget({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: TAGS,
    });
    expect(r).toMatchObject({ ok: true, result: 'destroys' });
    expect(r.summary).toMatch(/^local: down\.sql would delete 7 rows of "Tag"/);
    expect(r.lines).toEqual([
      'down.sql:1: drops table "Tag": 7 rows',
      'down.sql:2: drops column "Post"."slug": 2 non-null values',
    ]);
    // Read-only: everything is still there.
    expect(Number((await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM "Tag"'))[0].n)).toBe(7);
  });

  it('refuses (not done) when the migration is not applied there, or when there is no rollback yet', async () => {
    const pending = await impactOnTarget({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: OWN_ROLLBACK,
    });
    expect(pending).toMatchObject({ ok: false, result: 'noRollback' });
    expect(pending.summary).toMatch(/has no rollback script yet/);
    await fs.writeFile(path.join(mig.dir, OWN_ROLLBACK, 'down.sql'), 'SELECT 1;\n');
    const notApplied = await impactOnTarget({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      migration: OWN_ROLLBACK,
    });
    expect(notApplied).toMatchObject({ ok: false, result: 'refused' });
    expect(notApplied.summary).toMatch(/is not applied in this database/);
  });

  it('a connection failure is an error that names the environment without the password', async () => {
    const url = new URL(db.url);
    url.port = '1';
    const err = await impactOnTarget({
      url: url.toString(),
      environment: 'staging',
      migrationsDir: mig.dir,
      migration: TAGS,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^Cannot check staging/);
    expect(err?.message).not.toContain(adminPassword());
  });
});

describe('Verify: a history the embedded PostgreSQL cannot replay, on the shadow server the setting names', () => {
  let ext: Awaited<ReturnType<typeof tempMigrations>>;
  const PROFILE = '20240102000000_profile';

  beforeAll(async () => {
    ext = await tempMigrations();
    // dblink is not among the embedded PostgreSQL's extensions: only a real server replays this.
    await ext.add('20240101000000_dblink', 'CREATE EXTENSION IF NOT EXISTS "dblink";\n');
    await ext.add(PROFILE, 'CREATE TABLE "Profile" ("id" SERIAL PRIMARY KEY, "bio" TEXT);\n');
    await fs.writeFile(path.join(ext.dir, PROFILE, 'down.sql'), 'DROP TABLE "Profile";\n');
    await fs.writeFile(path.join(ext.root, '.env'), `SHADOW_DATABASE_URL=${adminUrl()}\n`);
  });

  afterAll(async () => {
    await ext?.cleanup();
  });

  it('resolves the documented form (the name of a variable) from the environment, then the project .env', async () => {
    const fromEnvFile = await verifyRollbackScript(ext.dir, PROFILE, {
      shadowSetting: 'SHADOW_DATABASE_URL',
      env: {},
      envFiles: [path.join(ext.root, '.env')],
    });
    expect(fromEnvFile.result).toBe('verified');
    expect(fromEnvFile.summary).toMatch(
      /^Verified against 2 migrations in [\d.]+ s \(shadow database server\)\.$/,
    );
    const fromEnv = await verifyRollbackScript(ext.dir, PROFILE, {
      shadowSetting: 'env:MY_SHADOW',
      env: { MY_SHADOW: adminUrl() },
    });
    expect(fromEnv.result).toBe('verified');
  });

  it('says what is wrong with the setting when the embedded PostgreSQL cannot verify, without a password', async () => {
    clearVerifyCache(); // the other test's verified result is remembered in memory
    const r = await verifyRollbackScript(ext.dir, PROFILE, {
      shadowSetting: 'UNSET_SHADOW',
      env: {},
    });
    expect(r.result).toBe('couldNotVerify');
    expect(r.summary).toContain('extension "dblink" is not available in the embedded PostgreSQL');
    expect(r.summary).toMatch(
      /\(prismaRollback\.shadowDatabaseUrl names the environment variable UNSET_SHADOW, which is not set .*\)$/,
    );
    expect(r.summary).not.toContain(adminPassword());
  });
});
