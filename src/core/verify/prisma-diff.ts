/**
 * The second, independent oracle: Prisma's own schema engine (`prisma migrate diff
 * --from-migrations … --to-migrations … --script`), with PGlite as its shadow database. For a
 * correct rollback, the diff from migrations 1..N-1 to migrations 1..N followed by the rollback
 * is empty. Prisma compares what Prisma models (tables, columns, indexes, foreign keys, enums…);
 * the catalog snapshot of `./snapshot` also sees functions, triggers, views and comments.
 *
 * PGlite is reached through its node-postgres bridge (`@electric-sql/pglite/node-postgres`) and
 * the project's pinned `@prisma/adapter-pg` (whole scripts per `executeScript`), so no second
 * copy of `@prisma/driver-adapter-utils` comes in (`pglite-prisma-adapter` 0.7.2 pins 7.2.0).
 */
import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { guardPool, maskUrl, prismaSchema, schemaConnectionOptions } from '../db';
import type { MigrationList } from '../engine';
import { engineErrorMessage, NO_FILTERS, openSchemaEngine } from '../engine';
import { pgAdapterFactory } from '../engine/pg-adapter';
import { embeddedExtensionAvailable, startEmbedded } from './embedded';
import { extensionsCreatedBy, type VerifyMigration, type VerifyResult } from './index';
import { type SecondOpinion, secondOpinionOf } from './second-opinion';

export interface PrismaDiffResult {
  /** True when Prisma's engine sees no difference. */
  empty: boolean;
  /**
   * What Prisma would run on the schema left by N + rollback to reach the schema before N: for a
   * wrong rollback, the statements it misses (a comment only when the schemas are equal).
   */
  script: string;
  ms: number;
}

async function pooled(db: PGlite): Promise<pg.Pool> {
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const config = createPgConfig(db);
  // adapter-pg passes `types: { getTypeParser }` in its query configs, which pg hands on to the
  // connection's parse(); pg's own serializer ignores a non-array there, PGlite's bridge does not.
  const connection = config.connection as unknown as { parse(q: { types?: unknown }): void };
  const parse = connection.parse.bind(connection);
  connection.parse = (q) => parse({ ...q, types: Array.isArray(q.types) ? q.types : undefined });
  const pool = new pg.Pool(config as unknown as pg.PoolConfig);
  pool.on('error', () => {});
  pool.on('connect', (client) => reportCatalogTypesAsText(client));
  return pool;
}

/**
 * Catalog types that `@prisma/adapter-pg` 7.10 refuses (`UnsupportedNativeDataType`) but that
 * the engine's schema describer selects (`"char"` columns such as `relkind`, `regproc`…): their
 * values arrive as strings anyway, so they are reported to the adapter as `text`.
 */
const CATALOG_TYPES_AS_TEXT = new Set([
  22, 24, 28, 30, 194, 1033, 2202, 2203, 2204, 2205, 2206, 3361, 3402, 4089, 4096,
]);

/** `"char"` (OID 18) columns of a result, keyed by its rows array (which the adapter passes on as is). */
const charColumns = new WeakMap<object, number[]>();
const CHAR_OID = 18;
const TEXT_OID = 25;
/** `ColumnTypeEnum.Character` of @prisma/driver-adapter-utils: what the engine reads `"char"` as. */
const CHARACTER_COLUMN = 6;

function reportCatalogTypesAsText(client: pg.PoolClient): void {
  const fix = (res: unknown) => {
    const r = res as { fields?: { dataTypeID: number }[]; rows?: object } | undefined;
    const chars: number[] = [];
    (r?.fields ?? []).forEach((f, i) => {
      if (f.dataTypeID === CHAR_OID) chars.push(i);
      if (f.dataTypeID === CHAR_OID || CATALOG_TYPES_AS_TEXT.has(f.dataTypeID)) f.dataTypeID = TEXT_OID;
    });
    if (chars.length && r?.rows) charColumns.set(r.rows, chars);
    return res;
  };
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const cb = args[last] as (err: unknown, res: unknown) => void;
      args[last] = (err: unknown, res: unknown) => cb(err, err ? res : fix(res));
      return query(...args);
    }
    const out = query(...args);
    return out instanceof Promise ? out.then(fix) : out;
  };
}

