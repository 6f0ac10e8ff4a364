/**
 * `prisma-rollback status --json` on a real Prisma 6-style project (schema.prisma with
 * `url = env("DATABASE_URL")` and a .env), against a real PostgreSQL whose states Prisma's
 * engine built. For every state, the CLI must agree with the engine's own diagnosis.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_FILTERS, toMigrationList } from '../../src/core/engine';
import { readMigrationsFolder } from '../../src/core/migrations';
import { formatDateTime } from '../../src/core/status/time';
import { runCli } from '../support/cli';
import { deploy, markRolledBack, withEngine } from '../support/engine';
import { adminPassword, createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20250101000000_init';
const B = '20250102000000_posts';
const C = '20250103000000_tags';

describe('prisma-rollback status', () => {
  let db: TestDatabase;
  let mig: TempProject;

  beforeEach(async () => {
    db = await createTestDatabase('cli');
    mig = await tempProject({
      schema: SCHEMA_WITH_URL_ENV,
      packageJson: { name: 'app', devDependencies: { prisma: '6.19.0' } },
      // A CRLF .env (as written on Windows).
      dotenv: `DATABASE_URL="${db.url}"\r\n`,
      migrations: {
        [A]: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n',
        [B]: 'CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT);\n',
      },
    });
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  const diagnose = async () => {
    const folder = await readMigrationsFolder(mig.dir);
    return withEngine(db.url, (e) =>
      e.diagnoseMigrationHistory({
        migrationsList: toMigrationList(folder),
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      }),
    );
  };
  const states = (j: { migrations: { name: string; state: string }[] }) =>
    Object.fromEntries(j.migrations.map((m) => [m.name, m.state]));

  it('applied → exit 0, and the URL comes from the project .env (CRLF) without being printed', async () => {
    await deploy(db.url, mig.dir);
    const r = await runCli(['status', '--json', '--project', mig.root], mig.root);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = r.json();
    expect(j.environment).toBe('local');
    expect(j.diagnosis.kind).toBe('upToDate');
    expect(states(j)).toEqual({ [A]: 'applied', [B]: 'applied' });
    expect(j.migrations[0]).toMatchObject({ appliedSteps: 1, checksumMatches: true, logs: null });
    expect(j.migrations[0].finishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await diagnose()).history).toBeNull();
    const table = await runCli(['status', '--project', mig.root], mig.root);
    expect(table.out).toMatch(/applied\s+20250101000000_init/);
    expect(table.out).not.toContain(adminPassword());
    expect(table.out).toContain('***');
  });

  it('pending → exit 1, same names as the engine', async () => {
    await deploy(db.url, mig.dir);
    await mig.add(C, 'CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY);\n');
    const r = await runCli(['status', '--json'], mig.root);
    expect(r.code).toBe(1);
    expect(states(r.json())[C]).toBe('pending');
    expect((await diagnose()).history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: [C],
    });
  });

  it('failed → exit 1 with Prisma logs; rolledBack after resolve', async () => {
    await mig.add(C, 'ALTER TABLE "Missing" ADD COLUMN "x" INT;\n');
    await expect(deploy(db.url, mig.dir)).rejects.toBeTruthy();
    let r = await runCli(['status', '--json'], mig.root);
    expect(r.code).toBe(1);
    const failed = r.json().migrations.find((m: { name: string }) => m.name === C);
    expect(failed.state).toBe('failed');
    expect(failed.logs).toMatch(/Missing/);
    expect((await diagnose()).failedMigrationNames).toEqual([C]);
    // The verdict names the failed migration; it never reads "up to date" (Prisma's own history is null here).
    expect(r.json().diagnosis).toMatchObject({ kind: 'failedMigrations', failed: [C], edited: [] });
    expect(r.json().diagnosis.message).toMatch(new RegExp(`1 migration failed: ${C}`));
    expect(r.json().diagnosis.message).toMatch(/resolve --rolled-back/);
    const failedText = await runCli(['status'], mig.root);
    expect(failedText.out).not.toMatch(/up to date/i);
    expect(failedText.out).toContain(`1 migration failed: ${C}`);

    await markRolledBack(db.url, mig.dir, C);
    r = await runCli(['status', '--json'], mig.root);
    expect(states(r.json())[C]).toBe('rolledBack');
    const rolledBackAt = r.json().migrations.find((m: { name: string }) => m.name === C).rolledBackAt;
    expect(rolledBackAt).toMatch(/^\d{4}-/);
    // The table says it in words, with the time it was rolled back (not when it was started).
    const text = (await runCli(['status'], mig.root)).out;
    const at = formatDateTime(rolledBackAt as string);
    expect(text).toContain(`rolled back         ${C}  (rolled back ${at})`);
    expect((await diagnose()).history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: [C],
    });
    expect(r.code).toBe(1);
  });

  it('edited → exit 1 (prisma migrate status would print nothing and exit 0)', async () => {
    await deploy(db.url, mig.dir);
    await mig.add(B, 'CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\n');
    const r = await runCli(['status', '--json'], mig.root);
    expect(r.code).toBe(1);
    expect(states(r.json())[B]).toBe('edited');
    expect(r.json().migrations[1].checksumMatches).toBe(false);
    expect((await diagnose()).editedMigrationNames).toEqual([B]);
    expect(r.json().diagnosis).toMatchObject({ kind: 'editedMigrations', edited: [B] });
    expect(r.json().diagnosis.message).not.toMatch(/up to date/i);
    // The table's state column fits its longest word: the name stays apart from it and aligned.
    const text = (await runCli(['status'], mig.root)).out.split('\n');
    expect(text[1]).toMatch(new RegExp(`^applied {13}${A}  \\(applied `));
    expect(text[2]).toMatch(new RegExp(`^edited after apply {2}${B}  \\(applied `));
    // Edited and, besides, one not applied yet: both are said.
    await mig.add(C, 'CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY);\n');
    const both = (await runCli(['status', '--json'], mig.root)).json().diagnosis;
    expect(both).toMatchObject({
      kind: 'editedMigrations',
      edited: [B],
      besides: { kind: 'databaseIsBehind', unapplied: [C] },
    });
    expect(both.message).toContain(`not applied yet: ${C}`);
  });

  it('missingLocally → exit 1', async () => {
    await deploy(db.url, mig.dir);
    await mig.remove(B);
    const r = await runCli(['status', '--json'], mig.root);
    expect(r.code).toBe(1);
    expect(states(r.json())).toEqual({ [A]: 'applied', [B]: 'missingLocally' });
    expect((await diagnose()).history).toEqual({
      diagnostic: 'migrationsDirectoryIsBehind',
      unpersistedMigrationNames: [B],
    });
  });

  it('diverged → exit 1, names the last common migration', async () => {
    await deploy(db.url, mig.dir);
    await mig.remove(B);
    await mig.add(C, 'CREATE TABLE "Tag" ("id" SERIAL PRIMARY KEY);\n');
    const r = await runCli(['status', '--json'], mig.root);
    expect(r.code).toBe(1);
    const j = r.json();
    expect(j.diagnosis).toMatchObject({
      kind: 'historiesDiverge',
      lastCommon: A,
      unappliedLocal: [C],
      missingLocally: [B],
    });
    expect(j.diagnosis.message).toContain(A);
    expect(states(j)).toEqual({ [A]: 'applied', [B]: 'missingLocally', [C]: 'pending' });
    const d = await diagnose();
    expect(d.history).toEqual({
      diagnostic: 'historiesDiverge',
      lastCommonMigrationName: A,
      unappliedMigrationNames: [C],
      unpersistedMigrationNames: [B],
    });
  });

  it('environments from .vscode/settings.json; a missing variable is "not configured" → exit 2', async () => {
    await fs.mkdir(path.join(mig.root, '.vscode'));
    await fs.writeFile(
      path.join(mig.root, '.vscode', 'settings.json'),
      `{
  // comments are allowed, as in VS Code
  "prismaRollback.environments": [
    { "name": "local" },
    { "name": "production", "urlEnv": "PRODUCTION_DATABASE_URL", "protected": true },
  ],
}`,
    );
    const r = await runCli(['status', '--env', 'production'], mig.root);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/PRODUCTION_DATABASE_URL/);
    await deploy(db.url, mig.dir);
    const ok = await runCli(['status', '--env', 'production', '--json'], mig.root, {
      PRODUCTION_DATABASE_URL: db.url,
    });
    expect(ok.code).toBe(0);
    expect(ok.json().environment).toBe('production');
    const unknown = await runCli(['status', '--env', 'staging'], mig.root);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/No environment "staging". Configured: local, production/);
  });

  it('unreachable → exit 2 with a one-line reason and no password', async () => {
    await fs.writeFile(
      path.join(mig.root, '.env'),
      'DATABASE_URL="postgresql://app:hunter2@127.0.0.1:1/app"\n',
    );
    const r = await runCli(['status'], mig.root);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/refused/i);
    expect(r.out + r.err).not.toContain('hunter2');
    // Nothing was read: no migration is said to be pending (the database may have them all applied).
    expect(r.out.split('\n').slice(1, 4)).toEqual([
      `not checked         ${A}  (created 2025-01-01)`,
      `not checked         ${B}  (created 2025-01-02)`,
      '',
    ]);
    expect(r.out.split('\n')[4]).toBe('2 migrations in the folder; their state on local was not read');
    const j = (await runCli(['status', '--json'], mig.root)).json();
    expect(states(j)).toEqual({ [A]: 'unknown', [B]: 'unknown' });
    expect(j.counts).toBeNull();
    expect(j.diagnosis.kind).toBe('unreachable');
  });

  it('a MySQL project is refused clearly', async () => {
    await fs.writeFile(
      path.join(mig.root, 'prisma', 'schema.prisma'),
      'datasource db {\n  provider = "mysql"\n  url = env("DATABASE_URL")\n}\n',
    );
    await fs.writeFile(path.join(mig.dir, 'migration_lock.toml'), 'provider = "mysql"\n');
    const r = await runCli(['status'], mig.root);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not supported/i);
  });

  it('applied rows survive the checksum of a CRLF checkout', async () => {
    await mig.add(A, 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\r\n');
    await deploy(db.url, mig.dir);
    await mig.add(A, 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n');
    const r = await runCli(['status', '--json'], mig.root);
    expect(r.code).toBe(0);
    expect(r.json().migrations[0].checksumMatches).toBe(true);
    const [row] = await query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM _prisma_migrations');
    expect(row.n).toBe(2);
  });
});
