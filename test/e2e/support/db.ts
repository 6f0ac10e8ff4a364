/**
 * Database-side checks for the journeys: a schema snapshot read from pg_catalog, scratch
 * databases built by replaying the sample's migrations with Prisma's engine, and rows of
 * `_prisma_migrations`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyFirst, createDatabase, dropDatabase, type SampleWorkspace } from '../../../scripts/demo/sample';

export async function query<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export interface SchemaSnapshot {
  tables: string[];
  columns: string[];
  indexes: string[];
  constraints: string[];
  enums: string[];
}

/** The public schema as sorted text lines (Prisma's own table left out), comparable with toEqual. */
export async function schemaSnapshot(url: string): Promise<SchemaSnapshot> {
  const rows = async (sql: string) => (await query<{ v: string }>(url, sql)).map((r) => r.v).sort();
  return {
    tables: await rows(
      `SELECT tablename AS v FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
    ),
    columns: await rows(
      `SELECT table_name || '.' || column_name || ' ' || data_type || COALESCE('(' || character_maximum_length || ')', '') ||
              CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END || COALESCE(' DEFAULT ' || column_default, '') AS v
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
    ),
    indexes: await rows(
      `SELECT indexdef AS v FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
    ),
    constraints: await rows(
      `SELECT c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) AS v
         FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname = 'public' AND c.conrelid <> 0 AND c.conrelid::regclass::text <> '_prisma_migrations'`,
    ),
    enums: await rows(
      `SELECT t.typname || ': ' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS v
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' GROUP BY t.typname`,
    ),
  };
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
