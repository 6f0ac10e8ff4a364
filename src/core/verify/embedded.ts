/**
 * PGlite (PostgreSQL compiled to WebAssembly, in-process) for verification: where its assets
 * are, which `CREATE EXTENSION` names it can load, and starting an instance with them.
 *
 * PGlite's own loader finds `pglite.wasm`, `initdb.wasm`, `pglite.data` and each extension's
 * `*.tar.gz` relative to its script (`import.meta.url` / `__filename`), which breaks once the
 * code is bundled. Here every asset is passed explicitly instead, read from the first directory
 * that has `pglite.wasm`: beside the bundle (`<dist>/pglite/` or `<dist>/`), else the installed
 * package's `dist/`. So a bundle must ship, in `dist/pglite/`: pglite.wasm, initdb.wasm,
 * pglite.data and the extension tarballs it wants to support (see EXTENSION_FILES), and may ship
 * `initial-pgdata.tar.gz` (INITIAL_PGDATA, made by scripts/build.mjs): the data directory right
 * after initdb, so that an instance starts from it instead of running initdb.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import type { Extension, MemoryFS, PGlite, PGliteOptions } from '@electric-sql/pglite';
import { type EmscriptenFs, writeDataDirTar } from './pgdata-tar';

/**
 * `CREATE EXTENSION` name → the tarball in PGlite's dist that provides it. Extensions not listed
 * here (postgis, vector in this PGlite release, pg_cron…) cannot be verified in-process.
 */
export const EXTENSION_FILES: Record<string, string> = {
  amcheck: 'amcheck.tar.gz',
  auto_explain: 'auto_explain.tar.gz',
  bloom: 'bloom.tar.gz',
  btree_gin: 'btree_gin.tar.gz',
  btree_gist: 'btree_gist.tar.gz',
  citext: 'citext.tar.gz',
  cube: 'cube.tar.gz',
  dict_int: 'dict_int.tar.gz',
  dict_xsyn: 'dict_xsyn.tar.gz',
  earthdistance: 'earthdistance.tar.gz',
  file_fdw: 'file_fdw.tar.gz',
  fuzzystrmatch: 'fuzzystrmatch.tar.gz',
  hstore: 'hstore.tar.gz',
  intarray: 'intarray.tar.gz',
  isn: 'isn.tar.gz',
  lo: 'lo.tar.gz',
  ltree: 'ltree.tar.gz',
  moddatetime: 'spi.tar.gz',
  autoinc: 'spi.tar.gz',
  insert_username: 'spi.tar.gz',
  refint: 'spi.tar.gz',
  pageinspect: 'pageinspect.tar.gz',
  pg_buffercache: 'pg_buffercache.tar.gz',
  pg_freespacemap: 'pg_freespacemap.tar.gz',
  pg_stat_statements: 'pg_stat_statements.tar.gz',
  pg_surgery: 'pg_surgery.tar.gz',
  pg_trgm: 'pg_trgm.tar.gz',
  pg_visibility: 'pg_visibility.tar.gz',
  pg_walinspect: 'pg_walinspect.tar.gz',
  pgcrypto: 'pgcrypto.tar.gz',
  seg: 'seg.tar.gz',
  tablefunc: 'tablefunc.tar.gz',
  tcn: 'tcn.tar.gz',
  tsm_system_rows: 'tsm_system_rows.tar.gz',
  tsm_system_time: 'tsm_system_time.tar.gz',
  unaccent: 'unaccent.tar.gz',
  'uuid-ossp': 'uuid-ossp.tar.gz',
};

/** Extensions every PostgreSQL has built in (nothing to load). */
const BUILT_IN = new Set(['plpgsql']);

let assetDirCache: string | undefined;

/** The directory holding pglite.wasm, initdb.wasm, pglite.data and the extension tarballs. */
export function pgliteAssetDir(): string {
  if (assetDirCache) return assetDirCache;
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  for (const dir of [path.join(here, 'pglite'), here]) {
    if (fs.existsSync(path.join(dir, 'pglite.wasm')) && fs.existsSync(path.join(dir, 'pglite.data'))) {
      assetDirCache = dir;
      return dir;
    }
  }
  assetDirCache = path.dirname(require.resolve('@electric-sql/pglite'));
  return assetDirCache;
}

