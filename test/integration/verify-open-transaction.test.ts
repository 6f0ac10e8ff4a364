/**
 * A migration that ends inside a transaction it opened (BEGIN without COMMIT) leaves what it did
 * uncommitted. Replayed in one session, the next migrations ran inside that transaction and saw it;
 * a state saved in the replay cache (only what is committed) did not: the same history verified
 * once, then "relation does not exist" once the states were cached. It is a failure of that
 * migration, named, whatever the cache holds.
 */
import { describe, expect, it } from 'vitest';
import {
  clearVerifyCache,
  disposeEmbeddedVerifier,
  type VerifyMigration,
  verifyRollback,
} from '../../src/core/verify';
import { tempReplayCacheDir } from '../support/verify';

const dir = tempReplayCacheDir('verify-open-tx-');

const HISTORY: VerifyMigration[] = [
  { name: '20250101000000_open', sql: 'BEGIN;\nCREATE TABLE "x" ("id" INTEGER);\n' },
  { name: '20250102000000_u', sql: 'CREATE TABLE "u" ("id" INTEGER);\n' },
  { name: '20250103000000_c', sql: 'ALTER TABLE "x" ADD COLUMN "c" INTEGER;\n' },
];
const verify = (index: number, rollbackSql: string) =>
  verifyRollback({ migrations: HISTORY, index, rollbackSql, engine: 'embedded', replayCacheDir: dir() });

describe('a migration of the history that leaves its transaction open', () => {
  it('is named as the failure, replayed or after its successors were cached', async () => {
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const first = await verify(2, 'ALTER TABLE "x" DROP COLUMN "c";\n');
    expect(first.kind).toBe('couldNotVerify');
    expect(first.kind === 'couldNotVerify' && first.reason).toMatch(
      /^Migration 20250101000000_open failed to apply in the embedded PostgreSQL: .*leaves a transaction open/,
    );
    await verify(1, 'DROP TABLE "u";\n');
    await disposeEmbeddedVerifier();
    clearVerifyCache();
    const again = await verify(2, 'ALTER TABLE "x" DROP COLUMN "c";\n');
    expect(again.kind === 'couldNotVerify' && again.reason).toBe(
      first.kind === 'couldNotVerify' && first.reason,
    );
  });
});
