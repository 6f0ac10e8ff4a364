/**
 * A migration of the history that fails half-way in the embedded PostgreSQL (its first
 * BEGIN … COMMIT block committed, the second failed) leaves part of itself in the verifier's
 * session. That session must not be reused as "the state after the migrations before it": the
 * editor's worker lives on, the user fixes the migration and verifies again. Reused, the fixed
 * migration ran on top of what the broken one left ("relation already exists"), or succeeded and
 * the polluted state went into the replay cache, where every later verification and drift found it.
 */
import { describe, expect, it } from 'vitest';
import {
  clearVerifyCache,
  disposeEmbeddedVerifier,
  type VerifyMigration,
  verifierWorkerIdle,
  verifyRollback,
} from '../../src/core/verify';
import { tempReplayCacheDir } from '../support/verify';

const dir = tempReplayCacheDir('verify-after-failure-');

const INIT: VerifyMigration = {
  name: '20250101000000_init',
  sql: 'CREATE TABLE "t" ("id" INTEGER PRIMARY KEY);\n',
};
const HALF: VerifyMigration = {
  name: '20250102000000_extra',
  sql: 'BEGIN;\nCREATE TABLE "x" ("id" INTEGER);\nCOMMIT;\nBEGIN;\nALTER TABLE "nope" ADD COLUMN "y" INTEGER;\nCOMMIT;\n',
};
const FIXED: VerifyMigration = {
  name: '20250102000000_extra',
  sql: 'CREATE TABLE "x" ("id" INTEGER, "y" INTEGER);\n',
};
const FIXED_OTHER: VerifyMigration = {
  name: '20250102000000_extra',
  sql: 'CREATE TABLE "x2" ("id" INTEGER);\n',
};
const LAST: VerifyMigration = { name: '20250103000000_c', sql: 'ALTER TABLE "t" ADD COLUMN "c" TEXT;\n' };
const LAST_X: VerifyMigration = { name: '20250103000000_c', sql: 'CREATE TABLE "x" ("id" INTEGER);\n' };

const verify = (migrations: VerifyMigration[], rollbackSql: string) =>
  verifyRollback({ migrations, index: 2, rollbackSql, engine: 'embedded', replayCacheDir: dir() });

describe('the session after a migration of the history failed half-way', () => {
  it('is not reused: the fixed migration replays on a clean state', async () => {
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const broken = await verify([INIT, HALF, LAST], 'ALTER TABLE "t" DROP COLUMN "c";\n');
    expect(broken.kind).toBe('couldNotVerify');
    const fixed = await verify([INIT, FIXED, LAST], 'ALTER TABLE "t" DROP COLUMN "c";\n');
    expect(fixed).toMatchObject({ kind: 'verified' });
  });

  it('what it left never reaches the replay cache', async () => {
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    expect((await verify([INIT, HALF, LAST], 'ALTER TABLE "t" DROP COLUMN "c";\n')).kind).toBe(
      'couldNotVerify',
    );
    // Fixed into a migration that does not collide with what the broken one left ("x"): it applies.
    expect((await verify([INIT, FIXED_OTHER, LAST], 'ALTER TABLE "t" DROP COLUMN "c";\n')).kind).toBe(
      'verified',
    );
    await verifierWorkerIdle();
    await disposeEmbeddedVerifier();
    // A new worker loads the state 1..2 from the cache: a table "x" there would make this fail.
    const r = await verify([INIT, FIXED_OTHER, LAST_X], 'DROP TABLE "x";\n');
    expect(r).toMatchObject({ kind: 'verified' });
  });
});
