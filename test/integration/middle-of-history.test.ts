/**
 * Issue 13, item 10: rolling back a migration in the middle of the history (later ones stay
 * applied). apply-down says that `prisma migrate deploy` re-applies it after the later ones — and
 * Prisma's own deploy (the schema engine, real PostgreSQL 15) does exactly that.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statementProgressText } from '../../src/core/runbook/apply-down';
import { reapplyAfterLaterNote } from '../../src/core/status/present-rollback';
import { runCli } from '../support/cli';
import { deploy } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20250101000000_init';
const B = '20250102000000_bio';
const C = '20250103000000_posts';

describe('a rollback in the middle of the history', () => {
  let db: TestDatabase;
  let mig: TempProject;

  beforeEach(async () => {
    db = await createTestDatabase('middle');
    mig = await tempProject({
      schema: SCHEMA_WITH_URL_ENV,
      dotenv: { DATABASE_URL: db.url },
      migrations: {
        [A]: 'CREATE TABLE "user" ("id" INT PRIMARY KEY);\n',
        [B]: {
          sql: 'ALTER TABLE "user" ADD COLUMN "bio" TEXT;\n',
          down: 'ALTER TABLE "user" DROP COLUMN "bio";\n',
        },
        [C]: 'CREATE TABLE "post" ("id" INT PRIMARY KEY);\n',
      },
    });
    await deploy(db.url, mig.dir);
  });
  afterEach(async () => {
    await db.drop();
    await mig.cleanup();
  });

  it('apply-down says deploy re-applies it after the later ones, and deploy does', async () => {
    // The progress line the checklist reads while the task runs: the statement being run.
    const progressFile = path.join(mig.root, 'progress.txt');
    const r = await runCli(['apply-down', B, '--env', 'local'], mig.root, {
      PRISMA_ROLLBACK_PROGRESS_FILE: progressFile,
    });
    expect(r.code).toBe(0);
    expect(await fs.readFile(progressFile, 'utf8')).toBe(statementProgressText(0, 1));
    expect(statementProgressText(0, 1)).toBe('Statement 1 of 1');
    expect(statementProgressText(2, 7)).toBe('Statement 3 of 7');
    expect(r.out).toContain(reapplyAfterLaterNote(B, [C]));
    expect(r.out).toContain(
      `${B} is in the middle of the history: 1 later migration stays applied (${C}). The next \`prisma migrate deploy\` re-applies ${B} after it, not in its original place.`,
    );
    await deploy(db.url, mig.dir);
    const rows = await query(
      db.url,
      `SELECT migration_name AS name FROM _prisma_migrations WHERE rolled_back_at IS NULL ORDER BY started_at`,
    );
    expect(rows.map((x) => x.name)).toEqual([A, C, B]);
  });

  it('says nothing of the kind for the last migration', async () => {
    await fs.writeFile(path.join(mig.dir, C, 'down.sql'), 'DROP TABLE "post";\n');
    const r = await runCli(['apply-down', C, '--env', 'local'], mig.root);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('middle of the history');
    expect(reapplyAfterLaterNote(C, [])).toBeUndefined();
  });
});
