/**
 * The persistent replay cache (issue 14): the embedded PostgreSQL's state after replaying
 * migrations 1..k is a pure function of their names and checksums, of the embedded
 * PostgreSQL's build and of the extensions loaded. Such states are kept on disk as PGlite
 * data-directory dumps (`dumpDataDir('gzip')`, a gzipped tar), one file per key, so a new
 * process (the CLI, a restarted editor) loads the state at N-1 instead of replaying 1..N-1.
 *
 * Keys: `key[0]` hashes the context (VERIFIER_VERSION-like format version, the PGlite assets'
 * sizes, the sorted extensions); `key[k] = sha256(key[k-1], name_k, sha256(sql_k))`. Editing an
 * earlier migration therefore changes every later key: stale states are never found, only
 * evicted. Files: `<dir>/<key>.pgdata` = 32-byte sha256 of the payload, then the payload; a
 * file whose digest does not match (truncated, corrupted) is deleted and treated as a miss.
 * Size cap: after each write, the oldest files by modification time (a hit touches its file)
 * are deleted until the total is under the cap (LRU).
 *
 * Shared by the CLI and the editor: both use `defaultReplayCacheDir()` unless told otherwise.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** v2: states are saved after a CHECKPOINT (they load without replaying WAL); v1 states are not found. */
const FORMAT = 'prisma-rollback replay-cache v2';
const SUFFIX = '.pgdata';
/** Default size cap of the directory: 512 MiB. */
export const DEFAULT_REPLAY_CACHE_BYTES = 512 * 1024 * 1024;

/**
 * The per-user cache directory of prisma-rollback, shared by the CLI and the editor:
 * $PRISMA_ROLLBACK_CACHE_DIR, else the platform's per-user cache (`$XDG_CACHE_HOME` or `~/.cache`
 * on Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows) + `/prisma-rollback`;
 * `sub` names the cache inside it (`replay`, `model`…). Pure: creates nothing.
 */
export function userCacheDir(
  sub: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (env.PRISMA_ROLLBACK_CACHE_DIR) return path.join(env.PRISMA_ROLLBACK_CACHE_DIR, sub);
  const base =
    platform === 'win32'
      ? (env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'))
      : platform === 'darwin'
        ? path.join(home, 'Library', 'Caches')
        : (env.XDG_CACHE_HOME ?? path.join(home, '.cache'));
  return path.join(base, 'prisma-rollback', sub);
}

/** The replay cache's directory: `userCacheDir('replay')` (see there). */
export function defaultReplayCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  return userCacheDir('replay', env, platform, home);
}

