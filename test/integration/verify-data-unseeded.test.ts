/**
 * `verify --data` fails closed on tables the seeder could not fill: a table left empty (a column
 * type without generated values, a CHECK that rejects every row, a NOT NULL reference to an empty
 * table) or short (a CHECK that rejects some rows) has nothing — or not everything — to lose, so a
 * rollback that loses its values compares "identical". Such a result is `cannotProve` (exit 2),
 * never "data round-trips exactly"; the conformance count (scripts/lib/roundtrip.ts) does not count
 * it as a round trip either. Real PGlite (the verifier's worker) and a real PostgreSQL 15.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataRoundTrips } from '../../scripts/lib/roundtrip';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { runCli } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/pg';

/** Each shape: a table the seeder cannot fill (fully), and a migration that drops one of its columns. */
const shapes: Record<string, { table: string; create: string; seeded: string[] }> = {
  'a NOT NULL column of a type without generated values': {
    table: 'Span',
    create: `CREATE TABLE "Span" ("id" SERIAL NOT NULL, "during" tsrange NOT NULL, "note" TEXT, CONSTRAINT "Span_pkey" PRIMARY KEY ("id"));`,
    seeded: ['"Span": 0 of 4 rows (column "during" has type tsrange, for which no value is generated)'],
  },
  'a CHECK that rejects every row': {
    table: 'Odd',
    create: `CREATE TABLE "Odd" ("id" INTEGER NOT NULL, "v" TEXT NOT NULL CHECK (false), "note" TEXT, CONSTRAINT "Odd_pkey" PRIMARY KEY ("id"));`,
    seeded: ['"Odd": 0 of 4 rows (new row for relation "Odd" violates check constraint "Odd_check")'],
  },
  'a NOT NULL reference to a table without rows': {
    table: 'Child',
    create: `CREATE TABLE "Parent" ("id" INTEGER NOT NULL, "p" tsrange NOT NULL, CONSTRAINT "Parent_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Child" ("id" INTEGER NOT NULL, "parentId" INTEGER NOT NULL REFERENCES "Parent"("id"), "note" TEXT, CONSTRAINT "Child_pkey" PRIMARY KEY ("id"));`,
    seeded: [
      '"Parent": 0 of 4 rows (column "p" has type tsrange, for which no value is generated)',
      '"Child": 0 of 4 rows (column "parentId" references "Parent", which has no rows)',
    ],
  },
  'a CHECK that rejects some rows (a short table)': {
    table: 'Few',
    create: `CREATE TABLE "Few" ("id" INTEGER NOT NULL CHECK ("id" < 3), "note" TEXT, CONSTRAINT "Few_pkey" PRIMARY KEY ("id"));`,
    seeded: ['"Few": 2 of 4 rows (new row for relation "Few" violates check constraint "Few_id_check")'],
  },
};

let root: string;
const env = () => ({ PRISMA_ROLLBACK_CACHE_DIR: process.env.PRISMA_ROLLBACK_CACHE_DIR ?? '' });
const dirOf = (i: number) => path.join(root, `p${i}`);

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pr-verify-unseeded-'));
  for (const [i, s] of Object.values(shapes).entries()) {
    const dir = path.join(dirOf(i), 'prisma', 'migrations');
    await fs.mkdir(path.join(dir, '20240101000000_init'), { recursive: true });
    await fs.mkdir(path.join(dir, '20240102000000_drop_note'));
    await fs.writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    await fs.writeFile(path.join(dir, '20240101000000_init', 'migration.sql'), `${s.create}\n`);
    await fs.writeFile(
      path.join(dir, '20240102000000_drop_note', 'migration.sql'),
      `ALTER TABLE "${s.table}" DROP COLUMN "note";\n`,
    );
    await fs.writeFile(
      path.join(dir, '20240102000000_drop_note', 'down.sql'),
      `ALTER TABLE "${s.table}" ADD COLUMN "note" TEXT;\n`,
    );
  }
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(root, { recursive: true, force: true });
});

const M = ['--migrations', 'prisma/migrations'];

describe('verify --data on a table the seeder could not fill', () => {
  for (const [i, [shape, s]] of Object.entries(shapes).entries()) {
    it(`${shape}: never "round-trips exactly" (cannot prove, or the lost values listed)`, async () => {
      // Without the archive the rollback re-creates "note" empty: on a filled table that is a
      // difference; on this one there were no (or not all) values to lose.
      const r = await runCli(
        ['verify', '20240102000000_drop_note', '--data', '--no-archive', ...M],
        dirOf(i),
        env(),
      );
      expect(r.err).not.toMatch(/at \w+ \(/);
      expect(r.out).not.toMatch(/round-trips exactly/);
      const lines = r.out.trim().split('\n');
      const empty = s.seeded.every((x) => x.includes(' 0 of '));
      if (empty) {
        expect(lines).toEqual([
          '? cannot prove the data round trip of 20240102000000_drop_note:',
          ...s.seeded.map((x) => `  not fully seeded, so its rows are not proven: ${x}`),
        ]);
        expect(r.code).toBe(2);
      } else {
        // the rows that were seeded do lose their values: listed, and the short table named
        expect(lines[0]).toMatch(/^✗ data does not round-trip through 20240102000000_drop_note/);
        expect(lines.slice(-s.seeded.length)).toEqual(s.seeded.map((x) => `  not fully seeded: ${x}`));
        expect(r.code).toBe(1);
      }
      const j = await runCli(
        ['verify', '20240102000000_drop_note', '--data', '--no-archive', '--json', ...M],
        dirOf(i),
        env(),
      );
      expect(j.json().kind).toBe(empty ? 'cannotProve' : 'differences');
      expect(j.json().data.notSeeded).toEqual(s.seeded);
    }, 120_000);
  }

  it('a short table whose seeded rows do round-trip (the archive brings them back): cannot prove, not ✓', async () => {
    const i = Object.keys(shapes).indexOf('a CHECK that rejects some rows (a short table)');
    const r = await runCli(['verify', '20240102000000_drop_note', '--data', ...M], dirOf(i), env());
    expect(r.out.trim().split('\n')).toEqual([
      '? cannot prove the data round trip of 20240102000000_drop_note:',
      `  not fully seeded, so its rows are not proven: ${shapes['a CHECK that rejects some rows (a short table)'].seeded[0]}`,
    ]);
    expect(r.code).toBe(2);
  }, 120_000);
});

describe('conformance (scripts/lib/roundtrip.ts checkDataRoundTrips)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase('unseeded');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('does not count a migration over an empty table as round-tripping', async () => {
    const s = shapes['a NOT NULL column of a type without generated values'];
    const out = await checkDataRoundTrips(
      (sql) => client.query(sql),
      [
        { name: '20240101000000_init', sql: s.create },
        { name: '20240102000000_drop_note', sql: `ALTER TABLE "${s.table}" DROP COLUMN "note";` },
      ],
    );
    expect(out[1]).toMatchObject({
      verdict: 'notChecked',
      kinds: ['tables not fully seeded'],
      detail: [`not fully seeded, so its rows are not proven: ${s.seeded[0]}`],
    });
  }, 120_000);
});
