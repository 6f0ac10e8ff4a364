/**
 * `archive --purge` / `--older-than` on a protected environment: the archive may be the only copy
 * of what a deployed migration destroyed, so deleting it takes the environment's name typed back
 * (`--confirm`), as apply-down and deploy do. Listing needs nothing; an unprotected environment
 * needs no confirmation. Real PostgreSQL 15, real engine.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliLines } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

const M2 = '20240102000000_drop_nick';

describe('archive --purge on a protected environment', () => {
  let prod: TestDatabase;
  let local: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let env: NodeJS.ProcessEnv;

  const cli = (...argv: string[]) => runCliLines(argv, mig.root, env);
  const archived = async (db: TestDatabase) =>
    (await query<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM _prisma_rollback.archive'))[0].n;

  beforeAll(async () => {
    prod = await createTestDatabase('purge_prod');
    local = await createTestDatabase('purge_local');
    mig = await tempMigrations();
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await fs.mkdir(path.join(mig.root, '.vscode'));
    await fs.writeFile(
      path.join(mig.root, '.vscode', 'settings.json'),
      '{ "prismaRollback.environments": [{ "name": "local" }, { "name": "production", "urlEnv": "PRODUCTION_DATABASE_URL", "protected": true }] }',
    );
    await mig.add('20240101000000_init', 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "nick" TEXT);\n');
    await mig.add(M2, 'ALTER TABLE "User" DROP COLUMN "nick";\n');
    env = { PATH: process.env.PATH, DATABASE_URL: local.url, PRODUCTION_DATABASE_URL: prod.url };
    expect((await cli('deploy', '--env', 'production', '--confirm', 'production')).code).toBe(0);
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
  });
  afterAll(async () => {
    await prod?.drop();
    await local?.drop();
    await mig?.cleanup();
  });

  for (const how of [
    ['--purge', M2],
    ['--older-than', '0'],
  ]) {
    it(`${how[0]} without --confirm, or with a wrong name: refused (exit 1), the archive stays`, async () => {
      const none = await cli('archive', '--env', 'production', ...how);
      expect(none.err).toBe(
        'Refused: production is a protected environment and purging deletes archived data that may exist nowhere else (what its migrations destroyed). Pass --confirm production to go ahead. Nothing was changed.',
      );
      expect(none.code).toBe(1);
      const wrong = await cli('archive', '--env', 'production', ...how, '--confirm', 'prod');
      expect(wrong.err).toBe(
        'Refused: --confirm "prod" is not the name of the protected environment production; type it exactly. Nothing was changed.',
      );
      expect(wrong.code).toBe(1);
      expect(await archived(prod)).toBe(1);
    });
  }

  it('listing needs no confirmation', async () => {
    const r = await cli('archive', '--env', 'production');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${M2}  User  columns`);
  });

  it('with --confirm and the exact name, it purges', async () => {
    const r = await cli('archive', '--env', 'production', '--purge', M2, '--confirm', 'production');
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`^Purged from the archive of production:\\n  ${M2}  User  columns`));
    expect(r.code).toBe(0);
    expect(await archived(prod)).toBe(0);
  });

  it('an unprotected environment purges without --confirm', async () => {
    const r = await cli('archive', '--env', 'local', '--purge', M2);
    expect(r.code).toBe(0);
    expect(await archived(local)).toBe(0);
  });
});