/**
 * A migration-aware adapter factory whose databases (main and every shadow) are fresh PGlite
 * instances; with `main`, the main database is that pool instead (a live database, only read).
 */
function pgliteFactory(
  extensions: string[],
  opened: Array<() => Promise<void>>,
  main?: { pool: pg.Pool; schema?: string },
): SqlMigrationAwareDriverAdapterFactory {
  const open = async (): Promise<SqlDriverAdapter> => {
    const db = await startEmbedded(extensions);
    const pool = await pooled(db);
    const adapter = withCharColumns(await pgAdapterFactory(pool).connect());
    const close = async () => {
      await pool.end().catch(() => {});
      await db.close().catch(() => {});
    };
    opened.push(close);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose().catch(() => {});
      await close();
    };
    return adapter;
  };
  const connect = main
    ? async () => withCharColumns(await pgAdapterFactory(main.pool, main.schema).connect())
    : open;
  return { provider: 'postgres', adapterName: '@prisma/adapter-pg', connect, connectToShadowDb: open };
}

/** Restores the `"char"` column type (see reportCatalogTypesAsText) on every queryRaw result. */
function withCharColumns<T extends { queryRaw: SqlDriverAdapter['queryRaw'] }>(q: T): T {
  const queryRaw = q.queryRaw.bind(q);
  q.queryRaw = async (query) => {
    const r = await queryRaw(query);
    for (const i of charColumns.get(r.rows) ?? []) (r.columnTypes as number[])[i] = CHARACTER_COLUMN;
    return r;
  };
  const tx = (q as unknown as Partial<SqlDriverAdapter>).startTransaction;
  if (tx) {
    (q as unknown as SqlDriverAdapter).startTransaction = async (...a) =>
      withCharColumns(await tx.apply(q, a as Parameters<SqlDriverAdapter['startTransaction']>));
  }
  return q;
}

function migrationList(migrations: VerifyMigration[]): MigrationList {
  return {
    baseDir: '/migrations',
    lockfile: { path: 'migration_lock.toml', content: 'provider = "postgresql"\n' },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
    })),
  };
}

/**
 * `prisma migrate diff --from-migrations <from> --to-migrations <to> --script`, with PGlite as the
 * shadow database: the SQL that takes the schema of `from` to the schema of `to`. Throws when
 * Prisma's engine cannot replay either side (a migration that does not apply, an extension PGlite
 * lacks), with the engine's message.
 */
export async function prismaMigrationsDiff(
  from: VerifyMigration[],
  to: VerifyMigration[],
): Promise<PrismaDiffResult> {
  const started = performance.now();
  const extensions = (await extensionsCreatedBy([...from, ...to].map((m) => m.sql))).filter(
    embeddedExtensionAvailable,
  );
  const registry = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
  let panic: string | undefined;
  registry.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message: (m: string) => {
      panic = m;
    },
  };
  const opened: Array<() => Promise<void>> = [];
  const engine = await openSchemaEngine(pgliteFactory(extensions, opened));
  try {
    const r = await engine.diff({
      from: { tag: 'migrations', ...migrationList(from) },
      to: { tag: 'migrations', ...migrationList(to) },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    });
    const script = (r.stdout ?? '').trim();
    const meaningful = script
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('--'))
      .join('\n');
    return {
      empty: r.exitCode === 0 || meaningful === '',
      script,
      ms: Math.round(performance.now() - started),
    };
  } catch (e) {
    throw new Error(`Prisma's engine could not diff the migrations: ${panic ?? engineErrorMessage(e)}`);
  } finally {
    engine.free();
    await Promise.all(opened.map((c) => c()));
  }
}

/**
 * The second oracle for a rollback: the diff from migrations 1..N followed by the rollback to
 * migrations 1..N-1 must be empty.
 */
export async function prismaDiffRollback(opts: {
  migrations: VerifyMigration[];
  index: number;
  rollbackSql: string;
}): Promise<PrismaDiffResult> {
  const before = opts.migrations.slice(0, opts.index);
  const target = opts.migrations[opts.index];
  const after = [...before, target, { name: `${target.name}_zz_rollback`, sql: opts.rollbackSql }];
  return prismaMigrationsDiff(after, before);
}

