/**
 * The embedded PostgreSQL's data directory uses 1 MB WAL segments (INITDB_PARAMS; PGlite keeps
 * the data directory in memory, so each 16 MB default segment is 16 MB of resident memory —
 * issue 14). Checked on a real PGlite instance as the verifier starts it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INITDB_PARAMS, startEmbedded } from '../../src/core/verify/embedded';

describe('the embedded PostgreSQL', () => {
  it('starts with 1 MB WAL segments', async () => {
    expect(INITDB_PARAMS).toEqual(['--wal-segsize=1']);
    // scripts/build.mjs makes the shipped initial data directory with the same arguments
    expect(readFileSync('scripts/build.mjs', 'utf8')).toContain(
      `const initDbStartParams = [${INITDB_PARAMS.map((p) => `'${p}'`).join(', ')}];`,
    );
    const db = await startEmbedded();
    try {
      const r = await db.query<{ s: string }>("SELECT current_setting('wal_segment_size') AS s");
      expect(r.rows[0].s).toBe('1MB');
    } finally {
      await db.close();
    }
  }, 60_000);
});
