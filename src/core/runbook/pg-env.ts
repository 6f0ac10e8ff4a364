/**
 * libpq environment variables for a connection string, so that `pg_dump`, `pg_restore` and
 * `psql` receive credentials through their environment and never on a command line
 * (where `ps` and shell history would show them).
 */

export interface PgEnv {
  PGHOST?: string;
  PGPORT?: string;
  PGUSER?: string;
  PGPASSWORD?: string;
  PGDATABASE?: string;
  PGSSLMODE?: string;
  PGSSLCERT?: string;
  PGSSLKEY?: string;
  PGSSLROOTCERT?: string;
  PGOPTIONS?: string;
  PGAPPNAME?: string;
  PGCONNECT_TIMEOUT?: string;
}

export function pgEnvFromUrl(url: string, appName = 'prisma-rollback'): PgEnv {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(
      'The connection string is not a valid URL (postgresql://user:password@host:port/database).',
    );
  }
  const q = u.searchParams;
  const env: PgEnv = { PGAPPNAME: appName };
  const host = q.get('host') || decodeURIComponent(u.hostname.replace(/^\[|\]$/g, ''));
  if (host) env.PGHOST = host;
  if (u.port) env.PGPORT = u.port;
  else if (q.get('port')) env.PGPORT = q.get('port')!;
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (db) env.PGDATABASE = db;
  const map: [string, keyof PgEnv][] = [
    ['sslmode', 'PGSSLMODE'],
    ['sslcert', 'PGSSLCERT'],
    ['sslkey', 'PGSSLKEY'],
    ['sslrootcert', 'PGSSLROOTCERT'],
    ['options', 'PGOPTIONS'],
    ['connect_timeout', 'PGCONNECT_TIMEOUT'],
  ];
  for (const [param, name] of map) {
    const v = q.get(param);
    if (v) env[name] = v;
  }
  // Prisma's `sslaccept=accept_invalid_certs` means "encrypt, do not verify": libpq's `require`.
  if (!env.PGSSLMODE && q.get('sslaccept') === 'accept_invalid_certs') env.PGSSLMODE = 'require';
  return env;
}

/** Prisma's `?schema=` parameter (the Postgres schema its migrations live in), default `public`. */
export function prismaSchema(url: string): string {
  try {
    return new URL(url).searchParams.get('schema') || 'public';
  } catch {
    return 'public';
  }
}

/** `"schema"."name"` with embedded quotes doubled. */
export function quoteIdent(...parts: string[]): string {
  return parts.map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}

/** The database name of a connection string (what the user must type to reset it). */
export function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
  } catch {
    return '';
  }
}

/**
 * Connection settings that put a session in Prisma's `?schema=` (as Prisma's own engine does):
 * `search_path` as a startup option, so that every connection of a pool — also the schema
 * engine's — creates and finds `_prisma_migrations` and the project's tables there.
 */
export function schemaConnectionOptions(url: string): { options?: string } {
  const schema = prismaSchema(url);
  if (schema === 'public') return {};
  return { options: `-c search_path=${quoteIdent(schema).replace(/[\\ ]/g, '\\$&')}` };
}
