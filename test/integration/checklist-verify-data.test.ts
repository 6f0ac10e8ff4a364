/**
 * The checklist's verify step with the data (issue 12), through the core service the editor calls
 * (verifyRollbackScript with `data`), in the embedded PostgreSQL: with the archive a dropped column
 * round-trips ("identical", rows compared); with the rollback alone (a backup in play) the lost
 * values are listed; a table the seeder cannot fill makes it "could not check", never identical.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRollbackScript } from '../../src/core/runbook/services';
import { disposeEmbeddedVerifier } from '../../src/core/verify';

const INIT = `CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "nickname" VARCHAR(30),
  CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
`;
const DROP = '20240102000000_drop_nickname';
let root: string;

async function project(name: string, init: string): Promise<string> {
  const dir = path.join(root, name, 'prisma', 'migrations');
  await fs.mkdir(path.join(dir, '20240101000000_init'), { recursive: true });
  await fs.writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  await fs.writeFile(path.join(dir, '20240101000000_init', 'migration.sql'), init);
  await fs.mkdir(path.join(dir, DROP));
  await fs.writeFile(path.join(dir, DROP, 'migration.sql'), 'ALTER TABLE "User" DROP COLUMN "nickname";\n');
  await fs.writeFile(
    path.join(dir, DROP, 'down.sql'),
    'ALTER TABLE "User" ADD COLUMN "nickname" VARCHAR(30);\n',
  );
  return dir;
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pr-checklist-data-'));
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(root, { recursive: true, force: true });
});

describe('checklist verify step: the data proof (embedded PostgreSQL)', () => {
  it('with the archive: identical, rows compared; without data: no data result', async () => {
    const dir = await project('plain', INIT);
    const r = await verifyRollbackScript(dir, DROP, { data: 'archive' });
    expect(r.result).toBe('verified');
    expect(r.data).toEqual({
      result: 'identical',
      tables: 1,
      rows: 4,
      archive: true,
      lines: [],
      summary:
        'Data: identical — 4 rows in 1 table read the same before the migration and after the rollback and the archive.',
    });
    expect(r.summary).toMatch(/^Verified against .* Data: identical — 4 rows in 1 table/);
    const schemaOnly = await verifyRollbackScript(dir, DROP);
    expect(schemaOnly.data).toBeUndefined();
    expect(schemaOnly.summary).not.toContain('Data:');
  }, 180_000);

  it('a backup in play (rollback alone): the values the rollback does not bring back are listed', async () => {
    const dir = await project('alone', INIT);
    const r = await verifyRollbackScript(dir, DROP, { data: 'rollbackAlone' });
    expect(r.result).toBe('verified');
    expect(r.data?.result).toBe('differences');
    expect(r.data?.summary).toBe(
      'Data: 3 differences over 4 rows in 1 table through the rollback alone (no archive): values the rollback does not bring back.',
    );
    expect(r.data?.lines).toHaveLength(3);
    for (const line of r.data!.lines) expect(line).toMatch(/^"User": row id=\d: "nickname" '.+' → NULL$/);
  }, 180_000);

  it('a table the seeder cannot fill: could not check, naming it — never identical', async () => {
    const dir = await project(
      'impossible',
      `${INIT}CREATE TABLE "Impossible" ("x" INTEGER NOT NULL CHECK ("x" > 5 AND "x" < 5));\n`,
    );
    const r = await verifyRollbackScript(dir, DROP, { data: 'archive' });
    expect(r.data?.result).toBe('couldNotCheck');
    expect(r.data?.lines).toEqual([
      expect.stringMatching(
        /^not fully seeded, so its rows are not proven: "Impossible": 0 of \d+ rows \(.*check constraint/,
      ),
    ]);
    expect(r.data?.summary).toMatch(/^Data: could not check — 1 table could not be seeded \("Impossible": /);
    expect(r.summary).not.toContain('identical');
  }, 180_000);
});
