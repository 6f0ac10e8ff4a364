import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadReplaySnapshot, saveReplaySnapshot } from '../../src/core/verify/replay-cache';

describe('snapshots kept beside the replayed states', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'replay-snapshot-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const snapshot = { tables: { '"User"': { columns: ['id integer not null'] } }, roles: {}, database: [] };

  it('reads back what was saved under the same key, and nothing under another', async () => {
    await saveReplaySnapshot(dir, 'abc', snapshot);
    expect(await fs.readdir(dir)).toEqual(['abc.snapshot.json']);
    expect(await loadReplaySnapshot(dir, 'abc')).toEqual(snapshot);
    expect(await loadReplaySnapshot(dir, 'abd')).toBe(undefined);
  });

  it('a truncated file is not read and is deleted', async () => {
    await saveReplaySnapshot(dir, 'abc', snapshot);
    const file = path.join(dir, 'abc.snapshot.json');
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 5));
    expect(await loadReplaySnapshot(dir, 'abc')).toBe(undefined);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});
