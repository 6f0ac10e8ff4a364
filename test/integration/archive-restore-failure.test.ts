/**
 * An archive that cannot be restored stops the rollback (nothing applied, the archive stays) with
 * one line that names the archive, PostgreSQL's reason and the way out — not a bare
 * `relation "_prisma_rollback.…" does not exist`. Shapes: the data table dropped by hand; a
 * rollback that re-creates the column with a type the archived values do not fit; the same
 * through `apply-down --to`. Real PostgreSQL 15, real engine.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliLines } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV } from '../support/project';

const M2 = '20240102000000_drop_nick';

describe('apply-down when the archive cannot be restored', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let env: NodeJS.ProcessEnv;

  const cli = (...argv: string[]) => runCliLines(argv, mig.root, env);
  /** init, 3 users with a nick, then M2 (drop nick) deployed with its archive; `down` is M2's down.sql. */
  async function deployed(down: string) {
    await mig.add(
      '20240101000000_init',
      'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL, "nick" TEXT);\n',
    );
    expect((await cli('deploy', '--env', 'local')).code).toBe(0);
    await query(
      db.url,
      `INSERT INTO "User" ("email", "nick") SELECT 'u' || g || '@x', 'nick' || g FROM generate_series(1, 3) g`,
    );
    await mig.add(M2, 'ALTER TABLE "User" DROP COLUMN "nick";\n');
    await fs.writeFile(path.join(mig.dir, M2, 'down.sql'), down);
    const d = await cli('deploy', '--env', 'local');
    expect(d.out).toContain(`archive for ${M2}: columns of User (nick)`);
    expect(d.code).toBe(0);
  }
  const stillApplied = async () => {
    expect(
      await query(db.url, `SELECT rolled_back_at FROM _prisma_migrations WHERE migration_name = '${M2}'`),
    ).toEqual([{ rolled_back_at: null }]);
    expect(
      await query(db.url, `SELECT column_name FROM information_schema.columns WHERE table_name = 'User'`),
    ).not.toContainEqual({ column_name: 'nick' });
  };

  beforeEach(async () => {
    db = await createTestDatabase('arch_restore_fail');
    mig = await tempMigrations();
    await fs.writeFile(path.join(mig.root, 'prisma', 'schema.prisma'), SCHEMA_WITH_URL_ENV);
    env = { PATH: process.env.PATH, DATABASE_URL: db.url };
  });
  afterEach(async () => {
    await db?.drop();
    await mig?.cleanup();
  });

  const wayOut = `To roll back without it (the archived values stay lost): prisma-rollback archive --env local --purge ${M2}, then run the rollback again.`;

  it('the data table dropped by hand: refused with the way out; after --purge the rollback runs without it', async () => {
    await deployed('ALTER TABLE "User" ADD COLUMN "nick" TEXT;\n');
    const [{ data_table }] = await query<{ data_table: string }>(
      db.url,
      `SELECT data_table FROM _prisma_rollback.archive WHERE migration = '${M2}'`,
    );
    await query(db.url, `DROP TABLE _prisma_rollback."${data_table}"`);
    for (const extra of [[], ['--dry-run']]) {
      const r = await cli('apply-down', M2, '--env', 'local', ...extra);
      expect(r.err).toBe(
        `The archive of ${M2} could not be restored (relation "_prisma_rollback.${data_table}" does not exist); nothing was applied. ${wayOut}`,
      );
      expect(r.out).toContain('ROLLBACK — nothing was applied');
      expect(r.code).toBe(1);
      await stillApplied();
    }
    expect((await cli('archive', '--env', 'local', '--purge', M2)).code).toBe(0);
    const again = await cli('apply-down', M2, '--env', 'local');
    expect(again.err).toBe('');
    expect(again.out).not.toContain('restored from the archive');
    expect(again.code).toBe(0);
    expect(await query(db.url, 'SELECT id, nick FROM "User" ORDER BY id')).toEqual([
      { id: 1, nick: null },
      { id: 2, nick: null },
      { id: 3, nick: null },
    ]);
  }, 120_000);

  it('a rollback that re-creates the column with a type the archived values do not fit', async () => {
    await deployed('ALTER TABLE "User" ADD COLUMN "nick" INTEGER;\n');
    const r = await cli('apply-down', M2, '--env', 'local');
    expect(r.err).toBe(
      `The archive of ${M2} could not be restored (invalid input syntax for type integer: "nick1"); nothing was applied. ${wayOut}`,
    );
    expect(r.code).toBe(1);
    await stillApplied();
    expect((await cli('archive', '--env', 'local')).out).toContain(M2);
  }, 120_000);

  it('through apply-down --to: the same line, nothing applied', async () => {
    await deployed('ALTER TABLE "User" ADD COLUMN "nick" INTEGER;\n');
    const r = await cli('apply-down', '--to', '20240101000000_init', '--env', 'local');
    expect(r.err).toBe(
      `The archive of ${M2} could not be restored (invalid input syntax for type integer: "nick1"); nothing was applied. ${wayOut}`,
    );
    expect(r.code).toBe(1);
    await stillApplied();
  }, 120_000);
});
