/**
 * Database-side checks for the journeys: the verifier's schema snapshot, scratch
 * databases built by replaying the sample's migrations with Prisma's engine, and rows of
 * `_prisma_migrations`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyFirst, createDatabase, dropDatabase, type SampleWorkspace } from '../../../scripts/demo/sample';
import { type SchemaSnapshot, snapshotSchema } from '../../../src/core/verify/snapshot';
import { query } from '../../support/pg';

/** One query on a database (the integration tests' helper). */
export { query };

/** The schema as the verifier reads it (src/core/verify/snapshot.ts: one implementation for all). */
export async function schemaSnapshot(url: string): Promise<SchemaSnapshot> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await snapshotSchema((sql) => c.query(sql));
  } finally {
    await c.end();
  }
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new database with the first `count` migrations of the workspace applied by Prisma's engine. */
export async function scratchWithMigrations(
  adminUrl: string,
  ws: SampleWorkspace,
  count: number,
): Promise<ScratchDatabase> {
  const name = `scratch_${randomBytes(5).toString('hex')}`;
  const url = await createDatabase(adminUrl, name);
  if (count > 0) await applyFirst(ws, url, count);
  return { url, drop: () => dropDatabase(adminUrl, name) };
}

export interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export async function migrationRows(url: string): Promise<MigrationRow[]> {
  return query<MigrationRow>(
    url,
    'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM _prisma_migrations ORDER BY started_at',
  );
}