/** Whether `CREATE EXTENSION name` can run in the embedded PostgreSQL. */
export function embeddedExtensionAvailable(name: string): boolean {
  if (BUILT_IN.has(name)) return true;
  const file = EXTENSION_FILES[name];
  return file !== undefined && fs.existsSync(path.join(pgliteAssetDir(), file));
}

interface Assets {
  pglite: WebAssembly.Module;
  /**
   * pglite.data, backed by the file (fs.openAsBlob): read when an instance starts, not kept in
   * memory. The file read into a Buffer kept for the process, plus the Blob copied from it for
   * each start, held ~12 MB besides PGlite's own copy; with initialPgdata's, `verify` of a 10 MB
   * migration of INSERTs peaked at 365–404 MB before, 353–366 MB after (n=3, issue 14).
   */
  data: Blob;
}
let assets: Promise<Assets> | undefined;
let initdbAsset: Promise<WebAssembly.Module> | undefined;

/**
 * Compiles `bytes` with V8's baseline compiler only (Liftoff), without the optimising tier-up
 * (TurboFan) that V8 otherwise runs on background threads for hot functions. PostgreSQL's 9 MB
 * module tiers up thousands of functions during a large script, and the optimising compiler's
 * working memory (glibc arenas of its threads, never returned) and code stayed resident. Measured
 * (issue 14, 2 shared cores): `verify` of a 10 MB migration of INSERTs, peak RSS 460–490 MB with
 * tier-up, 367–393 MB without (n=3 each), time unchanged (7.6–8.4 s); `verify --no-cache` of the
 * last of 800 small migrations, 384–401 MB and 6.1–8.4 s with tier-up, 291–301 MB and 4.3–5.3 s
 * without (n=3, interleaved): replaying DDL runs each function a few times, and compiling the hot
 * ones competed for the cores. `--liftoff-only` is read when a module is compiled (the module keeps its tiering
 * mode), so the flag is set for this compile only and cleared right after: other WebAssembly of
 * the process (the editor's extension host) compiles as before. Throws WebAssembly's CompileError.
 */
async function compileBaselineOnly(bytes: BufferSource): Promise<WebAssembly.Module> {
  v8.setFlagsFromString('--liftoff-only');
  try {
    return await WebAssembly.compile(bytes);
  } finally {
    if (!baselineProcessWide) v8.setFlagsFromString('--no-liftoff-only');
  }
}

let baselineProcessWide = false;

/**
 * Has V8 compile every WebAssembly module of this process from now on for its baseline tier only
 * (`--liftoff-only`, process-wide): PGlite's (compileBaselineOnly does that alone) and also the
 * SQL parser's, which tiers up while it parses a large script. For a process that does nothing
 * but this work (the CLI's `verify`), never the editor's shared extension host. Measured (issue 14,
 * interleaved, n=3–4): `verify` of a 10 MB migration of INSERTs peaked at 388–407 MB with PGlite's
 * compile alone baseline-only, 334–341 MB with this; `verify` of the last of 800 migrations with
 * the replay cache warm, 340–349 → 307–309 MB and slightly less CPU. Never throws (an engine
 * without the flag keeps its default tiering).
 */
export async function useBaselineTierOnly(): Promise<void> {
  if (baselineProcessWide) return;
  try {
    // Synchronously (before the returned promise): the CLI starts the verifier's worker right after.
    v8.setFlagsFromString('--liftoff-only');
    baselineProcessWide = true;
  } catch {
    // the default tiering
  }
}

/** Whether useBaselineTierOnly ran in this thread (the verifier's worker is told, see worker-client). */
export function baselineTierOnly(): boolean {
  return baselineProcessWide;
}

/** Compiles PGlite's WebAssembly once per process (~0.2 s); later instances reuse the modules. */
function loadAssets(): Promise<Assets> {
  assets ??= (async () => {
    const dir = pgliteAssetDir();
    const [pglite, data] = await Promise.all([
      fs.promises.readFile(path.join(dir, 'pglite.wasm')).then(compileBaselineOnly),
      fs.openAsBlob(path.join(dir, 'pglite.data')),
    ]);
    return { pglite, data };
  })().catch((e) => {
    assets = undefined;
    throw e;
  });
  return assets;
}

/**
 * Compiles initdb's WebAssembly once per process, only for an instance that runs initdb (no data
 * directory to load: a build without INITIAL_PGDATA). An instance loaded from a dump never runs
 * it, and compiling it cost ~4 MB of resident memory for nothing (issue 14).
 */
