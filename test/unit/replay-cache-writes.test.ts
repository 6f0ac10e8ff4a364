/**
 * Writes to the replay cache that fail or are cut short leave nothing behind (found by hand,
 * break15): a state is written to a temporary file, then renamed; when the write or the rename
 * failed (a full disk, a directory in the way) the temporary file stayed — up to a whole
 * replayed state, outside the size cap (which counts `*.pgdata` only), forever. The same for a
 * writer killed mid-write (Ctrl-C, a crash): its temporary file is swept by a later write once
 * it is old enough that no writer can still own it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadReplayState, saveCacheEntry, saveReplayState } from '../../src/core/verify/replay-cache';

describe('replay cache writes that fail leave nothing behind', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'replay-writes-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('a rename that fails (a directory where the state goes): no temporary file stays, and it never throws', async () => {
    await fs.mkdir(path.join(dir, 'k1.pgdata'));
    await fs.writeFile(path.join(dir, 'k1.pgdata', 'x'), 'in the way');
    await saveReplayState(dir, 'k1', new Uint8Array(1000).fill(7));
    expect((await fs.readdir(dir)).sort()).toEqual(['k1.pgdata']);
    expect(await loadReplayState(dir, 'k1')).toBe(undefined);
  });

  it('a temporary file left by a writer that died is swept by a later write once it is an hour old; a fresh one (a writer at work) stays', async () => {
    const dead = path.join(dir, 'k0.pgdata.4242.1700000000000.tmp');
    const alive = path.join(dir, 'k2.pgdata.4343.1700000000001.tmp');
    await fs.writeFile(dead, Buffer.alloc(5000));
    await fs.writeFile(alive, Buffer.alloc(10));
    const anHourAgo = new Date(Date.now() - 61 * 60_000);
    await fs.utimes(dead, anHourAgo, anHourAgo);
    await saveCacheEntry(dir, 'k3', '.pgdata', new Uint8Array([1, 2, 3]), 1 << 20);
    expect((await fs.readdir(dir)).sort()).toEqual(['k2.pgdata.4343.1700000000001.tmp', 'k3.pgdata']);
    expect(await loadReplayState(dir, 'k3')).toEqual(Buffer.from([1, 2, 3]));
  });
});
