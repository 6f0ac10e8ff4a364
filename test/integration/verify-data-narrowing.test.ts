/**
 * `verify --data` never says "round-trips exactly" through a type change that narrows the values
 * (and a rollback that widens them back): the seeded values carry all the precision their type
 * declares, so a value the narrower type cannot hold changes, and the change is listed. Seeds such
 * as 11.5 (exact in `real`) or 91.50 (exact at scale 1) made such a round trip look exact while a
 * real value (0.1, 91.57) is changed by it. Real embedded PostgreSQL (PGlite) through the CLI.
 */
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { runCli } from '../support/cli';
import { tempProject } from '../support/project';

const narrowing: Record<string, { column: string; to: string; back: string }> = {
  '20240102000000_double_to_real': { column: 'f', to: 'REAL', back: 'DOUBLE PRECISION' },
  '20240103000000_decimal_scale': { column: 'd', to: 'DECIMAL(65,2)', back: 'DECIMAL(65,30)' },
  '20240104000000_numeric_scale': { column: 'n', to: 'NUMERIC(10,1)', back: 'NUMERIC(10,2)' },
  '20240105000000_time_precision': { column: 't', to: 'TIME(0)', back: 'TIME(6)' },
};

let root: string;
const env = () => ({ PRISMA_ROLLBACK_CACHE_DIR: process.env.PRISMA_ROLLBACK_CACHE_DIR ?? '' });

beforeAll(async () => {
  const migrations: Record<string, { sql: string; down?: string }> = {
    '20240101000000_init': {
      sql: 'CREATE TABLE "m" ("id" SERIAL PRIMARY KEY, "f" DOUBLE PRECISION NOT NULL, "d" DECIMAL(65,30) NOT NULL, "n" NUMERIC(10,2) NOT NULL, "t" TIME(6) NOT NULL);\n',
    },
  };
  for (const [name, c] of Object.entries(narrowing))
    migrations[name] = {
      sql: `ALTER TABLE "m" ALTER COLUMN "${c.column}" TYPE ${c.to};\n`,
      down: `ALTER TABLE "m" ALTER COLUMN "${c.column}" TYPE ${c.back};\n`,
    };
  root = (await tempProject({ prefix: 'pr-verify-narrow-', migrations })).root;
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(root, { recursive: true, force: true });
});

describe('verify --data --no-archive through a narrowing type change', () => {
  for (const [name, c] of Object.entries(narrowing))
    it(`${c.to} and back: every seeded value of "${c.column}" is listed as changed (exit 1)`, async () => {
      const r = await runCli(
        ['verify', name, '--data', '--no-archive', '--migrations', 'prisma/migrations'],
        root,
        env(),
      );
      const lines = r.out.trim().split('\n');
      expect(lines[0]).toMatch(/^✗ data does not round-trip through /);
      expect(lines.slice(1)).toHaveLength(4);
      for (const line of lines.slice(1))
        expect(line).toMatch(new RegExp(`^  "m": row id=\\d: "${c.column}" '`));
      expect(r.code).toBe(1);
    }, 120_000);
});
