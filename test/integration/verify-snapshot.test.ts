/**
 * The same history gives the same normalized snapshot on a real PostgreSQL 15 and on PGlite
 * (PostgreSQL 18): checked on every project of the corpus.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { readMigrationsFolder } from '../../src/core/migrations';
import { extensionsCreatedBy } from '../../src/core/verify';
import { startEmbedded } from '../../src/core/verify/embedded';
import { compareSnapshots, snapshotSchema } from '../../src/core/verify/snapshot';
import { createTestDatabase } from '../support/pg';

const CORPUS =
  process.env.ROLLBACK_CORPUS_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
const projects = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe('snapshotSchema on a real PostgreSQL 15 and on PGlite', () => {
  it.each(projects)(
    '%s: the same history reads as the same schema on both',
    async (project) => {
      const folder = await readMigrationsFolder(path.join(CORPUS, project));
      const scripts = folder.migrations.map((m) => m.sql!);
      const database = await createTestDatabase('snap');
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      const lite = await startEmbedded(await extensionsCreatedBy(scripts));
      try {
        for (const sql of scripts) {
          await pool.query(sql);
          await lite.exec(sql);
        }
        const onServer = await snapshotSchema((s) => pool.query(s));
        const onLite = await snapshotSchema((s) => lite.query(s));
        expect(Object.keys(onServer.tables).length).toBeGreaterThan(5);
        expect(compareSnapshots(onServer, onLite)).toEqual([]);
        // and a change made on one side only shows up
        const [table] = Object.keys(onServer.tables).filter((t) => !t.includes('"."'));
        await pool.query(`CREATE TABLE "extra_table" ("id" INT); COMMENT ON TABLE ${table} IS 'changed'`);
        expect(compareSnapshots(onLite, await snapshotSchema((s) => pool.query(s)))).toEqual([
          'table "extra_table" is extra',
          `comment on table ${table} is extra: 'changed'`,
        ]);
      } finally {
        await lite.close();
        await pool.end();
        await database.drop();
      }
    },
    120_000,
  );
});
