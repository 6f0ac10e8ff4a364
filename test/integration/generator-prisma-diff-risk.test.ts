/**
 * The `prismaDiff` strategy gets the same per-step data-loss analysis as the statement generator
 * (issue 10, kind 1; `../shared/cases/prismadiff-rename-down-unflagged-loss`): Prisma's differ
 * turns a hand-written RENAME COLUMN back into DROP + ADD, which loses every value and fails on a
 * table with rows. The warnings must say so, and `--strict` must exit 1.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchemaModelSync } from '../../src/core/generator';
import { renderPrismaDiffRollback } from '../../src/core/generator/rollback';
import { initSqlParser } from '../../src/core/sql';
import { runCliLines } from '../support/cli';
import { tempProject } from '../support/project';

const CASE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'cases',
  'prismadiff-rename-down-unflagged-loss',
);
const INLINE: Record<string, string> = {
  '20250101000000_data_link':
    'CREATE TABLE "data_link" ("id" TEXT NOT NULL, "provider" TEXT NOT NULL, "host" TEXT NOT NULL, CONSTRAINT "data_link_pkey" PRIMARY KEY ("id"));\n',
  '20250102000000_rename_provider': 'ALTER TABLE "data_link" RENAME COLUMN "provider" TO "engine_kind";\n',
};

let root: string;
async function run(...argv: string[]) {
  return runCliLines(argv, root);
}

beforeAll(async () => {
  await initSqlParser();
  const fromCase = await fs.readdir(path.join(CASE, 'migrations')).catch(() => null);
  const project = await tempProject({ prefix: 'pr-prismadiff-risk-', migrations: fromCase ? {} : INLINE });
  root = project.root;
  if (fromCase) await fs.cp(path.join(CASE, 'migrations'), project.dir, { recursive: true });
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('prismaDiff rollbacks carry the data-loss analysis', () => {
  it('case prismadiff-rename-down-unflagged-loss: DROP + ADD of a renamed column is flagged, --strict exits 1', async () => {
    const names = (await fs.readdir(path.join(root, 'prisma', 'migrations')))
      .filter((n) => /^\d/.test(n))
      .sort();
    const r = await run(
      'down',
      names[1],
      '--strategy',
      'prismaDiff',
      '--strict',
      '--stdout',
      '--migrations',
      'prisma/migrations',
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /WARNING \(dataLoss\).*values of ("public"\.)?"data_link"\."engine_kind" are deleted/,
    );
    expect(r.out).toMatch(
      /WARNING \(needsBackfill\).*("public"\.)?"data_link"\."provider" is added NOT NULL without a default/,
    );
  }, 120_000);

  it('each destructive shape of a foreign script gets its warning kind, with the down.sql line', () => {
    const history = [
      {
        name: '1_init',
        sql: 'CREATE TABLE "t" ("id" INT PRIMARY KEY, "a" TEXT, "b" TEXT NOT NULL DEFAULT \'\');\nCREATE TABLE "gone" ("id" INT);',
      },
    ];
    const { model } = buildSchemaModelSync(history);
    const script = [
      'DROP TABLE "gone";',
      'ALTER TABLE "t" DROP COLUMN "a", ADD COLUMN "c" TEXT NOT NULL;',
      'ALTER TABLE "t" ALTER COLUMN "b" SET DATA TYPE INTEGER USING "b"::integer;',
      'ALTER TABLE "t" ALTER COLUMN "b" SET NOT NULL;',
      'CREATE UNIQUE INDEX "t_b_key" ON "t"("b");',
      'ALTER TABLE "t" ADD COLUMN "d" TEXT NOT NULL DEFAULT \'x\';',
    ].join('\n');
    const r = renderPrismaDiffRollback({ name: '2_x', sql: 'SELECT 1;' }, script, model);
    expect(r.warnings.map((w) => [w.line, w.kind])).toEqual([
      [1, 'dataLoss'],
      [2, 'dataLoss'],
      [2, 'needsBackfill'],
      [2, 'dataNotRestored'],
      [3, 'mayFail'],
      [4, 'mayFail'],
      [5, 'mayFail'],
    ]);
    const lines = r.sql.split('\n');
    for (const w of r.warnings) expect(lines[w.downLine! - 1]).toBe(script.split('\n')[w.line - 1]);
    expect(r.summary.flagged).toBe(5);
  });
});
