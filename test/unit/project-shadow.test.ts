/**
 * The one shadow-database URL resolver (src/core/project/shadow.ts): the setting's value (a URL
 * or the name of a variable), the environment, the project's .env files, and
 * PRISMA_ROLLBACK_SHADOW_DATABASE_URL, in one order for the CLI and the editor.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveShadowDatabase, resolveShadowDatabaseUrl } from '../../src/core/project';
import { removeScratch, scratchDir, writeFiles } from './project-helpers';

afterAll(removeScratch);

describe('resolveShadowDatabaseUrl (one setting value)', () => {
  const env: Record<string, string> = {
    SHADOW_DATABASE_URL: 'postgresql://u:p@h:5432/d',
    NOT_PG: 'mysql://x',
  };
  const lookup = (n: string) => env[n];

  it.each([
    ['', {}],
    [undefined, {}],
    ['postgres://a@b/c', { url: 'postgres://a@b/c', from: 'the setting' }],
    ['SHADOW_DATABASE_URL', { url: 'postgresql://u:p@h:5432/d', from: 'SHADOW_DATABASE_URL' }],
    ['env:SHADOW_DATABASE_URL', { url: 'postgresql://u:p@h:5432/d', from: 'SHADOW_DATABASE_URL' }],
    [
      'MISSING',
      {
        problem:
          "prismaRollback.shadowDatabaseUrl names the environment variable MISSING, which is not set (neither in the environment nor in the project's .env files).",
      },
    ],
    [
      'NOT_PG',
      { problem: 'The environment variable NOT_PG does not hold a postgresql:// connection string.' },
    ],
    [
      'host=x user=y',
      {
        problem:
          'prismaRollback.shadowDatabaseUrl is neither a postgresql:// connection string nor the name of an environment variable.',
      },
    ],
  ])('%j', (setting, expected) => {
    expect(resolveShadowDatabaseUrl(setting, lookup)).toEqual(expected);
  });
});

describe('resolveShadowDatabase (environment, .env files, PRISMA_ROLLBACK_SHADOW_DATABASE_URL)', () => {
  const SERVER = 'postgresql://admin:pw@shadow.example:5432/postgres';
  const OTHER = 'postgresql://ci:pw@ci.example:5432/postgres';

  async function project(envText: string): Promise<string[]> {
    const dir = await scratchDir('shadow');
    await writeFiles(dir, { '.env': envText });
    return [path.join(dir, '.env')];
  }

  it('reads the variable the setting names from the environment first, then the .env files', async () => {
    const envFiles = await project(`SHADOW_DATABASE_URL=${SERVER}\n`);
    expect(await resolveShadowDatabase('SHADOW_DATABASE_URL', { env: {}, envFiles })).toEqual({
      url: SERVER,
      from: 'SHADOW_DATABASE_URL',
    });
    expect(
      await resolveShadowDatabase('env:SHADOW_DATABASE_URL', {
        env: { SHADOW_DATABASE_URL: OTHER },
        envFiles,
      }),
    ).toEqual({ url: OTHER, from: 'SHADOW_DATABASE_URL' });
  });

  it('expands ${VAR} in a .env value, as Prisma does', async () => {
    const envFiles = await project('PW=s3cret\nSHADOW=postgresql://admin:${PW}@h/postgres\n');
    expect((await resolveShadowDatabase('SHADOW', { env: {}, envFiles })).url).toBe(
      'postgresql://admin:s3cret@h/postgres',
    );
  });

  it('lets PRISMA_ROLLBACK_SHADOW_DATABASE_URL in the environment win over the setting', async () => {
    const envFiles = await project(`SHADOW_DATABASE_URL=${SERVER}\n`);
    expect(
      await resolveShadowDatabase('SHADOW_DATABASE_URL', {
        env: { PRISMA_ROLLBACK_SHADOW_DATABASE_URL: OTHER },
        envFiles,
      }),
    ).toEqual({ url: OTHER, from: 'PRISMA_ROLLBACK_SHADOW_DATABASE_URL' });
  });

  it('falls back to PRISMA_ROLLBACK_SHADOW_DATABASE_URL in the .env files when the setting is empty', async () => {
    const envFiles = await project(`PRISMA_ROLLBACK_SHADOW_DATABASE_URL=${SERVER}\n`);
    expect(await resolveShadowDatabase('', { env: {}, envFiles })).toEqual({
      url: SERVER,
      from: 'PRISMA_ROLLBACK_SHADOW_DATABASE_URL',
    });
    // a setting beats the .env file's fallback
    expect(await resolveShadowDatabase('postgres://a@b/c', { env: {}, envFiles })).toEqual({
      url: 'postgres://a@b/c',
      from: 'the setting',
    });
  });

  it('nothing configured: no server, no problem; a wrong value: one line naming where it came from', async () => {
    expect(await resolveShadowDatabase(undefined, { env: {}, envFiles: ['/nonexistent/.env'] })).toEqual({});
    expect(
      await resolveShadowDatabase(undefined, {
        env: { PRISMA_ROLLBACK_SHADOW_DATABASE_URL: 'host=x user=y' },
      }),
    ).toEqual({
      problem:
        'PRISMA_ROLLBACK_SHADOW_DATABASE_URL is neither a postgresql:// connection string nor the name of an environment variable.',
    });
  });
});
