/**
 * `--timeout SECONDS` on every command that replays or reads under a limit, not only verify and
 * drift: `resolve` (its schema check replays the history) and `down --partial` (it replays the
 * applied migrations) stop a step that does not finish and name it; `impact`'s limit is the
 * database's statement_timeout, where a limit beyond what the setting holds (over 24.8 days) is
 * no limit, as in the verifier — it was a database error ("outside the valid range").
 * Real PostgreSQL 15, Prisma's engine, the CLI as a process.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgTimeoutMs } from '../../src/core/db';
import { runCliLines } from '../support/cli';
import { deploy } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, type TempProject, tempProject } from '../support/project';

const A = '20240101000000_init';
const B = '20240102000000_hang';
const F = '20240103000000_fails';
// Ends at once on the real database (the table has a row), never in the replay (it is empty there).
// The limit is 15 s: it covers the embedded PostgreSQL's start too (1–4 s on a loaded machine).
const HANG =
  'ALTER TABLE "User" ADD COLUMN "bio" TEXT;\n-- waits for a row\nDO $$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM "User") LOOP END LOOP; END $$;\n';
const FAILS = 'ALTER TABLE "User" ADD COLUMN "nick" TEXT;\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n';

let db: TestDatabase;
let project: TempProject;
let cache: string;
const cli = (...argv: string[]) =>
  runCliLines(argv, project.root, { DATABASE_URL: db.url, PRISMA_ROLLBACK_CACHE_DIR: cache });
const rows = async () =>
  (
    await query<{ migration_name: string; finished_at: Date | null }>(
      db.url,
      'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY started_at',
    )
  ).map((r) => `${r.migration_name}:${r.finished_at ? 'applied' : 'failed'}`);

beforeAll(async () => {
  db = await createTestDatabase('clitimeouts');
  cache = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-timeouts-cache-'));
  project = await tempProject({
    schema: SCHEMA_WITH_URL_ENV,
    migrations: {
      [A]: { sql: 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY);\n', down: 'DROP TABLE "User";\n' },
    },
  });
  await deploy(db.url, path.join(project.root, 'prisma/migrations'));
  await query(db.url, 'INSERT INTO "User" DEFAULT VALUES');
  await fs.mkdir(path.join(project.root, 'prisma/migrations', B));
  await fs.writeFile(path.join(project.root, 'prisma/migrations', B, 'migration.sql'), HANG);
}, 120_000);
afterAll(async () => {
  await project?.cleanup();
  await db?.drop();
  await fs.rm(cache, { recursive: true, force: true });
});

describe('--timeout on resolve, down --partial and impact', () => {
  it('resolve --applied: the schema check stops the step that does not finish, names it, and marks nothing', async () => {
    // B really ran (the table has a row, so it ended); Prisma's row is what resolve is asked to add.
    await query(db.url, HANG);
    const started = performance.now();
    const r = await cli('resolve', '--applied', B, '--env', 'local', '--timeout', '15');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`applied: ${B}/migration.sql (line 3: DO $$ BEGIN WHILE NOT EXISTS`);
    expect(r.err).toContain('did not finish in 15 s');
    expect(r.err).toContain('Nothing was changed. Pass --skip-drift-check to mark it without checking.');
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(await rows()).toEqual([`${A}:applied`]);
  }, 120_000);

  it('down --partial: the replay of the applied migrations stops at the limit and says which step', async () => {
    expect((await cli('resolve', '--applied', B, '--env', 'local', '--skip-drift-check')).code).toBe(0);
    await fs.mkdir(path.join(project.root, 'prisma/migrations', F));
    await fs.writeFile(path.join(project.root, 'prisma/migrations', F, 'migration.sql'), FAILS);
    await expect(deploy(db.url, path.join(project.root, 'prisma/migrations'))).rejects.toThrow();
    expect(await rows()).toEqual([`${A}:applied`, `${B}:applied`, `${F}:failed`]);
    const started = performance.now();
    const r = await cli('down', F, '--partial', '--env', 'local', '--timeout', '15', '--stdout');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${B}/migration.sql (line 3: DO $$ BEGIN WHILE NOT EXISTS`);
    expect(r.err).toContain('did not finish in 15 s');
    expect(r.out).toBe('');
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it('a bad --timeout is one usage line, before any work', async () => {
    for (const argv of [
      ['resolve', '--applied', B, '--env', 'local', '--timeout', 'soon'],
      ['down', F, '--partial', '--env', 'local', '--timeout', '0'],
      ['impact', A, '--env', 'local', '--timeout', '-1'],
    ]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/--timeout is a number of seconds\./);
      // The reason first, then the command's usage.
      expect(r.err.split('\n')[0], argv.join(' ')).toBe('--timeout is a number of seconds.');
      expect(r.err.split('\n')[1], argv.join(' ')).toMatch(/^Usage: prisma-rollback /);
    }
  });

  it('impact: a limit beyond what statement_timeout holds is no limit, not a database error', async () => {
    for (const seconds of ['3000000', 'Infinity', '5']) {
      const r = await cli('impact', A, '--env', 'local', '--timeout', seconds);
      expect(`${r.out}\n${r.err}`, seconds).not.toMatch(/outside the valid range|invalid value/);
      // DROP TABLE "User" destroys its row: counted, exit 1 (data would be lost).
      expect(r.out, seconds).toMatch(/"User"/);
      expect(r.code, seconds).toBe(1);
    }
  });
});

describe('pgTimeoutMs: a limit as statement_timeout and lock_timeout take it', () => {
  it('is a whole number of ms, at least 1 for a positive limit; 0 (none) for none or beyond INT_MAX ms', () => {
    expect([0, -5, Number.NaN, 0.3, 1500.4, 2 ** 31 - 1, 2 ** 31, 3e9, Infinity].map(pgTimeoutMs)).toEqual([
      0, 0, 0, 1, 1500, 2147483647, 0, 0, 0,
    ]);
  });
});
