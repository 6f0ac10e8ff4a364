/**
 * The archive gives back json values byte-identical (key order, whitespace, duplicate keys: jsonb
 * would normalise them) — json, a domain over json with a CHECK, json[] — through DROP COLUMN, DROP TABLE and
 * UPDATE; and an UPDATE's restore writes back only the columns its SET assigned, so a column the
 * application changed after the deploy keeps the application's value. Real PostgreSQL 15; the
 * embedded replay of `verify --data` says the json data round-trips.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { applyDown } from '../../src/core/runbook/apply-down';
import { deployMigrations } from '../../src/core/runbook/resolve';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { runCli } from '../support/cli';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { tempProject } from '../support/project';

const INIT = `CREATE DOMAIN "Doc" AS json CHECK (json_typeof(VALUE) = 'object');
CREATE TABLE "Item" ("id" SERIAL NOT NULL, "name" TEXT NOT NULL, "j" JSON, "d" "Doc", "ja" JSON[], "b" JSONB,
  CONSTRAINT "Item_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Bag" ("j" JSON, "n" INTEGER);
`;
const J = '{"b":1,  "a":2, "a":3}';
const SEED = `INSERT INTO "Item" (name, j, d, ja, b) VALUES
  ('one', '${J}', '{"z": 1,"y" :2}', ARRAY['{"b":1,  "a":2}', '[1,  2]']::json[], '{"k": 1}'),
  ('two', NULL, NULL, NULL, NULL);
INSERT INTO "Bag" (j, n) VALUES ('${J}', 1), ('[ 3,2 ]', 2);`;
const M = '20240201000000_change';

const read = async (url: string) => ({
  item: await query(url, `SELECT id, name, j::text, d::text, ja::text, b::text FROM "Item" ORDER BY id`),
  bag: await query(url, `SELECT j::text, n FROM "Bag" ORDER BY n`),
});

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

describe('archive: json values and UPDATE columns come back exactly (real PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  const log = () => {};

  beforeEach(async () => {
    db = await createTestDatabase('archive_json');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    await query(db.url, SEED);
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  /** Adds `sql` as migration M with the generator's down.sql, deploys it (archive on). */
  async function deploy(sql: string) {
    await mig.add(M, sql);
    const folder = await readMigrationsFolder(mig.dir);
    const history = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    const r = await generateRollback(history, history.length - 1);
    await fs.writeFile(path.join(mig.dir, M, 'down.sql'), r.sql);
    const d = await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    expect(d.applied).toEqual([M]);
  }
  const down = () =>
    applyDown({ url: db.url, environment: 'local', migrationsDir: mig.dir, migration: M, log });

  it('the seeded json text is kept as written (the premise)', async () => {
    expect((await read(db.url)).item[0]).toEqual({
      id: 1,
      name: 'one',
      j: J,
      d: '{"z": 1,"y" :2}',
      ja: '{"{\\"b\\":1,  \\"a\\":2}","[1,  2]"}',
      b: '{"k": 1}',
    });
  });

  it.each([
    ['DROP COLUMN', `ALTER TABLE "Item" DROP COLUMN "j", DROP COLUMN "d", DROP COLUMN "ja";\n`],
    ['DROP TABLE (with a key and without)', `DROP TABLE "Item";\nDROP TABLE "Bag";\n`],
    [
      'UPDATE',
      `UPDATE "Item" SET "j" = '{"new":true}', "d" = '{}', "ja" = NULL;\nUPDATE "Bag" SET "j" = '{}';\n`,
    ],
  ])('%s: json, domain over json and json[] come back byte-identical', async (_, sql) => {
    const before = await read(db.url);
    await deploy(sql);
    await down();
    expect(await read(db.url)).toEqual(before);
  });

  it("UPDATE: only the columns its SET assigns are restored; another column the application changed keeps the application's value", async () => {
    await deploy(`UPDATE "Item" SET "name" = upper("name");\n`);
    await query(db.url, `UPDATE "Item" SET "j" = '{"app":  1}', "b" = '{"app": 2}' WHERE id = 1`);
    await down();
    expect(await query(db.url, `SELECT id, name, j::text, b::text FROM "Item" ORDER BY id`)).toEqual([
      { id: 1, name: 'one', j: '{"app":  1}', b: '{"app": 2}' },
      { id: 2, name: 'two', j: null, b: null },
    ]);
  });

  it('UPDATE with DELETE: the deleted row comes back whole, the updated one only in the SET column', async () => {
    await deploy(`UPDATE "Item" SET "name" = 'x' WHERE id = 1;\nDELETE FROM "Item" WHERE id = 2;\n`);
    await query(db.url, `UPDATE "Item" SET "b" = '{"app": 3}' WHERE id = 1`);
    await down();
    expect(await query(db.url, `SELECT id, name, j::text, b::text FROM "Item" ORDER BY id`)).toEqual([
      { id: 1, name: 'one', j: J, b: '{"app": 3}' },
      { id: 2, name: 'two', j: null, b: null },
    ]);
  });
});

describe('verify --data: json columns round-trip through the archive (embedded PostgreSQL)', () => {
  let root: string;
  afterAll(async () => {
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('UPDATE and DROP COLUMN of json columns: the data round-trips exactly (exit 0)', async () => {
    root = (
      await tempProject({
        prefix: 'pr-archive-json-',
        migrations: {
          '20240101000000_init': { sql: INIT },
          '20240102000000_update_json': {
            sql: `UPDATE "Item" SET "j" = '{"new":true}';\n`,
            down: `SELECT 1;\n`,
          },
          '20240103000000_drop_json': {
            sql: `ALTER TABLE "Item" DROP COLUMN "j", DROP COLUMN "d";\n`,
            down: `ALTER TABLE "Item" ADD COLUMN "j" JSON, ADD COLUMN "d" "Doc";\n`,
          },
        },
      })
    ).root;
    const env = { PRISMA_ROLLBACK_CACHE_DIR: process.env.PRISMA_ROLLBACK_CACHE_DIR ?? '' };
    for (const m of ['20240102000000_update_json', '20240103000000_drop_json']) {
      const r = await runCli(
        ['verify', m, '--data', '--json', '--migrations', 'prisma/migrations'],
        root,
        env,
      );
      expect(r.json(), m).toMatchObject({ kind: 'verified', data: { archive: true } });
      expect(r.code, m).toBe(0);
    }
  }, 180_000);
});
