/**
 * `@prisma/adapter-pg` for the schema engine, with one fix: its `executeScript` splits a
 * script on every `;`, which breaks dollar-quoted bodies (`CREATE FUNCTION … $$ … $$`) and
 * `BEGIN; … COMMIT;` blocks. Prisma's own Rust engine sends a migration as one simple-protocol
 * query; so does this wrapper.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import {
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type pg from 'pg';

/** Called with PostgreSQL's own error and the script it refused (a whole migration.sql). */
export type ScriptErrorListener = (error: unknown, script: string) => void;

/**
 * SQL run around one migration script (the archive of src/core/archive): `before` and `after` are
 * statements; with `sameTransaction` they run in one transaction with the script (BEGIN; before;
 * script; after; COMMIT — a script with its own COMMIT commits `before` with it, and `after` then
 * runs in its own implicit transaction), else each in its own transaction (for scripts holding
 * statements that cannot run in a transaction block).
 */
export interface ScriptWrapper {
  before: string[];
  after: string[];
  sameTransaction: boolean;
}
/** Decides the wrapper of a script the engine is about to run (undefined: run it as it is). */
export type ScriptHook = (script: string) => ScriptWrapper | undefined;

interface PgAdapterInternals {
  client: pg.Pool | pg.PoolClient;
  onError(e: unknown): never;
}

/**
 * PostgreSQL's error as the engine's generic `postgres` kind, so that SQLSTATE, message, detail and
 * hint reach the failure log Prisma stores in `_prisma_migrations.logs` (adapter-pg's own mapping
 * turns e.g. 23505 into "Unique constraint failed" and drops PostgreSQL's words and the key).
 */
function keepDatabaseError(e: unknown): DriverAdapterError | undefined {
  const err = e as Partial<pg.DatabaseError> | undefined;
  if (!err || typeof err.code !== 'string' || typeof err.message !== 'string') return undefined;
  return new DriverAdapterError({
    kind: 'postgres',
    code: err.code,
    severity: err.severity ?? 'ERROR',
    message: err.message,
    detail: err.detail,
    column: err.column,
    hint: err.hint,
  });
}

/** A failure of the SQL run around a script (not PostgreSQL's verdict on the script itself). */
export class ArchiveStepError extends Error {}

async function runWrapped(client: pg.Pool | pg.PoolClient, script: string, w: ScriptWrapper) {
  const own = 'release' in client;
  const c = own ? (client as pg.PoolClient) : await (client as pg.Pool).connect();
  let phase: 'archive' | 'script' = 'archive';
  try {
    await c.query('BEGIN');
    if (w.before.length) await c.query(w.before.join(';\n'));
    if (!w.sameTransaction) await c.query('COMMIT');
    phase = 'script';
    await c.query(script);
    phase = 'archive';
    if (!w.sameTransaction) await c.query('BEGIN');
    if (w.after.length) await c.query(w.after.join(';\n'));
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    if (phase === 'archive')
      throw new ArchiveStepError(
        `the archive (schema _prisma_rollback) failed, so the migration was not applied: ${e instanceof Error ? e.message : String(e)}`,
      );
    throw e;
  } finally {
    if (!own) (c as pg.PoolClient).release();
  }
}

function wholeScript<T extends SqlDriverAdapter>(
  adapter: T,
  onScriptError?: ScriptErrorListener,
  hook?: ScriptHook,
): T {
  const inner = adapter as unknown as PgAdapterInternals;
  adapter.executeScript = async (script: string) => {
    try {
      const w = hook?.(script);
      if (w) await runWrapped(inner.client, script, w);
      else await inner.client.query(script);
    } catch (e) {
      if (e instanceof ArchiveStepError) throw e;
      onScriptError?.(e, script);
      const kept = keepDatabaseError(e);
      if (kept) throw kept;
      inner.onError(e);
    }
  };
  return adapter;
}

/**
 * A migration-aware adapter factory over an existing pool (the pool stays open when the
 * engine disposes the adapter; its owner closes it). `hook` wraps a migration script with the
 * archive's SQL (ScriptWrapper). `onScriptError` hears PostgreSQL's own error
 * (with `position`, `detail`, `hint`) for a migration script the database refused, before the engine
 * wraps it.
 */
export function pgAdapterFactory(
  pool: pg.Pool,
  schema?: string,
  onScriptError?: ScriptErrorListener,
  hook?: ScriptHook,
): SqlMigrationAwareDriverAdapterFactory {
  const base = new PrismaPg(pool, { schema, disposeExternalPool: false });
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    connect: async () => wholeScript(await base.connect(), onScriptError, hook),
    connectToShadowDb: async () => wholeScript(await base.connectToShadowDb(), onScriptError),
  };
}
