/**
 * `@prisma/adapter-pg` for the schema engine, with one fix: its `executeScript` splits a
 * script on every `;`, which breaks dollar-quoted bodies (`CREATE FUNCTION … $$ … $$`) and
 * `BEGIN; … COMMIT;` blocks. Prisma's own Rust engine sends a migration as one simple-protocol
 * query; so does this wrapper.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type pg from 'pg';

interface PgAdapterInternals {
  client: pg.Pool | pg.PoolClient;
  onError(e: unknown): never;
}

function wholeScript<T extends SqlDriverAdapter>(adapter: T): T {
  const inner = adapter as unknown as PgAdapterInternals;
  adapter.executeScript = async (script: string) => {
    try {
      await inner.client.query(script);
    } catch (e) {
      inner.onError(e);
    }
  };
  return adapter;
}

/**
 * A migration-aware adapter factory over an existing pool (the pool stays open when the
 * engine disposes the adapter; its owner closes it).
 */
export function pgAdapterFactory(pool: pg.Pool, schema?: string): SqlMigrationAwareDriverAdapterFactory {
  const base = new PrismaPg(pool, { schema, disposeExternalPool: false });
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    connect: async () => wholeScript(await base.connect()),
    connectToShadowDb: async () => wholeScript(await base.connectToShadowDb()),
  };
}
