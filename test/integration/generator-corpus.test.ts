/**
 * The generator against real histories on a real PostgreSQL: migrations of the corpus projects
 * are applied one by one; each checked one is rolled back with its generated down.sql inside a
 * transaction, its catalog compared with the one before it, and applied again
 * (scripts/lib/roundtrip.ts). umami, hoppscotch and rallly are checked in full, documenso and
 * langfuse on a sample (the whole corpus: `npm run conformance -- --verify`).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRollbacks, type RoundTripOutcome, roundTripVerdict } from '../../scripts/lib/roundtrip';
import type { MigrationSource } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { initSqlParser } from '../../src/core/sql';
import { createTestDatabase } from '../support/pg';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');

async function history(project: string): Promise<MigrationSource[]> {
  const folder = await readMigrationsFolder(path.join(CORPUS, project));
  return folder.migrations.filter((m) => m.sql !== undefined).map((m) => ({ name: m.name, sql: m.sql! }));
}

function describeOutcome(o: RoundTripOutcome): string {
  const why = o.applyError
    ? `apply: ${o.applyError}`
    : o.downError
      ? `down.sql: ${o.downError}`
      : o.reapplyError
        ? `re-apply: ${o.reapplyError}`
        : o.differences.join('; ');
  return `${o.name}: ${why}`;
}

async function check(project: string, every: number) {
  const db = await createTestDatabase('gen');
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  client.on('notice', () => {});
  try {
    const h = await history(project);
    const outcomes = await checkRollbacks((sql) => client.query(sql), h, { only: (i) => i % every === 0 });
    const verdicts = outcomes.map(roundTripVerdict);
    return { h, outcomes, verdicts };
  } finally {
    await client.end();
    await db.drop();
  }
}

describe.skipIf(!fs.existsSync(CORPUS))('rollbacks of real histories round-trip on PostgreSQL', () => {
  beforeAll(async () => {
    await initSqlParser();
  });

  for (const [project, every] of [
    ['umami', 1],
    ['hoppscotch', 1],
    ['rallly', 1],
    ['documenso', 5],
    ['langfuse', 12],
  ] as const) {
    it(`${project}: ${every === 1 ? 'every migration' : `every ${every}th migration`} restores the schema exactly, or fails only where flagged`, async () => {
      const { h, outcomes, verdicts } = await check(project, every);
      const checked = verdicts.filter((v) => v !== 'skipped').length;
      expect(checked).toBe(Math.ceil(h.length / every));
      // nothing unannounced, and the history itself applies
      expect(
        outcomes
          .filter((_, i) => verdicts[i] === 'failed' || verdicts[i] === 'historyBroken')
          .map(describeOutcome),
      ).toEqual([]);
      // flagged failures stay the exception
      expect(verdicts.filter((v) => v === 'restored').length).toBeGreaterThanOrEqual(checked * 0.95);
    });
  }
});
