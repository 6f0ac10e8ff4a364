/**
 * A migration that changes data inside a DO block (issue 12), on a real PostgreSQL 15: the deploy
 * archives what the parse tree shows (a dropped column) and says plainly, for that migration and
 * line, that the DO block's data changes are not archived; the rollback restores the column and
 * leaves what the block changed as it is (fail closed: nothing is claimed that is not done).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { applyDown } from '../../src/core/runbook/apply-down';
import { deployMigrations } from '../../src/core/runbook/resolve';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const M = '20240201000000_lower_emails';

describe('DO block: not archived, said so (real PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);

  beforeEach(async () => {
    lines.length = 0;
    db = await createTestDatabase('doblock');
    mig = await tempMigrations();
    await mig.add(
      '20240101000000_init',
      'CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "age" INTEGER, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n',
    );
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    await query(db.url, `INSERT INTO "User" (email, age) VALUES ('A@X.IO', 31), ('B@X.IO', NULL)`);
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  it('deploy warns for the migration and line; apply-down restores the column, not the block', async () => {
    await mig.add(
      M,
      'ALTER TABLE "User" DROP COLUMN "age";\n\nDO $$ BEGIN UPDATE "User" SET "email" = lower("email"); END $$;\n',
    );
    const folder = await readMigrationsFolder(mig.dir);
    const history = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    await fs.writeFile(path.join(mig.dir, M, 'down.sql'), (await generateRollback(history, 1)).sql);
    lines.length = 0;
    expect(
      (await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log })).applied,
    ).toEqual([M]);
    expect(lines).toContain(
      `  WARNING ${M} line 3: data changed inside a DO block is not archived — a rollback cannot restore what it changes; keep a backup taken before this deploy.`,
    );
    await applyDown({ url: db.url, environment: 'local', migrationsDir: mig.dir, migration: M, log });
    expect(await query(db.url, 'SELECT id, email, age FROM "User" ORDER BY id')).toEqual([
      { id: 1, email: 'a@x.io', age: 31 },
      { id: 2, email: 'b@x.io', age: null },
    ]);
  });

  it('--no-archive: no archive claim, no DO warning of the archive', async () => {
    await mig.add(M, 'DO $$ BEGIN UPDATE "User" SET "email" = lower("email"); END $$;\n');
    lines.length = 0;
    await deployMigrations({
      url: db.url,
      environment: 'local',
      migrationsDir: mig.dir,
      log,
      archive: { enabled: false },
    });
    expect(lines.filter((l) => l.includes('DO block'))).toEqual([]);
  });
});
