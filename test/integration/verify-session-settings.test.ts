/**
 * A state loaded from the replay cache is a new session: settings an earlier migration changed
 * for its session (`set_config(…, false)`, `SET` — pg_dump's preamble in a baseline migration sets
 * search_path to '') are not in it. A replay in one session must not keep them either, or the
 * same history got one verdict when replayed ("no schema has been selected to create in") and
 * another once its states were cached.
 */
import { describe, expect, it } from 'vitest';
import {
  clearVerifyCache,
  disposeEmbeddedVerifier,
  type VerifyMigration,
  verifyRollback,
} from '../../src/core/verify';
import { tempReplayCacheDir } from '../support/verify';

const dir = tempReplayCacheDir('verify-settings-');

const HISTORY: VerifyMigration[] = [
  {
    name: '20250101000000_baseline',
    sql: "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.t (id integer);\n",
  },
  { name: '20250102000000_u', sql: 'CREATE TABLE "u" ("id" INTEGER);\n' },
  { name: '20250103000000_c', sql: 'ALTER TABLE "u" ADD COLUMN "c" INTEGER;\n' },
];
const verify = () =>
  verifyRollback({
    migrations: HISTORY,
    index: 2,
    rollbackSql: 'ALTER TABLE "u" DROP COLUMN "c";\n',
    engine: 'embedded',
    replayCacheDir: dir(),
  });

describe('settings a migration changes for its session', () => {
  it('do not reach the next migration of a replay: the same verdict replayed and from the cache', async () => {
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const replayed = await verify();
    expect(replayed).toMatchObject({ kind: 'verified', replayed: 2 });
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const cached = await verify();
    expect(cached).toMatchObject({ kind: 'verified' });
  });
});