function sha(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * `keys[k]` (k = 0..upTo) is the key of the state after migrations 1..k. `context` names the
 * embedded PostgreSQL's build and the loaded extensions (see embeddedContext in ./index.ts).
 */
export function prefixKeys(
  migrations: { name: string; sql: string }[],
  upTo: number,
  context: string,
  format: string = FORMAT,
): string[] {
  let h = sha(`${format}\n${context}`);
  const keys = [h.toString('hex')];
  for (let k = 0; k < upTo; k++) {
    h = createHash('sha256')
      .update(h)
      .update(`\n${migrations[k].name}\n`)
      .update(sha(migrations[k].sql))
      .digest();
    keys.push(h.toString('hex'));
  }
  return keys;
}

/** The largest k ≤ keys.length-1 whose state is on disk (by file presence; contents are checked on load), or 0. */
export function nearestCached(dir: string, keys: string[]): number {
  for (let k = keys.length - 1; k > 0; k--) if (fs.existsSync(path.join(dir, keys[k] + SUFFIX))) return k;
  return 0;
}

/**
 * Reads a state. Returns undefined when there is none or when it is damaged (the file is then
 * deleted, so it is rebuilt). Touches the file (LRU). Never throws.
 */
export async function loadReplayState(dir: string, key: string): Promise<Buffer | undefined> {
  return loadCacheEntry(dir, key, SUFFIX);
}

/**
 * Reads `<dir>/<key><suffix>` written by `saveCacheEntry`: the payload, or undefined when the
 * file is missing or damaged (its sha256 does not match: truncated, corrupted; it is then
 * deleted). Touches the file (LRU). Never throws.
 */
export async function loadCacheEntry(dir: string, key: string, suffix: string): Promise<Buffer | undefined> {
  const file = path.join(dir, key + suffix);
  let data: Buffer;
  try {
    data = await fs.promises.readFile(file);
  } catch {
    return undefined;
  }
  const payload = data.subarray(32);
  if (data.length <= 32 || !sha(payload).equals(data.subarray(0, 32))) {
    await fs.promises.rm(file, { force: true }).catch(() => {});
    return undefined;
  }
  const now = new Date();
  await fs.promises.utimes(file, now, now).catch(() => {});
  return payload;
}

const SNAPSHOT_SUFFIX = '.snapshot.json';

/**
 * The normalized catalog snapshot (./snapshot.ts) of the state `key`, saved beside it by
 * `saveReplaySnapshot`: verification's "before" and drift's expected schema without reading the
 * catalogs again (drift then needs no PGlite at all). Undefined when there is none or it is
 * damaged (deleted then). Never throws. The key's context names the verifier's version, so a
 * snapshot of an older format is never found.
 */
export async function loadReplaySnapshot<T>(dir: string, key: string): Promise<T | undefined> {
  const payload = await loadCacheEntry(dir, key, SNAPSHOT_SUFFIX);
  if (!payload) return undefined;
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Saves the snapshot of the state `key` (see loadReplaySnapshot), under the same size cap as the states. Never throws. */
export async function saveReplaySnapshot(
  dir: string,
  key: string,
  snapshot: unknown,
  maxBytes = DEFAULT_REPLAY_CACHE_BYTES,
): Promise<void> {
  await saveCacheEntry(dir, key, SNAPSHOT_SUFFIX, Buffer.from(JSON.stringify(snapshot)), maxBytes);
}

/** Deletes a state (after PGlite refused to load it). Never throws. */
export async function dropReplayState(dir: string, key: string): Promise<void> {
  await fs.promises.rm(path.join(dir, key + SUFFIX), { force: true }).catch(() => {});
}

/**
 * Writes a state atomically (temporary file + rename), then evicts the least recently used
 * states until the directory holds at most `maxBytes`. Never throws: a cache that cannot be
 * written only costs time.
 */
export async function saveReplayState(
  dir: string,
  key: string,
  payload: Uint8Array,
  maxBytes = DEFAULT_REPLAY_CACHE_BYTES,
): Promise<void> {
  return saveCacheEntry(dir, key, SUFFIX, payload, maxBytes);
}

/**
 * Writes `<dir>/<key><suffix>` (sha256 of the payload, then the payload) atomically
 * (writeFileAtomic: nothing is left behind when it fails), then deletes the least recently used
 * `*<suffix>` files of `dir` until they total at most `maxBytes`, and temporary files an hour old
 * (left by a writer that died). Never throws: a cache that cannot be written only costs time.
 */
export async function saveCacheEntry(
  dir: string,
  key: string,
  suffix: string,
  payload: Uint8Array,
  maxBytes: number,
): Promise<void> {
  try {
    await writeFileAtomic(path.join(dir, key + suffix), Buffer.concat([sha(Buffer.from(payload)), payload]));
  } catch {
    // best effort: a cache that cannot be written only costs time
  }
  try {
    await evict(dir, suffix, maxBytes);
  } catch {
    // best effort
  }
}

const TMP_SUFFIX = '.tmp';
/** A temporary file older than this was left by a writer that died (Ctrl-C, a crash): swept by evict. */
const ORPHAN_TMP_MS = 60 * 60_000;

/**
 * Writes `file` atomically: `data` goes to `<file>.<pid>.<time>.tmp` in the same directory (created
 * when missing), which is then renamed over `file`, so a reader sees the old file or the whole new
 * one, never a part. Throws the file system's error (a full disk, a read-only or missing directory,
 * a directory where `file` goes); the temporary file is removed then, so a failed write leaves
 * nothing behind. (A writer killed mid-write leaves its temporary file: the next save in that
 * directory sweeps it once it is an hour old.)
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}${TMP_SUFFIX}`;
  try {
    await fs.promises.writeFile(tmp, data);
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

async function evict(dir: string, suffix: string, maxBytes: number): Promise<void> {
  const entries: { file: string; size: number; mtime: number }[] = [];
  const now = Date.now();
  for (const name of await fs.promises.readdir(dir)) {
    const tmp = name.endsWith(TMP_SUFFIX);
    if (!tmp && !name.endsWith(suffix)) continue;
    const file = path.join(dir, name);
    const st = await fs.promises.stat(file).catch(() => undefined);
    if (!st) continue;
    if (tmp) {
      if (now - st.mtimeMs > ORPHAN_TMP_MS) await fs.promises.rm(file, { force: true }).catch(() => {});
      continue;
    }
    entries.push({ file, size: st.size, mtime: st.mtimeMs });
  }
  let total = entries.reduce((n, e) => n + e.size, 0);
  entries.sort((a, b) => a.mtime - b.mtime);
  for (const e of entries) {
    if (total <= maxBytes) break;
    await fs.promises.rm(e.file, { force: true }).catch(() => {});
    total -= e.size;
  }
}
