/**
 * `prisma-rollback restore --from` refuses a dump of another database. Two databases built by the
 * same migrations hold the same tables, so only the dump's own `_prisma_migrations` can tell them
 * apart: Prisma gives each row a random id (schema-engine, `record_migration_started`), so a dump
 * of this database holds, for every migration it records as applied, a row whose id the live table
 * still has. Restoring another database's rows would insert rows this one never had and overwrite
 * its values with the other's.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliLines } from '../support/cli';
import { adminPassword, createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const INIT = '20240101000000_init';
const DROP = '20240102000000_drop_bio';

describe('restore --from a dump of another database', () => {
  let live: TestDatabase;
  let other: TestDatabase;
  let proj: TempProject;
  let env: NodeJS.ProcessEnv;

  async function cli(...argv: string[]) {
    const r = await runCliLines(argv, proj.root, env);
    expect(`${r.out}\n${r.err}`).not.toContain(adminPassword());
    return r;
  }
  const users = () => query(live.url, `SELECT id, email, bio FROM "user" ORDER BY id`);

  beforeAll(async () => {
    live = await createTestDatabase('restore_live');
    other = await createTestDatabase('restore_other');
    proj = await tempProject({
      schema: SCHEMA_WITH_URL_ENV,
      settings: {
        'prismaRollback.environments': [
          { name: 'local', urlEnv: 'LIVE_URL' },
          { name: 'other', urlEnv: 'OTHER_URL' },
        ],
      },
      migrations: {
        [INIT]: 'CREATE TABLE "user" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "bio" TEXT);\n',
      },
    });
    env = { PATH: process.env.PATH, LIVE_URL: live.url, OTHER_URL: other.url };
  });
  afterAll(async () => {
    await live?.drop();
    await other?.drop();
    await proj?.cleanup();
  });

  it('refuses, names both histories, changes nothing; a dump of the live database still restores', async () => {
    for (const e of ['local', 'other'])
      expect((await cli('deploy', '--env', e, '--no-archive')).code).toBe(0);
    await query(
      live.url,
      `INSERT INTO "user" (email, bio) VALUES ('a@live', 'live a'), ('b@live', 'live b')`,
    );
    await query(
      other.url,
      `INSERT INTO "user" (email, bio) VALUES ('x@other', 'OTHER'), ('y@other', 'OTHER'), ('z@other', 'OTHER')`,
    );
    const otherDump = path.join(proj.root, 'other.dump');
    const liveDump = path.join(proj.root, 'live.dump');
    expect((await cli('backup', '--env', 'other', '--format', 'custom', '--out', otherDump)).code).toBe(0);
    expect((await cli('backup', '--env', 'local', '--format', 'custom', '--out', liveDump)).code).toBe(0);

    await proj.add(
      DROP,
      'ALTER TABLE "user" DROP COLUMN "bio";\n',
      'ALTER TABLE "user" ADD COLUMN "bio" TEXT;\n',
    );
    expect((await cli('deploy', '--env', 'local', '--no-archive')).code).toBe(0);
    expect((await cli('apply-down', DROP, '--env', 'local')).code).toBe(0);
    const before = await users();
    expect(before.map((u) => u.bio)).toEqual([null, null]);

    const restore = ['restore', '--env', 'local', '--migration', DROP];
    for (const extra of [['--dry-run'], []]) {
      const r = await cli(...restore, '--from', otherDump, ...extra);
      expect(r.code).toBe(2);
      const err = r.err.trim().split('\n');
      expect(err).toHaveLength(1);
      expect(err[0]).toBe(
        `The backup ${otherDump} is not of local: its _prisma_migrations records ${INIT} as applied with another row id than local's (it was taken of another database, or before local's history was reset). Use a backup of local taken before ${DROP} was deployed. Nothing was changed.`,
      );
      expect(await users()).toEqual(before);
    }

    const ok = await cli(...restore, '--from', liveDump);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect((await users()).map((u) => [u.email, u.bio])).toEqual([
      ['a@live', 'live a'],
      ['b@live', 'live b'],
    ]);
  }, 180_000);
});
