/** `prisma-rollback down`: writes down.sql beside migration.sql, never over an existing one without --force. */
import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSnapshots, snapshotSchema } from '../../src/core/verify/snapshot';
import { runCliLines } from '../support/cli';
import { createTestDatabase } from '../support/pg';
import { SCHEMA_WITH_URL_ENV, tempProject } from '../support/project';

let root: string;
const migrations: Record<string, string> = {
  '20240101000000_init': `-- CreateTable
CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`,
  '20240102000000_add_name': `-- AlterTable
ALTER TABLE "User" ADD COLUMN "name" TEXT;
`,
  '20240103000000_seed': `-- AlterTable
ALTER TABLE "User" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
UPDATE "User" SET "active" = false;
`,
  '20240104000000_broken': `ALTER TABLE "User" ADD COLUM "x" INT;
`,
};

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCliLines(argv, root);
}

const dirOf = (name: string) => path.join(root, 'prisma', 'migrations', name);

beforeAll(async () => {
  root = (await tempProject({ prefix: 'pr-down-', schema: SCHEMA_WITH_URL_ENV, migrations })).root;
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('prisma-rollback down', () => {
  it('writes down.sql next to migration.sql and reports the summary (exit 0)', async () => {
    const r = await run('down', '20240102000000_add_name', '--migrations', 'prisma/migrations');
    expect(r.code).toBe(0);
    const down = await fs.readFile(path.join(dirOf('20240102000000_add_name'), 'down.sql'), 'utf8');
    expect(down).toContain('ALTER TABLE "User" DROP COLUMN "name";');
    expect(r.out).toMatch(
      /Rollback of 20240102000000_add_name → prisma\/migrations\/20240102000000_add_name\/down.sql: 1 statement, 1 reversed/,
    );
    expect(r.out).toMatch(/WARNING, data loss \(migration.sql:2, down.sql:\d+\)/);
  });

  it('finds the project by discovery and the migration by part of its name', async () => {
    const r = await run('down', 'init', '--project', '.', '--stdout');
    expect(r.code).toBe(0);
    expect(r.out).toContain('DROP TABLE "User";');
    expect(r.out).toContain('DROP INDEX "User_email_key";');
    await expect(fs.stat(path.join(dirOf('20240101000000_init'), 'down.sql'))).rejects.toThrow();
  });

  it('the written down.sql restores the schema on a real PostgreSQL', async () => {
    const db = await createTestDatabase('cli');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(migrations['20240101000000_init']);
      const before = await snapshotSchema((q) => c.query(q));
      await c.query(migrations['20240102000000_add_name']);
      await c.query(await fs.readFile(path.join(dirOf('20240102000000_add_name'), 'down.sql'), 'utf8'));
      expect(compareSnapshots(before, await snapshotSchema((q) => c.query(q)))).toEqual([]);
    } finally {
      await c.end();
      await db.drop();
    }
  });

  it('never overwrites an existing down.sql without --force (nothing lost); --force does', async () => {
    const file = path.join(dirOf('20240102000000_add_name'), 'down.sql');
    // unchanged generated file: up to date
    expect((await run('down', '20240102000000_add_name', '--migrations', 'prisma/migrations')).code).toBe(0);
    const edited = (await fs.readFile(file, 'utf8')).replace(
      'DROP COLUMN "name";',
      'DROP COLUMN "name"; -- checked by Ann',
    );
    await fs.writeFile(file, edited);
    const r = await run('down', '20240102000000_add_name', '--migrations', 'prisma/migrations');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /already exists \(it was edited by hand after it was generated\); nothing was written. Pass --force/,
    );
    expect(await fs.readFile(file, 'utf8')).toBe(edited);
    const beside = await run(
      'down',
      '20240102000000_add_name',
      '--migrations',
      'prisma/migrations',
      '--out',
      path.join(dirOf('20240102000000_add_name'), 'down.new.sql'),
    );
    expect(beside.code).toBe(0);
    expect(await fs.readFile(file, 'utf8')).toBe(edited);
    const forced = await run(
      'down',
      '20240102000000_add_name',
      '--migrations',
      'prisma/migrations',
      '--force',
    );
    expect(forced.code).toBe(0);
    expect(await fs.readFile(file, 'utf8')).not.toContain('checked by Ann');
  });

  it('exits 1 when a step cannot be undone from SQL, and --json describes every statement', async () => {
    const r = await run(
      'down',
      '20240103000000_seed',
      '--migrations',
      'prisma/migrations',
      '--json',
      '--stdout',
    );
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.migration).toBe('20240103000000_seed');
    expect(j.statements.map((s: { kind: string }) => s.kind)).toEqual(['AlterTableStmt', 'UpdateStmt']);
    expect(j.unsupported).toEqual([expect.objectContaining({ line: 3, kind: 'UpdateStmt' })]);
    expect(j.sql).toContain('IRREVERSIBLE');
  });

  it('--strict exits 1 on any warning', async () => {
    expect(
      (await run('down', 'add_name', '--migrations', 'prisma/migrations', '--stdout', '--strict')).code,
    ).toBe(1);
  });

  it('a migration that does not parse: exit 2 with file:line:column', async () => {
    const r = await run('down', 'broken', '--migrations', 'prisma/migrations', '--stdout');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /20240104000000_broken[\\/]migration\.sql:1:24: syntax error at or near "COLUM"|migration\.sql:1:\d+: syntax error/,
    );
  });

  it('unknown or ambiguous migrations and conflicting options are errors (exit 2)', async () => {
    expect((await run('down', 'nope', '--migrations', 'prisma/migrations')).err).toMatch(
      /No migration "nope"/,
    );
    expect((await run('down', '2024', '--migrations', 'prisma/migrations')).err).toMatch(
      /matches several migrations/,
    );
    expect(
      (await run('down', 'init', '--stdout', '--as-migration', '--migrations', 'prisma/migrations')).code,
    ).toBe(2);
    expect((await run('down')).code).toBe(2);
  });

  it('--as-migration writes <timestamp>_rollback_<name>/migration.sql (Method 2)', async () => {
    const r = await run('down', 'add_name', '--migrations', 'prisma/migrations', '--as-migration');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/becomes part of the history/);
    const dirs = (await fs.readdir(path.join(root, 'prisma', 'migrations'))).filter((d) =>
      d.endsWith('_rollback_add_name'),
    );
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^\d{14}_rollback_add_name$/);
    expect(
      await fs.readFile(path.join(root, 'prisma', 'migrations', dirs[0], 'migration.sql'), 'utf8'),
    ).toContain('DROP COLUMN "name"');
  });

  /** The `(forward:line, written:line)` citations of the report's warning lines, with the kind. */
  const citations = (out: string) =>
    out
      .split('\n')
      .map((l) => /^ {2}(IRREVERSIBLE|WARNING, [^(]+) \(([^:]+):(\d+), ([^:]+):(\d+)\): /.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ kind: m[1], forward: m[2], forwardLine: Number(m[3]), file: m[4], line: Number(m[5]) }));

  it('--as-migration: the warnings cite the migration written and the migration undone, by their paths in the project, at the right lines', async () => {
    const r = await run('down', 'seed', '--project', '.', '--as-migration');
    expect(r.code).toBe(1); // the UPDATE is irreversible
    const [dir] = (await fs.readdir(path.join(root, 'prisma', 'migrations'))).filter((d) =>
      d.endsWith('_rollback_seed'),
    );
    const cited = citations(r.out);
    expect(cited.map((c) => [c.kind, c.forward, c.forwardLine, c.file])).toEqual([
      [
        'IRREVERSIBLE',
        'prisma/migrations/20240103000000_seed/migration.sql',
        3,
        `prisma/migrations/${dir}/migration.sql`,
      ],
      [
        'WARNING, data loss',
        'prisma/migrations/20240103000000_seed/migration.sql',
        2,
        `prisma/migrations/${dir}/migration.sql`,
      ],
    ]);
    const written = (await fs.readFile(path.join(root, cited[0].file), 'utf8')).split('\n');
    const forward = (await fs.readFile(path.join(root, cited[0].forward), 'utf8')).split('\n');
    expect(written[cited[0].line - 1]).toMatch(/^-- IRREVERSIBLE: data change \(UPDATE\)/);
    expect(written[cited[1].line - 1]).toBe('-- WARNING (dataLoss): values of "User"."active" are deleted');
    expect(forward[cited[0].forwardLine - 1]).toBe('UPDATE "User" SET "active" = false;');
    expect(forward[cited[1].forwardLine - 1]).toMatch(/^ALTER TABLE "User" ADD COLUMN "active"/);
  });

  it('--out: the warnings cite the file written, by its path in the project', async () => {
    const r = await run('down', '20240102000000_add_name', '--project', '.', '--out', 'down.new.sql');
    expect(r.code).toBe(0);
    const [c] = citations(r.out);
    expect([c.forward, c.forwardLine, c.file]).toEqual([
      'prisma/migrations/20240102000000_add_name/migration.sql',
      2,
      'down.new.sql',
    ]);
    const written = (await fs.readFile(path.join(root, 'down.new.sql'), 'utf8')).split('\n');
    expect(written[c.line - 1]).toBe('-- WARNING (dataLoss): values of "User"."name" are deleted');
  });
});
