/**
 * The runner commands through the CLI, as a terminal or a VS Code task runs them: the project is
 * discovered, the environment's connection string comes from its configuration
 * (`.vscode/settings.json` → `urlEnv` → the process environment), never from argv, and no
 * password is ever printed.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FILTERS, toMigrationList } from '../../src/core/engine';
import { readMigrationsFolder } from '../../src/core/migrations';
import { runCliLines } from '../support/cli';
import { withEngine } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { prismaPackageJson, SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

describe('runbook CLI commands', () => {
  let local: TestDatabase;
  let prod: TestDatabase;
  let mig: TempProject;
  let env: NodeJS.ProcessEnv;

  async function cli(...argv: string[]) {
    const r = await runCliLines(argv, mig.root, env);
    const all = `${r.out}\n${r.err}`;
    for (const db of [local, prod]) expect(all).not.toContain(decodeURIComponent(new URL(db.url).password));
    return r;
  }

  beforeAll(async () => {
    local = await createTestDatabase('cli_local');
    prod = await createTestDatabase('cli_prod');
    mig = await tempProject({
      packageJson: prismaPackageJson(),
      schema: `${SCHEMA_WITH_URL_ENV}\nmodel User {\n  id Int @id @default(autoincrement())\n}\n`,
      settings: `{
  // the same setting the extension reads
  "prismaRollback.environments": [
    { "name": "local", "urlEnv": "LOCAL_DATABASE_URL" },
    { "name": "production", "urlEnv": "PRODUCTION_DATABASE_URL", "protected": true },
  ],
}`,
      migrations: {
        '20240101000000_init': 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n',
        '20240102000000_bio': {
          sql: 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n',
          down: 'BEGIN;\nALTER TABLE "User" DROP COLUMN "bio";\nCOMMIT;\n',
        },
      },
    });
    env = { PATH: process.env.PATH, LOCAL_DATABASE_URL: local.url, PRODUCTION_DATABASE_URL: prod.url };
  });
  afterAll(async () => {
    await local.drop();
    await prod.drop();
    await mig.cleanup();
  });

  it('deploy → backup → apply-down → resolve on the configured environments', async () => {
    const d = await cli('deploy', '--env', 'production', '--confirm', 'production');
    expect(d.code).toBe(0);
    expect(d.out).toContain('applied 20240102000000_bio');
    expect(d.out).toContain('postgresql://postgres:***@');
    expect(await query(prod.url, 'SELECT count(*)::int AS n FROM _prisma_migrations')).toEqual([{ n: 2 }]);
    // The other environment was not touched.
    expect(await query(local.url, "SELECT to_regclass('_prisma_migrations')::text AS t")).toEqual([
      { t: null },
    ]);
    await query(prod.url, `INSERT INTO "User"(email, bio) VALUES ('a@x.io', 'kept')`);

    const b = await cli('backup', '--env', 'production', '--format', 'custom', '--json');
    expect(b.code).toBe(0);
    const backup = JSON.parse(b.out) as { file: string; bytes: number; archiveEntries: number };
    expect(
      backup.file.startsWith(path.join(mig.root, '.prisma-rollback', 'backups', 'production-full-')),
    ).toBe(true);
    expect((await fs.stat(backup.file)).size).toBe(backup.bytes);
    expect(backup.archiveEntries).toBeGreaterThan(3);
    expect(b.err).toContain('Backup written:');

    const a = await cli('apply-down', '20240102000000_bio', '--env', 'production', '--confirm', 'production');
    expect(a.code).toBe(0);
    expect(a.out).toContain('Rolled back 20240102000000_bio on production: 1 statement(s)');
    expect(a.out).toContain('skipped line 1: BEGIN');
    expect(
      await query(
        prod.url,
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'bio'",
      ),
    ).toEqual([{ n: 0 }]);
    const folder = await readMigrationsFolder(mig.dir);
    const diag = await withEngine(prod.url, (e) =>
      e.diagnoseMigrationHistory({
        migrationsList: toMigrationList(folder),
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      }),
    );
    expect(diag.history).toEqual({
      diagnostic: 'databaseIsBehind',
      unappliedMigrationNames: ['20240102000000_bio'],
    });

    // Again: nothing to roll back — a clear refusal with exit code 1.
    const again = await cli(
      'apply-down',
      '20240102000000_bio',
      '--env',
      'production',
      '--confirm',
      'production',
    );
    expect(again.code).toBe(1);
    expect(again.err).toContain('already rolled back in production');

    // Prisma's engine refuses `resolve --applied` once the migration has a finished row, even a rolled-back one
    // (seen here): a kept migration comes back with deploy, which re-runs it.
    const r = await cli(
      'resolve',
      '--applied',
      '20240102000000_bio',
      '--env',
      'production',
      '--confirm',
      'production',
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('already recorded as applied');
    const re = await cli('deploy', '--env', 'production', '--confirm', 'production');
    expect(re.code).toBe(0);
    expect(re.out).toContain('applied 20240102000000_bio');
    expect(
      await query(
        prod.url,
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'bio'",
      ),
    ).toEqual([{ n: 1 }]);
    expect(await query(prod.url, 'SELECT email FROM "User"')).toEqual([{ email: 'a@x.io' }]);
  });

  it('environments passed by the extension (PRISMA_ROLLBACK_ENVIRONMENTS, no secrets) replace .vscode/settings.json', async () => {
    const saved = env;
    env = {
      ...saved,
      PRISMA_ROLLBACK_ENVIRONMENTS: JSON.stringify([{ name: 'staging', urlEnv: 'STAGING_URL' }]),
      STAGING_URL: local.url,
    };
    try {
      const d = await cli('deploy', '--env', 'staging');
      expect(d.code).toBe(0);
      expect(d.out).toContain('applied 20240101000000_init');
      expect(await query(local.url, 'SELECT count(*)::int AS n FROM _prisma_migrations')).toEqual([{ n: 2 }]);
      expect((await cli('deploy', '--env', 'production', '--confirm', 'production')).err).toContain(
        'No environment "production"',
      );
      env = { ...env, PRISMA_ROLLBACK_ENVIRONMENTS: '{"name":"x"}' };
      expect((await cli('deploy', '--env', 'staging')).err).toContain(
        'PRISMA_ROLLBACK_ENVIRONMENTS is not a JSON array',
      );
    } finally {
      env = saved;
    }
  });

  it('reset (Method 1) is refused on the protected environment and needs the database name', async () => {
    const prodName = new URL(prod.url).pathname.slice(1);
    const refused = await cli('reset', '--env', 'production', '--confirm', prodName);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('production is protected');
    expect((await cli('reset', '--env', 'local')).code).toBe(2);
    const wrong = await cli('reset', '--env', 'local', '--confirm', 'nope');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`Type the database's name (${new URL(local.url).pathname.slice(1)})`);
    expect(await query(prod.url, 'SELECT count(*)::int AS n FROM "User"')).toEqual([{ n: 1 }]);
  });

  it('usage errors and unconfigured environments exit 2 with a reason', async () => {
    expect((await cli('apply-down', '--env', 'production')).code).toBe(2);
    const noEnv = await cli('backup');
    expect(noEnv.code).toBe(2);
    expect(noEnv.err).toContain('--env NAME is required');
    const unknown = await cli('deploy', '--env', 'staging');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('No environment "staging"');
    const both = await cli('resolve', '--applied', 'x', '--rolled-back', 'y', '--env', 'local');
    expect(both.code).toBe(2);
    const saved = env;
    env = { PATH: process.env.PATH };
    try {
      const unset = await cli('deploy', '--env', 'local');
      expect(unset.code).toBe(2);
      expect(unset.err).toContain('LOCAL_DATABASE_URL');
    } finally {
      env = saved;
    }
  });
});
