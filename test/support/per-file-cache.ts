/**
 * Each test file gets its own cache directory (under the run's, made by global-setup.ts): the
 * verifier's replay cache is on by default (verifyRollback's `replayCacheDir`), and a state or
 * verdict another file cached — files run in parallel, in any order — must not change what this
 * file's assertions see (a replay that loads from the cache instead of replaying).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

process.env.PRISMA_ROLLBACK_CACHE_DIR = fs.mkdtempSync(
  path.join(process.env.PRISMA_ROLLBACK_CACHE_DIR ?? os.tmpdir(), 'file-'),
);