function loadInitdb(): Promise<WebAssembly.Module> {
  initdbAsset ??= fs.promises
    .readFile(path.join(pgliteAssetDir(), 'initdb.wasm'))
    .then((b) => WebAssembly.compile(b))
    .catch((e) => {
      initdbAsset = undefined;
      throw e;
    });
  return initdbAsset;
}

/**
 * Loads PGlite's module and compiles its WebAssembly (loadAssets) ahead of a start, so a start
 * that follows does not wait for them. Never throws (the start reports a failure).
 */
export async function prepareEmbedded(): Promise<void> {
  await Promise.all([import('@electric-sql/pglite'), loadAssets()]).catch(() => {});
}

function extensionObject(name: string): Extension {
  const bundlePath = pathToFileURL(path.join(pgliteAssetDir(), EXTENSION_FILES[name]));
  return {
    name,
    setup: async () =>
      name === 'pg_stat_statements'
        ? { bundlePath, sharedPreloadLibraries: ['pg_stat_statements'] }
        : { bundlePath },
  };
}

/**
 * The file of the asset directory holding PGlite's data directory right after initdb (PGlite's
 * `dumpDataDir('gzip')`, made at build time by scripts/build.mjs). PGlite's own initdb starts a
 * second PGlite instance beside the initdb module: ~650 MB of resident memory at its peak and
 * seconds of work, against ~250 MB for an instance loaded from a dump (issue 14). Slimmed before
 * the dump: no `template0`, and no WAL segment after the current one (see initialPgdata in
 * scripts/build.mjs: 30.9 → 17.0 MB of tar, ~40 MB less resident once PGlite has started).
 */
export const INITIAL_PGDATA = 'initial-pgdata.tar.gz';

/**
 * Arguments added to PGlite's initdb, here and in scripts/build.mjs (which makes INITIAL_PGDATA
 * with the same list; keep them equal). `--wal-segsize=1` (MB; PostgreSQL's default is 16, see
 * PostgreSQL docs, "initdb", --wal-segsize): PGlite keeps its data directory in memory, and a
 * 16 MB WAL segment is 16 MB of resident memory from the start, plus 16 MB for each new one a
 * large script fills; measured on a 10 MB migration of INSERTs, peak RSS 368–376 MB against
 * 421–431 MB (issue 14). The schema a verification compares does not depend on it.
 */
export const INITDB_PARAMS: readonly string[] = ['--wal-segsize=1'];

/**
 * The embedded PostgreSQL's settings (PGlite writes them to postgresql.conf at every start).
 * Schemas, not data: a small buffer pool (`shared_buffers`, `wal_buffers`) keeps ~110 MB of
 * memory out of the editor's process. `wal_recycle = off` (PostgreSQL docs, "Write Ahead Log",
 * wal_recycle): a checkpoint removes the WAL segments it no longer needs instead of renaming them
 * for reuse, so a replayed state saved after a `CHECKPOINT` (./index.ts saveSession) holds one
 * 1 MB segment instead of every segment its replay filled (800 migrations: 9 segments, 30% of the
 * gzipped state; 4.8 MB → 3.5 MB). None of this changes the schema a verification compares.
 */
export const POSTGRESQL_CONF: readonly string[] = [
  'shared_buffers = 16MB',
  'wal_buffers = 1MB',
  'wal_recycle = off',
];

/**
 * The shipped initial data directory (INITIAL_PGDATA) as a Blob backed by the file (read when
 * PGlite loads it, not held in memory before), or undefined when this build has none.
 */
async function initialPgdata(): Promise<Blob | undefined> {
  try {
    return await fs.openAsBlob(path.join(pgliteAssetDir(), INITIAL_PGDATA));
  } catch {
    return undefined;
  }
}

const gunzip = promisify(zlib.gunzip);

/**
 * A data-directory dump as the uncompressed tar writeDataDirTar reads: a Blob (the shipped
 * INITIAL_PGDATA, or a dump PGlite made) read once; bytes as they are. Gzipped data (told by
 * gzip's magic bytes 1f 8b, RFC 1952) is inflated by zlib on libuv's thread pool, in one piece
 * of the size the gzip trailer gives (ISIZE, RFC 1952 §2.3.1): ~110 ms for the 40 MB tar of an
 * 800-migration history, against ~250 ms for PGlite's DecompressionStream on its own thread
 * (issue 14). startEmbedded calls it; ./index.ts calls it ahead, to inflate a cached state while
 * PGlite still compiles. Rejects with zlib's error on damaged data (CRC-32, length).
 */
