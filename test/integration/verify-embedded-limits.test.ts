/**
 * What the embedded PostgreSQL lacks and every real server has (README "Limits": no template0,
 * dropped from the data directory the build ships) is not a fault of the rollback: a down.sql that
 * re-creates a dropped database from template0 restores it on any server. Verify says it could
 * not verify in the embedded PostgreSQL and why, with the failure that sends it to the shadow
 * server when one is set — never "down.sql does not restore the schema" (exit 1).
 *
 * Tests start PGlite from the package (initdb: template0 is there), so the history here drops it
 * first, as scripts/build.mjs does for the shipped data directory (no shadow server: nothing of
 * this history runs on the test server).
 */
import { describe, expect, it } from 'vitest';
import { clearVerifyCache, type VerifyMigration, verifyRollback } from '../../src/core/verify';
import { tempReplayCacheDir } from '../support/verify';

const dir = tempReplayCacheDir('verify-limits-');

const HISTORY: VerifyMigration[] = [
  { name: '20250101000000_as_shipped', sql: 'ALTER DATABASE template0 IS_TEMPLATE false;\n' },
  { name: '20250101000001_as_shipped', sql: 'DROP DATABASE template0;\n' },
  { name: '20250102000000_init', sql: 'CREATE DATABASE "reports";\n' },
  { name: '20250103000000_drop_reports', sql: 'DROP DATABASE "reports";\n' },
];

describe('a rollback that needs what the embedded PostgreSQL lacks (template0)', () => {
  it('could not verify in the embedded PostgreSQL, which has no template0 — not a difference', async () => {
    clearVerifyCache();
    const r = await verifyRollback({
      migrations: HISTORY,
      index: 3,
      rollbackSql: 'CREATE DATABASE "reports" TEMPLATE template0;\n',
      replayCacheDir: dir(),
    });
    expect(r.kind).toBe('couldNotVerify');
    if (r.kind !== 'couldNotVerify') return;
    expect(r.reason).toMatch(
      /^down\.sql failed to apply in the embedded PostgreSQL: .*template0.*\(3D000\).*the embedded PostgreSQL has no template0.*set prismaRollback\.shadowDatabaseUrl/,
    );
    // What sends it to the shadow server when one is set.
    expect(r.failure).toMatchObject({ script: 'down.sql', code: '3D000', line: 1 });
  });

  it('a rollback that fails for a reason of its own is still a difference', async () => {
    clearVerifyCache();
    const r = await verifyRollback({
      migrations: HISTORY,
      index: 3,
      rollbackSql: 'CREATE DATABASE "reports" TEMPLATE "no_such_template";\n',
      replayCacheDir: dir(),
    });
    expect(r).toMatchObject({ kind: 'differences' });
  });
});
