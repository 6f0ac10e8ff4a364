/**
 * The on-disk model cache (issue 14, "the CLI per call"): the schema model after migrations
 * 1..k is a pure function of their names and checksums and of the generator's code, so a new
 * process (`prisma-rollback down` in a CI loop) loads it instead of parsing and folding the whole
 * history again.
 *
 * Keys are the replay cache's prefix keys (`prefixKeys` in ../verify/replay-cache.ts: a chain of
 * sha256 over each migration's name and the sha256 of its SQL) with this cache's own format and
 * a context naming the generator: GENERATOR_VERSION, MODEL_FORMAT, and the size and mtime of the
 * running code file (a rebuilt generator never reads a model an older one wrote). Editing any
 * earlier migration changes the key: a stale model is never found, only evicted.
 * Files: `<dir>/<key>.model` (sha256 + JSON payload, written atomically; a damaged file is deleted
 * and rebuilt), in `userCacheDir('model')` beside the replay cache, LRU-capped at
 * DEFAULT_MODEL_CACHE_BYTES.
 */
import fs from 'node:fs';
import { loadCacheEntry, prefixKeys, saveCacheEntry, userCacheDir } from '../verify/replay-cache';
import { emptyModel, type SchemaModel } from './model';
import { buildSchemaModelSync, foldHistoryInto, GENERATOR_VERSION, type MigrationSource } from './rollback';

const FORMAT = 'prisma-rollback model-cache v1';
/** Bumped when SchemaModel's shape changes. */
const MODEL_FORMAT = 1;
const SUFFIX = '.model';
/** Default size cap of the model cache directory: 64 MiB. */
export const DEFAULT_MODEL_CACHE_BYTES = 64 * 1024 * 1024;

/** The model cache's directory: `userCacheDir('model')` (PRISMA_ROLLBACK_CACHE_DIR/model…). Pure. */
export function defaultModelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return userCacheDir('model', env);
}

let contextCache: string | undefined;
function codeContext(): string {
  if (contextCache) return contextCache;
  let code = 'unknown';
  try {
    const st = fs.statSync(__filename);
    code = `${st.size}:${Math.round(st.mtimeMs)}`;
  } catch {
    // no file to identify the code by: the version alone
  }
  contextCache = `generator ${GENERATOR_VERSION} model ${MODEL_FORMAT} code ${code}`;
  return contextCache;
}

/** The model as JSON text: Maps become `{"$map": [[k, v]…]}`. */
export function serializeModel(model: SchemaModel, problems: string[]): string {
  return JSON.stringify({ model, problems }, (_k, v) =>
    v instanceof Map ? { $map: [...v.entries()] } : v instanceof Set ? { $set: [...v] } : v,
  );
}

/** The inverse of serializeModel. Throws SyntaxError (not JSON) or Error (not a model). */
export function deserializeModel(text: string): { model: SchemaModel; problems: string[] } {
  const r = JSON.parse(text, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v) && Array.isArray(v.$map)
      ? new Map(v.$map)
      : v && typeof v === 'object' && !Array.isArray(v) && Array.isArray(v.$set)
        ? new Set(v.$set)
        : v,
  ) as { model: SchemaModel; problems: string[] };
  const empty = emptyModel();
  if (!r || !Array.isArray(r.problems) || !r.model) throw new Error('not a schema model');
  for (const k of Object.keys(empty) as (keyof SchemaModel)[])
    if (!(r.model[k] instanceof Map)) throw new Error(`schema model without ${k}`);
  return r;
}

export interface CachedModel {
  model: SchemaModel;
  /** Earlier migrations that did not parse (see buildSchemaModelSync). */
  problems: string[];
  /** How many leading migrations came from the cache (0: none; `migrations.length`: all). */
  fromCache: number;
}

/**
 * The schema model after `migrations` (all of them, in order), through the cache in `dir`: the
 * exact prefix when it is there, else the longest cached prefix folded forward, else built from
 * scratch; the result is then saved under the full key. The SQL parser must be loaded
 * (`initSqlParser`). Never throws for the cache (unreadable, damaged or unwritable: built
 * without it); throws only what buildSchemaModelSync throws (a generator bug, not a parse error).
 */
export async function buildSchemaModelCached(
  migrations: MigrationSource[],
  dir: string,
  maxBytes = DEFAULT_MODEL_CACHE_BYTES,
): Promise<CachedModel> {
  const keys = prefixKeys(migrations, migrations.length, codeContext(), FORMAT);
  // The exact prefix, else the newest shorter one on disk (checked by file presence first).
  for (let k = keys.length - 1; k > 0; k--) {
    if (k < keys.length - 1 && !fs.existsSync(`${dir}/${keys[k]}${SUFFIX}`)) continue;
    const payload = await loadCacheEntry(dir, keys[k], SUFFIX);
    if (!payload) continue;
    let loaded: { model: SchemaModel; problems: string[] };
    try {
      loaded = deserializeModel(payload.toString('utf8'));
    } catch {
      await fs.promises.rm(`${dir}/${keys[k]}${SUFFIX}`, { force: true }).catch(() => {});
      continue;
    }
    if (k === keys.length - 1) return { ...loaded, fromCache: k };
    foldHistoryInto(loaded.model, migrations.slice(k), loaded.problems);
    await saveCacheEntry(
      dir,
      keys[keys.length - 1],
      SUFFIX,
      Buffer.from(serializeModel(loaded.model, loaded.problems)),
      maxBytes,
    );
    return { ...loaded, fromCache: k };
  }
  const built = buildSchemaModelSync(migrations);
  if (migrations.length > 0)
    await saveCacheEntry(
      dir,
      keys[keys.length - 1],
      SUFFIX,
      Buffer.from(serializeModel(built.model, built.problems)),
      maxBytes,
    );
  return { ...built, fromCache: 0 };
}
