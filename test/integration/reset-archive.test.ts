/**
 * `reset` empties the database through Prisma's engine, which leaves the schema `_prisma_rollback`
 * alone. Its archive then holds values of rows that no longer exist: an `apply-down` after the
 * reset wrote the old values into the new rows that reused their keys (and brought a dropped
 * table's old rows back). The reset drops the archive too. Real PostgreSQL 15, real engine.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliLines } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

describe('reset and the archive', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let env: NodeJS.ProcessEnv;

  const cli = (...argv: string[]) => runCliLines(argv, mig.root, env);

  beforeAll(async () => {
    db = await createTestDatabase('reset_archive');
    mig = await tempMigrations();
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await mig.add(
      '20240101000000_init',
      `CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "nick" TEXT);
CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);
`,
    );
    env = { PATH: process.env.PATH, DATABASE_URL: db.url };
  });
  afterAll(async () => {
    await db?.drop();
    await mig?.cleanup();
  });

  it('drops the archive of the rows before the reset; apply-down afterwards restores nothing old', async () => {
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    await query(
      db.url,
      `INSERT INTO "User" ("email", "nick") SELECT 'old' || g || '@x', 'oldnick' || g FROM generate_series(1, 3) g;
       INSERT INTO "Post" ("title") VALUES ('old post')`,
    );
    const withDown = async (name: string, sql: string, down: string) => {
      await mig.add(name, sql);
      await fs.writeFile(path.join(mig.dir, name, 'down.sql'), down);
    };
    await withDown(
      '20240102000000_drop_nick',
      'ALTER TABLE "User" DROP COLUMN "nick";\n',
      'ALTER TABLE "User" ADD COLUMN "nick" TEXT;\n',
    );
    await withDown(
      '20240103000000_drop_post',
      'DROP TABLE "Post";\n',
      'CREATE TABLE "Post" ("id" SERIAL PRIMARY KEY, "title" TEXT NOT NULL);\n',
    );
    const deployed = await cli('deploy', '--env', 'local');
    expect(deployed.code).toBe(0);
    expect(deployed.out).toContain('archive for 20240102000000_drop_nick: columns of User (nick)');
    expect((await query(db.url, 'SELECT count(*)::int AS n FROM _prisma_rollback.archive'))[0].n).toBe(2);

    const reset = await cli('reset', '--env', 'local', '--confirm', db.name);
    expect(reset.err).toBe('');
    expect(reset.out).toContain(
      '  reset: the archive (_prisma_rollback) of the rows before the reset is deleted too',
    );
    expect(reset.code).toBe(0);
    expect(
      await query(db.url, `SELECT nspname FROM pg_namespace WHERE nspname = '_prisma_rollback'`),
    ).toEqual([]);
    expect((await cli('archive', '--env', 'local')).out).not.toContain('20240102000000_drop_nick');

    // new rows reuse the old keys 1..3
    await query(
      db.url,
      `INSERT INTO "User" ("email") SELECT 'new' || g || '@x' FROM generate_series(1, 3) g`,
    );
    const post = await cli('apply-down', '20240103000000_drop_post', '--env', 'local');
    expect(post.code).toBe(0);
    expect(post.out).not.toContain('restored from the archive');
    const nick = await cli('apply-down', '20240102000000_drop_nick', '--env', 'local');
    expect(nick.code).toBe(0);
    expect(nick.out).not.toContain('restored from the archive');
    expect(await query(db.url, 'SELECT id, email, nick FROM "User" ORDER BY id')).toEqual([
      { id: 1, email: 'new1@x', nick: null },
      { id: 2, email: 'new2@x', nick: null },
      { id: 3, email: 'new3@x', nick: null },
    ]);
    expect(await query(db.url, 'SELECT * FROM "Post"')).toEqual([]);
  }, 120_000);

  it('a reset of a database without an archive says nothing about one', async () => {
    // (the apply-downs above created the schema for the archive of what a rollback destroys)
    await query(db.url, 'DROP SCHEMA IF EXISTS _prisma_rollback CASCADE');
    const reset = await cli('reset', '--env', 'local', '--confirm', db.name);
    expect(reset.code).toBe(0);
    expect(reset.out).not.toContain('the archive (_prisma_rollback)');
  }, 120_000);
});
