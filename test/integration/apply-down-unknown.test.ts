/**
 * `apply-down <name>` without --file, for a name that is not a migration folder: one line saying
 * so (exit 2, nothing connected to or changed) — not "No rollback script … Generate it first
 * (prisma-rollback down <name>)", which sent the user to generate the rollback of a migration that
 * does not exist. With --file, a migration applied there but missing here can still be rolled back.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliLines } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

describe('apply-down of a name that is not a migration here', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]) => runCliLines(argv, mig.root, env);
  beforeAll(async () => {
    db = await createTestDatabase('apply_unknown');
    mig = await tempMigrations();
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await mig.add('20240101000000_init', 'CREATE TABLE "A" ("id" INTEGER PRIMARY KEY);\n');
    await mig.add('20240102000000_add_b', 'ALTER TABLE "A" ADD COLUMN "b" TEXT;\n');
    env = { PATH: process.env.PATH, DATABASE_URL: db.url };
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
  });
  afterAll(async () => {
    await db?.drop();
    await mig?.cleanup();
  });

  for (const name of ['20990101000000_nope', 'add_b', '20240102000000_add_', '../20240102000000_add_b']) {
    it(`"${name}": no such migration (exit 2), nothing changed`, async () => {
      const r = await cli('apply-down', name, '--env', 'local');
      expect(r.err).toBe(
        `No migration "${name}" in prisma/migrations. Check the name (prisma-rollback status lists them); for a migration applied there but missing here, pass --file with its rollback script.`,
      );
      expect(r.out).toBe('');
      expect(r.code).toBe(2);
    });
  }

  it('with --file, a migration applied there but missing here is rolled back', async () => {
    const down = path.join(mig.root, 'undo-b.sql');
    await fs.writeFile(down, 'ALTER TABLE "A" DROP COLUMN "b";\n');
    await mig.remove('20240102000000_add_b');
    const r = await cli('apply-down', '20240102000000_add_b', '--env', 'local', '--file', down);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(
      await query(db.url, `SELECT column_name FROM information_schema.columns WHERE table_name = 'A'`),
    ).toEqual([{ column_name: 'id' }]);
  });
});
