/**
 * An archive is tied to the `_prisma_migrations` row of the deploy that took it. When the database
 * is reset outside the tool (as `prisma migrate reset` does: the schema dropped and migrated again,
 * `_prisma_rollback` left alone) and the migration deployed again without an archive, the old
 * archive holds values of rows that no longer exist: `apply-down` refuses it in one line (nothing
 * applied), `archive` lists it as stale, `down --env` does not show it as restoring, and after
 * `archive --purge` the rollback runs without it. Real PostgreSQL 15, real Prisma engine.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchiveIndex } from '../../src/core/archive/summary';
import { runCliLines } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

const M = '20240102000000_drop_nick';

describe('a stale archive (the migration deployed again since, outside the tool)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let env: NodeJS.ProcessEnv;
  const cli = (...argv: string[]) => runCliLines(argv, mig.root, env);
  const users = () => query(db.url, 'SELECT id, email, nick FROM "User" ORDER BY id');

  beforeAll(async () => {
    db = await createTestDatabase('archive_stale');
    mig = await tempMigrations();
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    await mig.add(
      '20240101000000_init',
      'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "nick" TEXT);\n',
    );
    env = { PATH: process.env.PATH, DATABASE_URL: db.url };
  });
  afterAll(async () => {
    await db?.drop();
    await mig?.cleanup();
  });

  it('records the deploy row; after a reset and a deploy without archive, refuses it, lists it stale, and rolls back once purged', async () => {
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    await query(
      db.url,
      `INSERT INTO "User" ("email", "nick") SELECT 'old' || g || '@x', 'oldnick' || g FROM generate_series(1, 3) g`,
    );
    await mig.add(M, 'ALTER TABLE "User" DROP COLUMN "nick";\n');
    await fs.writeFile(path.join(mig.dir, M, 'down.sql'), 'ALTER TABLE "User" ADD COLUMN "nick" TEXT;\n');
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    // the archive names the row of the deploy that took it
    const [row] = await query(
      db.url,
      `SELECT id, started_at FROM _prisma_migrations WHERE migration_name = '${M}'`,
    );
    expect(await query(db.url, 'SELECT deploy_id, deploy_started_at FROM _prisma_rollback.archive')).toEqual([
      { deploy_id: row.id, deploy_started_at: row.started_at },
    ]);
    expect((await cli('archive', '--env', 'local')).out).not.toContain('STALE');

    // outside the tool: the database reset (schema dropped, migrated again), new rows on the old keys
    await query(db.url, 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    const again = await cli('deploy', '--env', 'local', '--no-archive');
    expect(again.code).toBe(0);
    await query(
      db.url,
      `INSERT INTO "User" ("email") SELECT 'new' || g || '@x' FROM generate_series(1, 3) g`,
    );

    const listed = await cli('archive', '--env', 'local');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^ {2}${M} {2}User {2}columns {2}3 row\\(s\\) .* STALE$`, 'm'));
    expect(listed.out).toMatch(
      new RegExp(
        `^ {4}stale: The archive of .+ belongs to an earlier deploy of ${M} .*--purge ${M}\`.$`,
        'm',
      ),
    );
    const json = await cli('archive', '--env', 'local', '--json');
    expect(JSON.parse(json.out).entries.map((e: { stale?: unknown }) => !!e.stale)).toEqual([true]);

    // the editor's index (Migrations view badge, checklist "Apply restores them") leaves it out
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const judged = await readArchiveIndex(pool, db.url);
      const raw = await readArchiveIndex(pool);
      expect(judged.kind === 'known' && [...judged.byMigration.keys()]).toEqual([]);
      expect(raw.kind === 'known' && [...raw.byMigration.keys()]).toEqual([M]);
    } finally {
      await pool.end();
    }

    const down = await cli('down', M, '--env', 'local', '--stdout');
    expect(down.out).not.toContain('restored from the archive');
    expect(down.out).not.toContain('-- Archive on');
    expect(down.err).toMatch(/belongs to an earlier deploy of 20240102000000_drop_nick/);

    const refused = await cli('apply-down', M, '--env', 'local');
    expect(refused.code).toBe(1);
    const err = refused.err.trim().split('\n');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      new RegExp(
        `The archive of .+ belongs to an earlier deploy of ${M} \\(it was deployed again since, or its _prisma_migrations row is gone\\): it is not restored into the new rows\\. Purge it with \`prisma-rollback archive --env local --purge ${M}\`\\. Nothing was applied\\.$`,
      ),
    );
    // nothing applied: the column is still dropped, the migration still applied, the new rows as they were
    expect(await query(db.url, 'SELECT id, email FROM "User" ORDER BY id')).toEqual([
      { id: 1, email: 'new1@x' },
      { id: 2, email: 'new2@x' },
      { id: 3, email: 'new3@x' },
    ]);
    expect(
      await query(
        db.url,
        `SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '${M}' AND rolled_back_at IS NULL`,
      ),
    ).toEqual([{ n: 1 }]);

    expect((await cli('archive', '--env', 'local', '--purge', M)).code).toBe(0);
    const rolled = await cli('apply-down', M, '--env', 'local');
    expect(rolled.code).toBe(0);
    expect(rolled.out).not.toContain('restored from the archive');
    // the old values never reach the new rows
    expect(await users()).toEqual([
      { id: 1, email: 'new1@x', nick: null },
      { id: 2, email: 'new2@x', nick: null },
      { id: 3, email: 'new3@x', nick: null },
    ]);
  }, 180_000);

  it('the same after its row is deleted by hand and the migration applied again; an archive of the current deploy is restored', async () => {
    // the first test left the migration rolled back: deploy it again, with the archive
    await query(db.url, `UPDATE "User" SET "nick" = 'nick' || id`);
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    expect((await cli('archive', '--env', 'local')).out).not.toContain('STALE');
    // by hand: the history row deleted, the column put back, the migration applied again without archive
    await query(
      db.url,
      `DELETE FROM _prisma_migrations WHERE migration_name = '${M}'; ALTER TABLE "User" ADD COLUMN "nick" TEXT`,
    );
    expect((await cli('deploy', '--env', 'local', '--no-archive')).code).toBe(0);
    expect((await cli('archive', '--env', 'local')).out).toContain('STALE');
    const refused = await cli('apply-down', M, '--env', 'local');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/belongs to an earlier deploy of 20240102000000_drop_nick/);

    // a deploy with the archive replaces the stale one: that archive is restored
    expect((await cli('archive', '--env', 'local', '--purge', M)).code).toBe(0);
    expect((await cli('apply-down', M, '--env', 'local')).code).toBe(0);
    await query(db.url, `UPDATE "User" SET "nick" = 'kept' || id`);
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    const rolled = await cli('apply-down', M, '--env', 'local');
    expect(rolled.code).toBe(0);
    expect(rolled.out).toContain('restored from the archive of');
    expect(await users()).toEqual([
      { id: 1, email: 'new1@x', nick: 'kept1' },
      { id: 2, email: 'new2@x', nick: 'kept2' },
      { id: 3, email: 'new3@x', nick: 'kept3' },
    ]);
  }, 180_000);
});
