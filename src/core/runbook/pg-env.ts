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

/**
 * The libpq variables (PGHOST, PGPASSWORD, PGSSLMODE…) for a PostgreSQL connection string;
 * `appName` becomes PGAPPNAME. Pure: throws a plain `Error` (without the URL, so no secret) when
 * `url` is not a valid URL.
 */
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

/** The database name of a connection string (what the user must type to reset it). */
export function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
  } catch {
    return '';
  }
}
