/**
 * What the editor shows of an environment's archive (issue 12), read on a real PostgreSQL 15 after
 * a real `deploy` that archives a dropped column: the Migrations view's index (one read per
 * environment, never throwing), its tooltip lines, the checklist's Backup line, and what Apply
 * restored (the archive entry is gone after apply-down).
 */

import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  archiveBackupLine,
  archiveTooltipLines,
  readArchiveIndex,
  restoredFromArchive,
} from '../../src/core/archive/summary';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { applyDown } from '../../src/core/runbook/apply-down';
import { deployMigrations } from '../../src/core/runbook/resolve';
import { formatDateTime } from '../../src/core/status/time';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { tempMigrations } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const INIT = `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "nickname" TEXT, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));`;
const DROP = `ALTER TABLE "User" DROP COLUMN "nickname";`;
const M = '20240201000000_drop_nickname';

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

describe('archive summary for the editor (real PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  const pools: pg.Pool[] = [];
  const log = () => {};
  const pool = () => {
    const p = new pg.Pool({ connectionString: db.url, max: 1 });
    pools.push(p);
    return p;
  };

  beforeEach(async () => {
    db = await createTestDatabase('archsum');
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    await query(
      db.url,
      `INSERT INTO "User" (email, nickname) VALUES ('a@x.io', 'Ann'), ('b@x.io', NULL), ('c@x.io', 'Cé')`,
    );
  });
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.end().catch(() => {});
    await db.drop();
    await mig.cleanup();
  });

  it('no archive schema yet: known and empty (no badge, no tooltip line, no Backup line)', async () => {
    const index = await readArchiveIndex(pool());
    expect(index).toEqual({ kind: 'known', byMigration: new Map() });
    expect(archiveTooltipLines(undefined, 'local')).toEqual([]);
    expect(archiveBackupLine(undefined, 'local')).toBeUndefined();
  });

  it('after deploy: the migration has its archive (3 rows of User.nickname); after apply-down it is restored and gone', async () => {
    await mig.add(M, DROP);
    const folder = await readMigrationsFolder(mig.dir);
    const history = folder.migrations.map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    await fs.writeFile(path.join(mig.dir, M, 'down.sql'), (await generateRollback(history, 1)).sql);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });

    const index = await readArchiveIndex(pool());
    if (index.kind !== 'known') throw new Error(index.reason);
    expect([...index.byMigration.keys()]).toEqual([M]);
    const a = index.byMigration.get(M)!;
    expect(a.entries.map((e) => [e.table, e.kind, e.rows])).toEqual([['User', 'columns', 3]]);
    expect(a.rows).toBe(3);
    expect(a.bytes).toBe(a.entries[0].bytes);
    const lines = archiveTooltipLines(a, 'production');
    expect(lines[0]).toBe(
      `Archive on *production* (\`_prisma_rollback\`): 1 object, 3 rows, ${lines[0].match(/3 rows, (.+), taken/)![1]}, taken ${formatDateTime(a.takenAt)} — Apply of its rollback restores them`,
    );
    expect(lines[1]).toMatch(/^- columns of `User`: 3 rows, \d/);
    expect(archiveBackupLine(a, 'production')).toBe(
      `Values this migration destroyed are archived in _prisma_rollback on production (3 rows, taken ${formatDateTime(a.takenAt)}); Apply restores them.`,
    );

    await applyDown({ url: db.url, environment: 'local', migrationsDir: mig.dir, migration: M, log });
    const after = await readArchiveIndex(pool());
    if (after.kind !== 'known') throw new Error(after.reason);
    expect(restoredFromArchive(a, after.byMigration.get(M))).toEqual(['columns of User: 3 rows']);
    expect(await query(db.url, 'SELECT email, nickname FROM "User" ORDER BY id')).toEqual([
      { email: 'a@x.io', nickname: 'Ann' },
      { email: 'b@x.io', nickname: null },
      { email: 'c@x.io', nickname: 'Cé' },
    ]);
  });

  it('a role without rights on the archive: unknown with the reason, never a throw', async () => {
    await mig.add(M, DROP);
    await deployMigrations({ url: db.url, environment: 'local', migrationsDir: mig.dir, log });
    const role = `nopriv_${Date.now()}`;
    await query(db.url, `CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    try {
      const u = new URL(db.url);
      u.username = role;
      u.password = 'pw';
      const p = new pg.Pool({ connectionString: u.toString(), max: 1 });
      pools.push(p);
      const index = await readArchiveIndex(p);
      expect(index.kind).toBe('unknown');
      expect(index.kind === 'unknown' && index.reason).toMatch(
        /permission denied for schema _prisma_rollback/,
      );
      await p.end();
      pools.pop();
    } finally {
      await query(db.url, `DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => {});
    }
  });
});
