/**
 * Drift on a real PostgreSQL 15: the live schema of a database deployed with Prisma's engine
 * against the replay of its applied migrations in the embedded PostgreSQL (18). None after a
 * deploy (also for a real history: umami), then one test per kind of drift.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/core/db';
import { readMigrationsFolder } from '../../src/core/migrations';
import { disposeEmbeddedVerifier, precheckRollback, type VerifyMigration } from '../../src/core/verify';
import { checkDrift } from '../../src/core/verify/drift';
import { deploy, tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const CORPUS =
  process.env.ROLLBACK_CORPUS_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

const INIT = `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`;
const POST = `CREATE TABLE "Post" (
    "id" SERIAL NOT NULL,
    "title" VARCHAR(200) NOT NULL,
    "authorId" INTEGER NOT NULL,
    "published" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "Post_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
`;

async function folder(dir: string): Promise<VerifyMigration[]> {
  return (await readMigrationsFolder(dir)).migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
}

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

describe('drift against the replay of the applied migrations (PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  beforeEach(async () => {
    db = await createTestDatabase('drift');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await mig.add('20240102000000_post', POST);
    await deploy(db.url, mig.dir);
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });
  const check = async () =>
    checkDrift({ url: db.url, environment: 'staging', migrations: await folder(mig.dir) });

  it('none right after deploy', async () => {
    const r = await check();
    expect(r).toMatchObject({
      kind: 'none',
      lastApplied: '20240102000000_post',
      expected: ['20240101000000_init', '20240102000000_post'],
      differences: [],
    });
  });

  it('a dropped index', async () => {
    await query(db.url, 'DROP INDEX "Post_authorId_idx"');
    const r = await check();
    expect(r.kind === 'drift' && r.differences).toEqual([
      {
        object: 'index "Post_authorId_idx"',
        message: 'index "Post_authorId_idx" is missing on staging (the migrations create it)',
      },
    ]);
  });

  it('an added column', async () => {
    await query(db.url, 'ALTER TABLE "User" ADD COLUMN "nickname" TEXT');
    const r = await check();
    expect(r.kind === 'drift' && r.differences).toEqual([
      {
        object: 'column "User"."nickname"',
        message: 'column "User"."nickname" exists on staging but no applied migration creates it',
      },
    ]);
  });

  it('a changed default', async () => {
    await query(db.url, `ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'ADMIN'`);
    const r = await check();
    expect(r.kind === 'drift' && r.differences).toEqual([
      {
        object: 'column "User"."role"',
        message: `column "User"."role": default is 'ADMIN'::"Role" on staging; the migrations make it 'USER'::"Role"`,
      },
    ]);
  });

  it('a dropped column', async () => {
    await query(db.url, 'ALTER TABLE "Post" DROP COLUMN "published"');
    const r = await check();
    expect(r.kind === 'drift' && r.differences).toEqual([
      {
        object: 'column "Post"."published"',
        message: 'column "Post"."published" is missing on staging (the migrations create it)',
      },
    ]);
  });

  it('impact on a drifted target does not say "no data destroyed" for an object that is not there', async () => {
    await query(db.url, 'DROP TABLE "Post"');
    const pool = createPool(db.url);
    try {
      const r = await precheckRollback(pool, 'DROP TABLE "Post";\n', {
        migrationName: '20240102000000_post',
      });
      expect(r.drifted).toEqual(['"Post"']);
      expect(r.summary).toBe(
        'The target has drifted: "Post" does not exist there although 20240102000000_post is recorded as applied, so down.sql would not run as written and what it would destroy is not known. Compare the schema with its history first (prisma-rollback drift).',
      );
      expect(r.incomplete).toEqual([
        '"Post" does not exist there although 20240102000000_post is recorded as applied: the target has drifted',
      ]);
    } finally {
      await pool.end();
    }
  });

  it('a migration rolled back in _prisma_migrations is not expected; one applied there but not locally cannot be checked', async () => {
    await query(
      db.url,
      `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '20240102000000_post'`,
    );
    const r = await check();
    expect(r.kind).toBe('drift');
    expect(r.kind === 'drift' && r.lastApplied).toBe('20240101000000_init');
    expect(r.kind === 'drift' && r.differences.map((d) => d.message)).toEqual([
      'table "Post" exists on staging but no applied migration creates it',
    ]);
    await mig.remove('20240102000000_post');
    await query(db.url, `UPDATE "_prisma_migrations" SET rolled_back_at = NULL`);
    const r2 = await check();
    expect(r2).toMatchObject({
      kind: 'couldNotCheck',
      reason:
        'staging has applied migration 20240102000000_post that the local folder does not have: the schema they built cannot be replayed.',
    });
  });
});

describe('a ?schema= URL', () => {
  it('replays in that schema, as Prisma applies there: no drift after deploy, then a dropped index', async () => {
    const db = await createTestDatabase('driftschema');
    const mig = await tempMigrations();
    try {
      await mig.add('20240101000000_init', INIT);
      await mig.add('20240102000000_post', POST);
      const url = `${db.url}?schema=app`;
      await deploy(url, mig.dir);
      const migrations = await folder(mig.dir);
      expect(await checkDrift({ url, environment: 'app', migrations })).toMatchObject({
        kind: 'none',
        expected: ['20240101000000_init', '20240102000000_post'],
      });
      await query(db.url, 'DROP INDEX app."Post_authorId_idx"');
      const r = await checkDrift({ url, environment: 'app', migrations });
      expect(r.kind === 'drift' && r.differences.map((d) => d.message)).toEqual([
        'index "app"."Post_authorId_idx" is missing on app (the migrations create it)',
      ]);
    } finally {
      await db.drop();
      await mig.cleanup();
    }
  });
});

describe('a real history deployed on PostgreSQL 15 shows no drift against its replay in the embedded PostgreSQL 18', () => {
  for (const project of ['umami', 'hoppscotch']) {
    it(project, async () => {
      const db = await createTestDatabase('driftcorpus');
      try {
        const dir = path.join(CORPUS, project);
        const applied = await deploy(db.url, dir);
        expect(applied.length).toBeGreaterThan(10);
        const r = await checkDrift({ url: db.url, environment: 'local', migrations: await folder(dir) });
        expect(r.kind === 'couldNotCheck' ? r.reason : r.differences).toEqual([]);
        expect(r.kind).toBe('none');
      } finally {
        await db.drop();
      }
    });
  }
});