/**
 * The `prismaDiff` generator strategy: Prisma's own differ from migrations 1..N to 1..N-1. It sees
 * the schema Prisma models, not custom SQL (functions, triggers, views, data).
 */
export async function prismaDiffDownScript(
  migrations: VerifyMigration[],
  index: number,
): Promise<PrismaDiffResult> {
  return prismaMigrationsDiff(migrations.slice(0, index + 1), migrations.slice(0, index));
}

/**
 * The second opinion (CLI `--prisma-diff`, setting `prismaRollback.verify.prismaDiff`), the same
 * for both: asks Prisma's engine (`prismaDiffRollback`) after every verdict of the catalog
 * comparison — `verified` or `differences`, cached or not (the cache holds the catalog verdict
 * only) — never after `couldNotVerify` or once `signal` is aborted, and judges the answer with
 * `secondOpinionOf` (./second-opinion.ts: what a disagreement means, the wording). Never throws:
 * an engine failure comes back as `outcome: 'failed'` with the verdict unchanged.
 * `opts.diff` replaces `prismaDiffRollback` (tests).
 */
export async function secondOpinion(
  result: VerifyResult,
  input: { migrations: VerifyMigration[]; index: number; rollbackSql: string },
  opts: { signal?: AbortSignal; diff?: typeof prismaDiffRollback } = {},
): Promise<SecondOpinion> {
  if (result.kind === 'couldNotVerify' || opts.signal?.aborted) return { outcome: 'notAsked', result };
  const answer = await (opts.diff ?? prismaDiffRollback)(input).catch((e: unknown) => ({
    error: e instanceof Error ? e.message : String(e),
  }));
  return secondOpinionOf(result, answer);
}

/**
 * `prisma migrate diff --from-url <live> --to-migrations <to> --script`: the SQL that takes the
 * live database at `url` to the schema `to` builds (replayed by Prisma's engine in PGlite as its
 * shadow database). The live database is only read (Prisma's schema describer: catalog queries);
 * Prisma's schema is the URL's `?schema=`. Sees what Prisma models (tables, columns, indexes,
 * foreign keys, enums…), not functions, triggers or views. Throws when Prisma's engine cannot
 * connect, describe or replay, with the engine's message.
 */
export async function prismaLiveDiff(url: string, to: VerifyMigration[]): Promise<PrismaDiffResult> {
  const started = performance.now();
  const extensions = (await extensionsCreatedBy(to.map((m) => m.sql))).filter(embeddedExtensionAvailable);
  const schema = prismaSchema(url);
  const pool = guardPool(
    new pg.Pool({
      connectionString: url,
      ...schemaConnectionOptions(url),
      max: 2,
      application_name: 'prisma-rollback',
      connectionTimeoutMillis: 10_000,
      statement_timeout: 30_000,
    }),
  );
  // the schema describer selects `"char"` catalog columns (see reportCatalogTypesAsText)
  pool.on('connect', (client) => reportCatalogTypesAsText(client));
  const opened: Array<() => Promise<void>> = [];
  try {
    const engine = await openSchemaEngine(
      pgliteFactory(extensions, opened, { pool, schema: schema === 'public' ? undefined : schema }),
    );
    try {
      const r = await engine.diff({
        // Prisma 7: `--from-config-datasource`, the adapter's main connection (`--from-url` is gone).
        from: {
          tag: 'schemaDatasource',
          configDir: '/',
          files: [{ path: 'schema.prisma', content: 'datasource db {\n  provider = "postgresql"\n}\n' }],
        },
        to: { tag: 'migrations', ...migrationList(to) },
        script: true,
        exitCode: true,
        filters: NO_FILTERS,
      });
      const script = (r.stdout ?? '').trim();
      const meaningful = script
        .split('\n')
        .filter((l) => l.trim() && !l.trim().startsWith('--'))
        .join('\n');
      return {
        empty: r.exitCode === 0 || meaningful === '',
        script,
        ms: Math.round(performance.now() - started),
      };
    } catch (e) {
      throw new Error(`Prisma's engine could not diff ${maskUrl(url)}: ${engineErrorMessage(e)}`);
    } finally {
      engine.free();
    }
  } finally {
    await Promise.all(opened.map((c) => c()));
    await pool.end().catch(() => {});
  }
}
