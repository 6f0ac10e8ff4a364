import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSnapshots, snapshotSchema } from '../../src/core/verify/snapshot';
import { createTestDatabase, type TestDatabase } from '../support/pg';

const CORPUS = '/work/shared/corpus';

describe('snapshotSchema on a real PostgreSQL 15 and on PGlite', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    database = await createTestDatabase('snap');
    pool = new pg.Pool({ connectionString: database.url, max: 1 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('reads the same schema from both after the same real migrations (umami history)', async () => {
    const { readMigrationsFolder } = await import('../../src/core/migrations');
    const folder = await readMigrationsFolder(`${CORPUS}/umami`);
    expect(folder.migrations.length).toBeGreaterThan(10);
    const lite = new PGlite({ extensions: { pgcrypto } });
    try {
      for (const m of folder.migrations) {
        await pool.query(m.sql!);
        await lite.exec(m.sql!);
      }
      const onServer = await snapshotSchema((s) => pool.query(s));
      const onLite = await snapshotSchema((s) => lite.query(s));
      expect(Object.keys(onServer.tables).length).toBeGreaterThan(5);
      expect(compareSnapshots(onServer, onLite)).toEqual([]);
      // and a change made on one side only shows up
      await pool.query('CREATE INDEX "extra_idx" ON "session"("created_at")');
      expect(compareSnapshots(onLite, await snapshotSchema((s) => pool.query(s)))).toEqual([
        'index "extra_idx" is extra',
      ]);
    } finally {
      await lite.close();
    }
  });
});