export async function dataDirTar(dump: Blob | Uint8Array): Promise<Uint8Array> {
  const bytes = dump instanceof Blob ? new Uint8Array(await dump.arrayBuffer()) : dump;
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  // ISIZE is the size modulo 2^32: a smaller guess only means more pieces, joined by zlib.
  const size = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(bytes.length - 4);
  return gunzip(bytes, { chunkSize: Math.max(size + 1, 64 * 1024) });
}

/**
 * PGlite's in-memory file system, filled with the data directory of `tar` when PGlite asks it
 * for its initial contents (`initialSyncFs`, after its module starts and before it looks for
 * `PG_VERSION`), by writeDataDirTar instead of PGlite's `loadDataDir` (see ./pgdata-tar.ts:
 * ~0.1 s against ~0.5–0.8 s for an 800-migration state). PGlite then finds a database and starts
 * it as it would after its own load. The directory is PGlite's `PGDATA` (its Emscripten
 * environment, set before any of this runs).
 */
function tarFilledFs(Base: typeof MemoryFS, tar: Uint8Array): MemoryFS {
  let pending: Uint8Array | undefined = tar;
  return new (class extends Base {
    override async initialSyncFs(): Promise<void> {
      const mod = this.pg?.Module;
      const root: unknown = mod?.ENV?.PGDATA;
      if (!mod || typeof root !== 'string')
        throw new Error("PGlite's data directory is unknown (no PGDATA).");
      const bytes = pending;
      pending = undefined;
      if (bytes) writeDataDirTar(mod.FS as unknown as EmscriptenFs, root, bytes);
    }
  })();
}

/**
 * Starts an in-memory PGlite with the given extensions loadable (`CREATE EXTENSION` still has
 * to run; the history does that). Names must be `embeddedExtensionAvailable`. Starts from
 * `opts.loadDataDir` when given (a data-directory dump: a Blob, or bytes gzipped or not, see
 * dataDirTar; written into PGlite's file system by ./pgdata-tar.ts), else from the shipped
 * initial data directory (INITIAL_PGDATA), else (a build without it, or a file that does not
 * load) runs initdb. Throws PGlite's error, zlib's for damaged gzipped bytes, or
 * writeDataDirTar's for a tar that is not a data directory, when the instance cannot start (an
 * in-memory instance: nothing is left on disk).
 */
export async function startEmbedded(
  extensions: Iterable<string> = [],
  opts: { loadDataDir?: Blob | Uint8Array } = {},
): Promise<PGlite> {
  if (!opts.loadDataDir) {
    const initial = await initialPgdata();
    if (initial) {
      try {
        return await startPGlite(extensions, initial);
      } catch {
        // a damaged file: initdb below
      }
    }
  }
  return startPGlite(extensions, opts.loadDataDir);
}

async function startPGlite(
  extensions: Iterable<string>,
  dump: Blob | Uint8Array | undefined,
): Promise<PGlite> {
  const [{ PGlite, MemoryFS }, a, initdb, tar] = await Promise.all([
    import('@electric-sql/pglite'),
    loadAssets(),
    dump ? undefined : loadInitdb(),
    dump && dataDirTar(dump),
  ]);
  const exts: Record<string, Extension> = {};
  for (const name of extensions)
    if (!BUILT_IN.has(name)) exts[name.replace(/-/g, '_')] = extensionObject(name);
  const options: PGliteOptions = {
    pgliteWasmModule: a.pglite,
    // Only when initdb runs (loadInitdb); PGlite (in Node) reads nothing for a missing one.
    initdbWasmModule: initdb,
    fsBundle: a.data,
    extensions: exts,
    // Used only when no data directory is loaded (PGlite runs initdb).
    initDbStartParams: [...INITDB_PARAMS],
    postgresqlconf: [...POSTGRESQL_CONF],
  };
  if (tar) options.fs = tarFilledFs(MemoryFS, tar);
  const db = new PGlite(options);
  await db.waitReady;
  return db;
}
