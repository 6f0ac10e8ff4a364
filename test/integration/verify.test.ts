/**
 * The verifier on small hand-written histories: correct rollbacks are verified, deliberately
 * wrong ones are reported difference by difference, failing scripts are located, results are
 * cached, and the real-server fallback creates and always drops its throwaway database.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initSqlParser } from '../../src/core/sql/parser';
import {
  clearVerifyCache,
  disposeEmbeddedVerifier,
  replayProgressText,
  transactionBody,
  type VerifyMigration,
  type VerifyResult,
  verifyRollback,
} from '../../src/core/verify';
import { adminUrl, query } from '../support/pg';

const history: VerifyMigration[] = [
  {
    name: '20240101000000_init',
    sql: `-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" VARCHAR(200),
    "role" "Role" NOT NULL DEFAULT 'USER',
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
CREATE INDEX "Post_title_idx" ON "Post"("title");

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`,
  },
  {
    name: '20240102000000_profiles',
    sql: `-- DropIndex
DROP INDEX "Post_title_idx";

-- AlterTable
ALTER TABLE "User" ALTER COLUMN "name" SET DATA TYPE TEXT,
ALTER COLUMN "role" DROP DEFAULT;

-- CreateTable
CREATE TABLE "Profile" (
    "id" SERIAL NOT NULL,
    "bio" TEXT,
    "userId" INTEGER NOT NULL,
    CONSTRAINT "Profile_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Profile" ADD CONSTRAINT "Profile_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`,
  },
  {
    name: '20240103000000_guest_role',
    sql: `-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'GUEST';
`,
  },
  {
    name: '20240104000000_post_fk_set_null',
    sql: `-- DropForeignKey
ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";

-- AlterTable
ALTER TABLE "Post" ALTER COLUMN "authorId" DROP NOT NULL;

-- AddForeignKey
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
`,
  },
];

const PROFILES_DOWN = `BEGIN;
DROP TABLE "Profile";
ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';
ALTER TABLE "User" ALTER COLUMN "name" SET DATA TYPE VARCHAR(200);
CREATE INDEX "Post_title_idx" ON "Post"("title");
COMMIT;
`;

const GUEST_DOWN = `ALTER TYPE "Role" RENAME TO "Role_old";
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
ALTER TABLE "User" ALTER COLUMN "role" TYPE "Role" USING ("role"::text::"Role");
DROP TYPE "Role_old";
`;

const FK_DOWN = `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
ALTER TABLE "Post" ALTER COLUMN "authorId" SET NOT NULL;
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
`;

function verify(
  index: number,
  rollbackSql: string,
  extra: Partial<Parameters<typeof verifyRollback>[0]> = {},
) {
  return verifyRollback({ migrations: history, index, rollbackSql, noCache: true, ...extra });
}

function differences(r: VerifyResult): string[] {
  if (r.kind !== 'differences') throw new Error(`expected differences, got ${JSON.stringify(r)}`);
  return r.differences;
}

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

describe('verifyRollback in the embedded PostgreSQL', () => {
  it('verifies correct rollbacks', async () => {
    const progress: string[] = [];
    const r = await verify(1, PROFILES_DOWN, { onProgress: (m) => progress.push(m) });
    expect(r).toMatchObject({ kind: 'verified', replayed: 1, engine: 'embedded', cached: false });
    expect(progress).toContain('Replaying migration 1 of 1: 20240101000000_init');
    expect((await verify(2, GUEST_DOWN)).kind).toBe('verified');
    // The replay's count, for a percentage: the session kept 1..2 from the verification before, so
    // it starts at 2 of 3 (already replayed), then 3 of 3.
    const steps: { done: number; total: number }[] = [];
    expect((await verify(3, FK_DOWN, { onProgress: (_m, st) => st && steps.push(st) })).kind).toBe(
      'verified',
    );
    expect(steps).toEqual([
      { done: 2, total: 3 },
      { done: 3, total: 3 },
    ]);
    expect(replayProgressText(steps[0])).toBe('2 of 3 migrations replayed (66%)');
  });

  it('is not a rubber stamp: each deliberate mistake is reported by name', async () => {
    const without = (line: string) => PROFILES_DOWN.replace(`${line}\n`, '');
    expect(
      differences(await verify(1, without('CREATE INDEX "Post_title_idx" ON "Post"("title");'))),
    ).toEqual(['index "Post_title_idx" is missing']);
    expect(differences(await verify(1, PROFILES_DOWN.replace('VARCHAR(200)', 'VARCHAR(100)')))).toEqual([
      'column "User"."name": type is character varying(100), was character varying(200)',
    ]);
    expect(
      differences(await verify(1, without(`ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'USER';`))),
    ).toEqual([`column "User"."role": default is none, was 'USER'::"Role"`]);
    expect(differences(await verify(1, without('DROP TABLE "Profile";')))).toEqual([
      'table "Profile" is extra',
    ]);
    expect(
      differences(await verify(2, GUEST_DOWN.replace(`ENUM ('USER', 'ADMIN')`, `ENUM ('USER')`))),
    ).toEqual([`enum "Role": value 'ADMIN' is missing`]);
    expect(differences(await verify(2, ''))).toEqual([`enum "Role": value 'GUEST' is extra`]);
    expect(differences(await verify(3, FK_DOWN.replace('ON DELETE CASCADE', 'ON DELETE SET NULL')))).toEqual([
      'constraint "Post_authorId_fkey" on "Post": is FOREIGN KEY ("authorId") REFERENCES "User"(id) ON UPDATE CASCADE ON DELETE SET NULL, was FOREIGN KEY ("authorId") REFERENCES "User"(id) ON UPDATE CASCADE ON DELETE CASCADE',
    ]);
    // two mistakes at once: both reported
    expect(
      differences(
        await verify(
          1,
          without('DROP TABLE "Profile";').replace('CREATE INDEX "Post_title_idx" ON "Post"("title");\n', ''),
        ),
      ),
    ).toEqual(['table "Profile" is extra', 'index "Post_title_idx" is missing']);
  });

  it('reports a rollback that fails with its line and column', async () => {
    const broken = `BEGIN;\nDROP TABLE "Profile";\nALTER TABLE "Usr" ALTER COLUMN "role" SET DEFAULT 'USER';\nCOMMIT;\n`;
    const r = await verify(1, broken, { rollbackPath: '/p/migrations/20240102000000_profiles/down.sql' });
    expect(r.kind).toBe('differences');
    if (r.kind !== 'differences') return;
    expect(r.failure).toMatchObject({ script: 'down.sql', line: 3, column: 13, code: '42P01' });
    expect(r.failure?.message).toBe('relation "Usr" does not exist');
    expect(r.differences).toEqual([
      'down.sql failed to apply: /p/migrations/20240102000000_profiles/down.sql:3:13: relation "Usr" does not exist (42P01)',
    ]);
  });

  it('reports a migration of the history that fails, with its name, line and column', async () => {
    const bad: VerifyMigration[] = [
      history[0],
      {
        name: '20240101500000_typo',
        sql: 'CREATE TABLE "A" ("id" INT);\n\nALTER TABLE "Psot"\n  ADD COLUMN "x" INT;\n',
      },
      ...history.slice(1),
    ];
    const r = await verifyRollback({ migrations: bad, index: 2, rollbackSql: PROFILES_DOWN, noCache: true });
    expect(r.kind).toBe('couldNotVerify');
    if (r.kind !== 'couldNotVerify') return;
    expect(r.failure).toMatchObject({
      script: '20240101500000_typo',
      line: 3,
      column: 13,
      message: 'relation "Psot" does not exist',
    });
    expect(r.reason).toContain('Migration 20240101500000_typo failed to apply in the embedded PostgreSQL');
    expect(r.reason).toContain(':3:13: relation "Psot" does not exist');
  });

  it('runs scripts that need their own transaction outside one, and keeps reusing the replayed state', async () => {
    await initSqlParser();
    const concurrent: VerifyMigration[] = [
      ...history,
      {
        name: '20240105000000_concurrent_index',
        sql: 'CREATE INDEX CONCURRENTLY "Post_title_idx2" ON "Post"("title");\n',
      },
      {
        name: '20240105500000_two_transactions',
        sql: 'BEGIN;\nCREATE TABLE "Tag" ("id" INT);\nCOMMIT;\nBEGIN;\nCREATE INDEX "Tag_id_idx" ON "Tag"("id");\nCOMMIT;\n',
      },
      { name: '20240106000000_comment', sql: `COMMENT ON TABLE "Post" IS 'posts';\n` },
    ];
    expect(transactionBody(concurrent[5].sql)).toBeUndefined();
    expect(transactionBody(concurrent[4].sql)).toBe(
      'CREATE INDEX              "Post_title_idx2" ON "Post"("title");\n',
    );
    expect(transactionBody(PROFILES_DOWN)).not.toContain('BEGIN');
    expect(transactionBody('BEGIN;\nSELECT 1;\nCOMMIT;\nVACUUM;')).toBeUndefined();
    const down = 'DROP INDEX CONCURRENTLY "Post_title_idx2";\n';
    const a = await verifyRollback({ migrations: concurrent, index: 4, rollbackSql: down, noCache: true });
    expect(a.kind).toBe('verified');
    const b = await verifyRollback({
      migrations: concurrent,
      index: 4,
      rollbackSql: 'SELECT 1;',
      noCache: true,
    });
    expect(differences(b)).toEqual(['index "Post_title_idx2" is extra']);
    // outside a transaction: the replayed state is saved, and restored before the next use
    const progress: string[] = [];
    const e = await verifyRollback({
      migrations: concurrent,
      index: 5,
      rollbackSql: 'DROP TABLE "Tag";',
      noCache: true,
      onProgress: (m) => progress.push(m),
    });
    expect(e).toMatchObject({ kind: 'verified', replayed: 5 });
    expect(progress).toContain('Saving the replayed state');
    const f = await verifyRollback({
      migrations: concurrent,
      index: 5,
      rollbackSql: 'DROP INDEX "Tag_id_idx";',
      noCache: true,
      onProgress: (m) => progress.push(m),
    });
    expect(differences(f)).toEqual(['table "Tag" is extra']);
    expect(progress).toContain('Restoring the replayed state');
    // the state was restored: the next migration's rollback is judged against the right schema
    const c = await verifyRollback({
      migrations: concurrent,
      index: 6,
      rollbackSql: 'COMMENT ON TABLE "Post" IS NULL;',
      noCache: true,
    });
    expect(c).toMatchObject({ kind: 'verified', replayed: 6 });
    const d = await verifyRollback({
      migrations: concurrent,
      index: 6,
      rollbackSql: 'SELECT 1;',
      noCache: true,
    });
    expect(differences(d)).toEqual([`comment on table "Post" is extra: 'posts'`]);
  });

  it('caches results by the checksums of migrations 1..N and of the rollback, in memory and on disk', async () => {
    const cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'verify-cache-'));
    clearVerifyCache();
    try {
      const first = await verifyRollback({
        migrations: history,
        index: 1,
        rollbackSql: PROFILES_DOWN,
        cacheDir,
      });
      expect(first).toMatchObject({ kind: 'verified', cached: false });
      const again = await verifyRollback({
        migrations: history,
        index: 1,
        rollbackSql: PROFILES_DOWN,
        cacheDir,
      });
      expect(again).toMatchObject({
        kind: 'verified',
        cached: true,
        key: first.kind === 'verified' ? first.key : '',
      });
      expect(await fs.readdir(cacheDir)).toEqual([`${(first as { key: string }).key}.json`]);
      clearVerifyCache();
      const fromDisk = await verifyRollback({
        migrations: history,
        index: 1,
        rollbackSql: PROFILES_DOWN,
        cacheDir,
      });
      expect(fromDisk).toMatchObject({ kind: 'verified', cached: true });
      // any change invalidates: the rollback, or an earlier migration
      const changedDown = await verifyRollback({
        migrations: history,
        index: 1,
        rollbackSql: `${PROFILES_DOWN}\n`,
        cacheDir,
      });
      expect(changedDown.kind === 'verified' && changedDown.cached).toBe(false);
      const edited = [
        { ...history[0], sql: `${history[0].sql}\nCREATE TABLE "Extra" ("id" INT);\n` },
        ...history.slice(1),
      ];
      const changedHistory = await verifyRollback({
        migrations: edited,
        index: 1,
        rollbackSql: PROFILES_DOWN,
        cacheDir,
      });
      expect(changedHistory).toMatchObject({ kind: 'verified', cached: false, replayed: 1 });
      // a later migration does not take part in the key
      const later = [...history, { name: '20991231000000_later', sql: 'CREATE TABLE "Later" ("id" INT);' }];
      expect(
        await verifyRollback({ migrations: later, index: 1, rollbackSql: PROFILES_DOWN, cacheDir }),
      ).toMatchObject({
        cached: true,
      });
    } finally {
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('can be cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await disposeEmbeddedVerifier();
    const r = await verify(1, PROFILES_DOWN, { signal: controller.signal });
    expect(r).toMatchObject({ kind: 'couldNotVerify', cancelled: true });
  });

  it('a cancel that arrives as an event while the history replays stops it (the run yields to the event loop)', async () => {
    await disposeEmbeddedVerifier();
    const long: VerifyMigration[] = Array.from({ length: 300 }, (_, i) => ({
      name: `2023${String(i).padStart(10, '0')}_t${i}`,
      sql: `CREATE TABLE "T${i}" ("id" INT PRIMARY KEY);\n`,
    }));
    const controller = new AbortController();
    const progress: string[] = [];
    const r = await verifyRollback({
      migrations: long,
      index: long.length - 1,
      rollbackSql: `DROP TABLE "T${long.length - 1}";`,
      noCache: true,
      signal: controller.signal,
      // An event queued from inside the run, as an editor's Cancel button would be: it can only be
      // handled if the run gives the event loop a turn.
      onProgress: (m) => {
        progress.push(m);
        if (/Replaying migration/.test(m) && progress.length < 3) setImmediate(() => controller.abort());
      },
    });
    expect(r).toMatchObject({ kind: 'couldNotVerify', cancelled: true });
    expect(progress.some((m) => /Replaying migration 300 /.test(m))).toBe(false);
  });
});

describe('extensions', () => {
  const withExtension = (ext: string): VerifyMigration[] => [
    { name: '20230101000000_extension', sql: `CREATE EXTENSION IF NOT EXISTS "${ext}";\n` },
    ...history,
  ];

  it('loads the contrib extensions the history creates into the embedded PostgreSQL', async () => {
    const migrations: VerifyMigration[] = [
      {
        name: '20230101000000_extensions',
        sql: 'CREATE EXTENSION IF NOT EXISTS "pgcrypto";\nCREATE EXTENSION IF NOT EXISTS citext;\n',
      },
      {
        name: '20230102000000_tokens',
        sql: 'CREATE TABLE "Token" ("id" UUID NOT NULL DEFAULT gen_random_uuid(), "email" CITEXT);\n',
      },
      {
        name: '20230103000000_trgm',
        sql: 'CREATE EXTENSION pg_trgm;\nCREATE INDEX "Token_email_trgm" ON "Token" USING gin ("email" gin_trgm_ops);\n',
      },
    ];
    const r = await verifyRollback({
      migrations,
      index: 2,
      rollbackSql: 'DROP INDEX "Token_email_trgm";\nDROP EXTENSION pg_trgm;\n',
      noCache: true,
    });
    expect(r).toMatchObject({ kind: 'verified', engine: 'embedded' });
    const wrong = await verifyRollback({
      migrations,
      index: 2,
      rollbackSql: 'DROP INDEX "Token_email_trgm";\n',
      noCache: true,
    });
    expect(differences(wrong)).toEqual(['extension pg_trgm is extra']);
  });

  it('says why it cannot verify when an extension is missing, and verifies on the shadow server instead', async () => {
    const migrations = withExtension('dblink');
    const r = await verifyRollback({ migrations, index: 2, rollbackSql: PROFILES_DOWN, noCache: true });
    expect(r).toMatchObject({
      kind: 'couldNotVerify',
      reason:
        'Cannot verify here: extension "dblink" is not available in the embedded PostgreSQL; set prismaRollback.shadowDatabaseUrl to verify on a real server.',
    });
    const progress: string[] = [];
    const onServer = await verifyRollback({
      migrations,
      index: 2,
      rollbackSql: PROFILES_DOWN,
      shadowDatabaseUrl: adminUrl(),
      noCache: true,
      onProgress: (m) => progress.push(m),
    });
    expect(onServer).toMatchObject({ kind: 'verified', engine: 'server', replayed: 2 });
    expect(progress.join('\n')).not.toContain('test-secret-pw');
    const wrongOnServer = await verifyRollback({
      migrations,
      index: 2,
      rollbackSql: PROFILES_DOWN.replace('DROP TABLE "Profile";\n', ''),
      shadowDatabaseUrl: adminUrl(),
      noCache: true,
    });
    expect(differences(wrongOnServer)).toEqual(['table "Profile" is extra']);
    expect(await leftoverDatabases()).toEqual([]);
  });

  it('tries the shadow server when the history does not apply in the embedded PostgreSQL (a platform role)', async () => {
    const role = `verify_role_${Date.now()}`;
    await query(adminUrl(), `CREATE ROLE ${role}`);
    try {
      const migrations: VerifyMigration[] = [
        ...history.slice(0, 2),
        { name: '20240102500000_grants', sql: `GRANT SELECT ON "Profile" TO ${role};\n` },
        ...history.slice(2),
      ];
      const embedded = await verifyRollback({ migrations, index: 3, rollbackSql: GUEST_DOWN, noCache: true });
      expect(embedded).toMatchObject({
        kind: 'couldNotVerify',
        failure: { script: '20240102500000_grants', code: '42704' },
      });
      if (embedded.kind === 'couldNotVerify')
        expect(embedded.reason).toMatch(
          /If it applies on your servers, set prismaRollback\.shadowDatabaseUrl to verify on a real server\.$/,
        );
      const fallback = await verifyRollback({
        migrations,
        index: 3,
        rollbackSql: GUEST_DOWN,
        shadowDatabaseUrl: adminUrl(),
        noCache: true,
      });
      expect(fallback).toMatchObject({ kind: 'verified', engine: 'server', replayed: 3 });
      expect(await leftoverDatabases()).toEqual([]);
    } finally {
      await query(adminUrl(), `DROP ROLE ${role}`).catch(() => {});
    }
  });

  it('drops the throwaway database also when a migration fails on the server', async () => {
    const migrations = [...withExtension('dblink')];
    migrations.splice(2, 0, {
      name: '20240101500000_broken',
      sql: 'SELECT 1;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n',
    });
    const r = await verifyRollback({
      migrations,
      index: 3,
      rollbackSql: PROFILES_DOWN,
      shadowDatabaseUrl: adminUrl(),
      noCache: true,
    });
    expect(r).toMatchObject({
      kind: 'couldNotVerify',
      engine: 'server',
      failure: {
        script: '20240101500000_broken',
        line: 2,
        column: 13,
        message: 'relation "Nope" does not exist',
      },
    });
    if (r.kind === 'couldNotVerify') expect(r.reason).toContain('on the shadow database server');
    expect(await leftoverDatabases()).toEqual([]);
  });

  it('drops the databases the scripts created on the shadow server, never one that existed before', async () => {
    const stamp = Date.now();
    const made = `rb_reports_${stamp}`;
    const kept = `rb_keep_${stamp}`;
    const quoted = `Rb Mixed ${stamp}`;
    await query(adminUrl(), `CREATE DATABASE ${kept}`);
    const names = async () =>
      (await query<{ datname: string }>(adminUrl(), 'SELECT datname FROM pg_database')).map((r) => r.datname);
    try {
      const migrations: VerifyMigration[] = [
        // Cluster-wide, outside the throwaway database: replayed, then left behind (the next
        // verification then failed with "already exists").
        { name: '20240101000000_reports', sql: `CREATE DATABASE ${made.toUpperCase()};\n` },
        // CREATE DATABASE runs alone: a script of several statements is one transaction block.
        { name: '20240101500000_archive', sql: `CREATE DATABASE "${quoted}";\n` },
        {
          name: '20240102000000_init',
          sql: `-- CREATE DATABASE ${kept}\nCREATE TABLE "t" ("id" INTEGER);\n`,
        },
        { name: '20240103000000_drop', sql: `DROP DATABASE "${quoted}";\n` },
      ];
      for (let round = 0; round < 2; round++) {
        const r = await verifyRollback({
          migrations,
          index: 3,
          // The rollback re-creates the dropped database (a quoted name, as written).
          rollbackSql: `CREATE DATABASE "${quoted}";\n`,
          engine: 'server',
          shadowDatabaseUrl: adminUrl(),
          noCache: true,
        });
        // Fail closed: a database's creation is not compared, so it is not "verified".
        expect(r, `round ${round}`).toMatchObject({
          kind: 'cannotProve',
          engine: 'server',
          reasons: [
            '20240103000000_drop/migration.sql:1: Dropdb (its effect is not compared)',
            'down.sql:1: Createdb (its effect is not compared)',
          ],
        });
        const now = await names();
        expect(now).not.toContain(made);
        expect(now).not.toContain(quoted);
        expect(now).toContain(kept);
        expect(await leftoverDatabases()).toEqual([]);
      }
    } finally {
      for (const d of [made, quoted, kept]) await query(adminUrl(), `DROP DATABASE IF EXISTS "${d}"`);
    }
  });

  it('reports an unreachable shadow server without its password', async () => {
    const u = new URL(adminUrl());
    u.port = '1';
    const r = await verifyRollback({
      migrations: withExtension('dblink'),
      index: 2,
      rollbackSql: PROFILES_DOWN,
      shadowDatabaseUrl: u.toString(),
      noCache: true,
    });
    expect(r.kind).toBe('couldNotVerify');
    if (r.kind === 'couldNotVerify') {
      expect(r.reason).toMatch(/^Cannot use the shadow database server: Connection refused/);
      expect(r.reason).not.toContain('test-secret-pw');
    }
  });
});

async function leftoverDatabases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(
    adminUrl(),
    `SELECT datname FROM pg_database WHERE datname LIKE 'prisma_rollback_verify_%'`,
  );
  return rows.map((r) => r.datname);
}
