/**
 * The generator against real histories on a real PostgreSQL: every migration of umami and
 * hoppscotch (and a sample of the larger projects) is applied, rolled back with its generated
 * down.sql, compared with the catalog before it, and applied again.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrationsFolder } from '../../src/core/migrations';
import { initSqlParser, type MigrationSource } from '../../src/core/sql';
import { checkRollbacks, roundTripOk, type RoundTripOutcome } from '../../src/core/sql/roundtrip';
import { createTestDatabase, type TestDatabase } from '../support/pg';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');

async function history(project: string): Promise<MigrationSource[]> {
  const folder = await readMigrationsFolder(path.join(CORPUS, project));
  return folder.migrations.filter((m) => m.sql !== undefined).map((m) => ({ name: m.name, sql: m.sql! }));
}

function report(outcomes: RoundTripOutcome[]): string[] {
  return outcomes
    .filter((o) => !o.skipped && !roundTripOk(o))
    .map(
      (o) =>
        `${o.name}: ${o.applyError ? `apply: ${o.applyError}` : o.downError ? `down.sql: ${o.downError}` : o.reapplyError ? `re-apply: ${o.reapplyError}` : o.differences.join('; ')}`,
    );
}

describe.skipIf(!fs.existsSync(CORPUS))('rollbacks of real histories round-trip on PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    await initSqlParser();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  for (const project of (process.env.ROLLBACK_CORPUS ?? 'umami,hoppscotch').split(',')) {
    it(`${project}: every migration`, async () => {
      db = await createTestDatabase('gen');
      client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const h = await history(project);
      const outcomes = await checkRollbacks((sql) => client.query(sql), h);
      await client.end();
      await db.drop();
      expect(outcomes.length).toBe(h.length);
      expect(report(outcomes)).toEqual([]);
    });
  }
});
