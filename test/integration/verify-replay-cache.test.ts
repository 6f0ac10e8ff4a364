/**
 * The persistent replay cache (src/core/verify/replay-cache.ts): a new worker (as in a new
 * process) loads the replayed state at N-1 from disk instead of replaying; editing an earlier
 * migration changes the keys; a truncated file is ignored, deleted and rebuilt.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeEmbeddedVerifier, type VerifyMigration, verifyRollback } from '../../src/core/verify';
import { startEmbedded } from '../../src/core/verify/embedded';
import { verifyInFreshWorker } from '../support/verify';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'replay-cache-'));
});
afterAll(async () => {
  await disposeEmbeddedVerifier();
  await fs.rm(dir, { recursive: true, force: true });
});

const history = (first = 'CREATE TABLE "a" ("id" INTEGER);\n'): VerifyMigration[] => [
  { name: '20250101000000_a', sql: first },
  { name: '20250102000000_b', sql: 'CREATE TABLE "b" ("id" INTEGER);\n' },
  { name: '20250103000000_c', sql: 'ALTER TABLE "b" ADD COLUMN "c" TEXT;\n' },
];

/** Verifies c's rollback in a fresh worker (as a new process would), returning the progress lines. */
async function verifyFresh(migrations: VerifyMigration[]) {
  const { r, lines } = await verifyInFreshWorker({
    migrations,
    index: 2,
    rollbackSql: 'ALTER TABLE "b" DROP COLUMN "c";\n',
    engine: 'embedded',
    noCache: false,
    replayCacheDir: dir,
  });
  return { kind: r.kind, lines };
}

const files = async () => (await fs.readdir(dir)).filter((f) => f.endsWith('.pgdata'));

/** The regular files of a saved state (sha256, then PGlite's gzipped ustar dump of the data directory), by name. */
function tarFiles(file: Buffer): Map<string, Buffer> {
  const tar = gunzipSync(file.subarray(32));
  const files = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, to: number) =>
      header.subarray(from, to).toString('latin1').replace(/\0.*$/s, '');
    const prefix = field(345, 500);
    const name = (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)).replace(/^\//, '');
    const size = Number.parseInt(field(124, 136).trim() || '0', 8);
    if (['0', ''].includes(field(156, 157))) files.set(name, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

describe('persistent replay cache', () => {
  it('miss → replays and stores the state at N-1; hit → loads it and replays nothing', async () => {
    const miss = await verifyFresh(history());
    expect(miss.kind).toBe('verified');
    expect(miss.lines).toContain('Replaying migration 1 of 2: 20250101000000_a');
    expect(await files()).toHaveLength(1);

    // a different rollback: the result cache misses, the replay cache hits
    await disposeEmbeddedVerifier();
    const lines: string[] = [];
    const r = await verifyRollback({
      migrations: history(),
      index: 2,
      rollbackSql: 'ALTER TABLE "b" DROP COLUMN "c" CASCADE;\n',
      engine: 'embedded',
      replayCacheDir: dir,
      onProgress: (m) => lines.push(m),
    });
    expect(r.kind).toBe('verified');
    expect(lines).toContain('Loading the replayed state of migrations 1..2 from the cache');
    expect(lines.filter((l) => l.startsWith('Replaying'))).toEqual([]);
  });

  it('a state is saved right after a checkpoint: loading it replays next to no WAL', async () => {
    const [file] = await files();
    const saved = await fs.readFile(path.join(dir, file));
    const state = tarFiles(saved);
    // pg_control (PostgreSQL's src/include/catalog/pg_control.h, ControlFileData): the last
    // checkpoint's location, an 8-byte little-endian XLogRecPtr at offset 32
    const checkpoint = state.get('global/pg_control')!.readBigUInt64LE(32);
    const lsn = `${(checkpoint >> 32n).toString(16)}/${(checkpoint & 0xffffffffn).toString(16)}`;
    // wal_recycle = off (POSTGRESQL_CONF): the checkpoint removed the segments before its own
    const wal = [...state.keys()].filter((n) => /^pg_wal\/[0-9A-F]{24}$/.test(n)).sort();
    expect(wal.length).toBeGreaterThan(0);
    // The dump is of a running instance: it loads as after a crash, redoing the WAL from that
    // checkpoint to its end, then checkpoints again at the end of the WAL. The distance between
    // the two is the WAL redone at every load: the checkpoint record alone, not the replay's WAL.
    const db = await startEmbedded([], { loadDataDir: new Blob([new Uint8Array(saved.subarray(32))]) });
    try {
      const r = await db.query<{ redone: string }>(
        `SELECT (redo_lsn - '${lsn}'::pg_lsn)::text AS redone FROM pg_catalog.pg_control_checkpoint()`,
      );
      expect(Number(r.rows[0].redone)).toBeLessThan(1024);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('an edit to an earlier migration changes the keys: the old state is not used', async () => {
    const edited = await verifyFresh(history('CREATE TABLE "a" ("id" BIGINT);\n'));
    expect(edited.kind).toBe('verified');
    expect(edited.lines).toContain('Replaying migration 1 of 2: 20250101000000_a');
    expect(edited.lines.some((l) => l.startsWith('Loading'))).toBe(false);
    expect(await files()).toHaveLength(2);
  });

  it('a truncated file is ignored, deleted and rebuilt', async () => {
    await fs.rm(dir, { recursive: true, force: true });
    expect((await verifyFresh(history())).kind).toBe('verified');
    const [file] = await files();
    const full = await fs.readFile(path.join(dir, file));
    await fs.writeFile(path.join(dir, file), full.subarray(0, Math.floor(full.length / 2)));
    const again = await verifyFresh(history());
    expect(again.kind).toBe('verified');
    expect(again.lines).toContain('Replaying migration 1 of 2: 20250101000000_a');
    // rebuilt whole (a dump is not byte-identical between runs: compare sizes)
    expect((await fs.stat(path.join(dir, file))).size).toBeGreaterThan(full.length * 0.9);
    const hit = await verifyFresh(history());
    expect(hit.lines).toContain('Loading the replayed state of migrations 1..2 from the cache');
  });
});
