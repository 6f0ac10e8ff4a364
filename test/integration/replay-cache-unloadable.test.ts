/**
 * A replayed state whose file is whole (its sha256 matches) but which PGlite cannot load — a tar
 * damaged before it was hashed, or written by another PGlite build of the same size — is deleted
 * and the history replayed again, and the verdict is still proven (found by hand, break15:
 * PGlite rejects a promise of its own besides `waitReady`, which ended the verifier's worker
 * before the fallback ran: "The embedded PostgreSQL stopped: incorrect header check", on every
 * verify of that history, since the state stayed in the cache).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeEmbeddedVerifier, type VerifyMigration } from '../../src/core/verify';
import { verifyInFreshWorker } from '../support/verify';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'replay-unloadable-'));
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(dir, { recursive: true, force: true });
});

const migrations: VerifyMigration[] = [
  { name: '20250101000000_a', sql: 'CREATE TABLE "a" ("id" INTEGER);\n' },
  { name: '20250102000000_b', sql: 'CREATE TABLE "b" ("id" INTEGER);\n' },
  { name: '20250103000000_c', sql: 'ALTER TABLE "b" ADD COLUMN "c" TEXT;\n' },
];

/** Verifies c's rollback in a fresh worker (as a new process would): its kind and progress lines. */
const verifyFresh = (rollbackSql = 'ALTER TABLE "b" DROP COLUMN "c";\n') =>
  verifyInFreshWorker({
    migrations,
    index: 2,
    rollbackSql,
    engine: 'embedded',
    replayCacheDir: dir,
    timeoutMs: 60_000,
  });

describe('a replayed state PGlite cannot load', () => {
  it('is deleted and rebuilt, and the verdict is still proven', async () => {
    expect((await verifyFresh()).r.kind).toBe('verified');
    const [state] = (await fs.readdir(dir)).filter((f) => f.endsWith('.pgdata'));
    expect(state).toBeDefined();
    const file = path.join(dir, state);
    // the tar damaged in its middle, then gzipped and hashed again: the digest matches
    const tar = Buffer.from(gunzipSync((await fs.readFile(file)).subarray(32)));
    tar.fill(0x41, Math.floor(tar.length / 3), Math.floor(tar.length / 3) + 200_000);
    const payload = gzipSync(tar);
    const damaged = Buffer.concat([createHash('sha256').update(payload).digest(), payload]);
    await fs.writeFile(file, damaged);
    for (const f of await fs.readdir(dir)) if (f.endsWith('.snapshot.json')) await fs.rm(path.join(dir, f));

    // another rollback, so that no verdict is cached
    const again = await verifyFresh('ALTER TABLE "b" DROP COLUMN "c";\n-- again\n');
    expect(again.r.kind).toBe('verified');
    expect(again.lines.slice(0, 3)).toEqual([
      'Loading the replayed state of migrations 1..2 from the cache',
      'Starting the embedded PostgreSQL',
      'Replaying migration 1 of 2: 20250101000000_a',
    ]);
    // rebuilt: the file is a state PGlite loads again
    expect((await fs.readFile(file)).equals(damaged)).toBe(false);
    const third = await verifyFresh('ALTER TABLE "b" DROP COLUMN "c";\n-- third\n');
    expect(third.r.kind).toBe('verified');
    expect(third.lines.filter((l) => l.startsWith('Replaying'))).toEqual([]);
  }, 180_000);
});
