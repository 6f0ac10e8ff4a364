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

function wholeScript<T extends SqlDriverAdapter>(adapter: T, onScriptError?: ScriptErrorListener): T {
  const inner = adapter as unknown as PgAdapterInternals;
  adapter.executeScript = async (script: string) => {
    try {
      await inner.client.query(script);
    } catch (e) {
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
 * engine disposes the adapter; its owner closes it). `onScriptError` hears PostgreSQL's own error
 * (with `position`, `detail`, `hint`) for a migration script the database refused, before the engine
 * wraps it.
 */
export function pgAdapterFactory(
  pool: pg.Pool,
  schema?: string,
  onScriptError?: ScriptErrorListener,
): SqlMigrationAwareDriverAdapterFactory {
  const base = new PrismaPg(pool, { schema, disposeExternalPool: false });
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    connect: async () => wholeScript(await base.connect(), onScriptError),
    connectToShadowDb: async () => wholeScript(await base.connectToShadowDb(), onScriptError),
  };
}
