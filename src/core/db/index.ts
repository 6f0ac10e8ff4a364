/**
 * PostgreSQL connections: one pool per environment, short connect timeout, a statement
 * timeout on every query, logging of every query's duration (never its connection string),
 * and connection errors translated into what the user should do.
 */
import pg from 'pg';
import { quoteIdent } from '../sql/names';
import { SECRET_PARAM } from './redact';

export { redactSecrets } from './redact';

export interface ConnectionOptions {
  /** Connect timeout in milliseconds (setting `prismaRollback.connectTimeoutSeconds`). */
  connectTimeoutMs?: number;
  /** Statement timeout in milliseconds applied to every query of the pool. */
  statementTimeoutMs?: number;
  /** Called after each query with its first line and duration; never receives credentials. */
  onQuery?: (label: string, ms: number) => void;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

/** `postgresql://user:***@host:5432/db?…` — safe to show or log. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (SECRET_PARAM.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return '<unparseable connection string>';
  }
}

/** `host:port/db` for tree descriptions. */
export function hostLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return '?';
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

/**
 * Why a `postgresql://` connection string cannot be used, in words, or undefined when it can.
 * pg, Prisma's engine and this extension all read it as a WHATWG URL: a `#`, `/` or `?` in the
 * user or password ends that part early (an `@` does not: the last `@` ends the credentials),
 * a port must be 1–65535, and a host is required unless `?host=` names a socket folder (Prisma
 * refuses an empty host: P1013). The reason never contains the password. The scheme is not
 * checked here (`isPostgresUrl`).
 */
export function connectionUrlProblem(url: string): string | undefined {
  const text = url.trim();
  const rest = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  // A connection string has no fragment: a `#` there was meant as part of the user or password.
  if (!parsed || parsed.hash) {
    // The credentials run to the last `@` before the path; a `#`, `/` or `?` in them cuts the URL short.
    const at = rest.lastIndexOf('@');
    const credentials = at >= 0 ? rest.slice(0, at) : '';
    const bad = [...new Set(credentials.match(/[#/?\s]/g) ?? [])];
    if (bad.length) {
      const where =
        credentials.includes(':') && !/[#/?\s]/.test(credentials.split(':')[0]) ? 'password' : 'user name';
      const shown = bad.map((c) => (c.trim() ? `"${c}"` : 'a space')).join(', ');
      return `its ${where} contains ${shown}, which must be percent-encoded (${bad
        .map((c) => `${c.trim() ? c : 'space'} → ${encodeURIComponent(c)}`)
        .join(', ')})`;
    }
    const hostPort = (at >= 0 ? rest.slice(at + 1) : rest).split(/[/?#]/)[0];
    const port = /:([^:\]]*)$/.exec(hostPort)?.[1];
    if (port !== undefined && !/^\d{1,5}$/.test(port)) {
      // `user:password` with nothing after it: the URL was cut before its `@` (an unquoted `#` in a .env file starts a comment).
      if (at < 0 && !rest.includes('/'))
        return `it ends after "user:…" with no "@host": if a password follows, it was cut short — quote the value in a .env file and percent-encode a "#" in it (# → %23)`;
      return `its port "${port}" is not a number`;
    }
    if (port !== undefined && Number(port) > 65535) return `its port ${port} is not between 1 and 65535`;
    if (!hostPort || hostPort.startsWith(':')) return 'it names no host';
    if (parsed)
      return 'it contains "#", which ends the URL there: percent-encode it in the user name or password (# → %23)';
    return 'it does not parse as a URL; percent-encode any special character in the user name and password';
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) return 'it names no host';
  if (parsed.port && Number(parsed.port) === 0) return 'its port 0 is not between 1 and 65535';
  return undefined;
}

/** The PostgreSQL schema Prisma uses for a URL: its `?schema=` parameter, else `public`. */
export function prismaSchema(url: string): string {
  try {
    return new URL(url).searchParams.get('schema') || 'public';
  } catch {
    return 'public';
  }
}

/**
 * `pg` connection options that put Prisma's schema (`?schema=`) first on the search path, as
 * Prisma does: unqualified names in migrations and `_prisma_migrations` then resolve there.
 */
export function schemaConnectionOptions(url: string): { options?: string } {
  const schema = prismaSchema(url);
  if (schema === 'public') return {};
  return { options: `-c search_path=${quoteIdent(schema).replace(/[\\ ]/g, '\\$&')}` };
}

/**
 * Gives a pool (and every client it opens) an `'error'` listener. A connection lost while a
 * client is checked out makes pg emit `'error'` on that client besides rejecting its query;
 * with no listener Node throws it and the host process dies (the CLI's `status` did). The
 * query's own rejection still reaches the caller. Returns the pool.
 */
export function guardPool<P extends pg.Pool>(pool: P): P {
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/** Gives a lone client an `'error'` listener (see `guardPool`); returns it. */
export function guardClient<C extends pg.Client>(client: C): C {
  client.on('error', () => {});
  return client;
}

/**
 * A limit in milliseconds as PostgreSQL's `statement_timeout` and `lock_timeout` take it: a whole
 * number of ms (a positive limit stays at least 1); 0 (no limit) for 0 or less, NaN, and beyond what
 * the settings hold (INT_MAX ms, 24.8 days: docs §20.11.1 "Statement Behavior"; `SET
 * statement_timeout = 1e13` fails with 22023) or Infinity — the same as the verifier's timers,
 * where such a limit is no limit. Pure.
 */
export function pgTimeoutMs(ms: number): number {
  if (!(ms > 0) || !(ms < 2 ** 31)) return 0;
  return Math.max(1, Math.round(ms));
}

/** Creates a pool; the caller owns it and must `end()` it. */
export function createPool(url: string, opts: ConnectionOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    ...schemaConnectionOptions(url),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: pgTimeoutMs(opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS),
    idleTimeoutMillis: 30_000,
    max: 4,
    application_name: 'prisma-rollback',
  });
  // A client's error (server restart, connection lost mid-query) must not crash the host.
  guardPool(pool);
  if (opts.onQuery) {
    const onQuery = opts.onQuery;
    // Every query goes through a pooled client's `query` (pool.query included): log there, once.
    pool.on('connect', (client) => {
      const original = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
        const label = text.trim().split('\n')[0].slice(0, 120);
        const started = performance.now();
        const done = (failed: boolean) =>
          onQuery(failed ? `${label} (failed)` : label, performance.now() - started);
        const last = args[args.length - 1];
        if (typeof last === 'function') {
          // Callback form (what pool.query uses).
          args[args.length - 1] = (err: unknown, ...rest: unknown[]) => {
            done(Boolean(err));
            return (last as (...a: unknown[]) => unknown)(err, ...rest);
          };
        }
        const result = original(...args);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(
            () => done(false),
            () => done(true),
          );
        }
        return result;
      };
    });
  }
  return pool;
}

/** One pool per key (project × environment), reused across refreshes, closed together. */
export class PoolRegistry {
  private readonly pools = new Map<string, { url: string; pool: pg.Pool }>();
  constructor(private readonly opts: ConnectionOptions = {}) {}

  get(key: string, url: string): pg.Pool {
    const existing = this.pools.get(key);
    if (existing && existing.url === url) return existing.pool;
    if (existing) void existing.pool.end().catch(() => {});
    const pool = createPool(url, this.opts);
    this.pools.set(key, { url, pool });
    return pool;
  }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.pool.end().catch(() => {})));
  }
}

/**
 * Runs `fn` in a READ ONLY transaction on one client of the pool. Rethrows the error of
 * `pool.connect()` (nothing to undo) or of `fn`/COMMIT unchanged, after a best-effort ROLLBACK;
 * the client is always released to the pool, and the pool stays open (the caller ends it).
 */
export async function readOnly<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}

/**
 * A one-line reason for a failed connection or query, with what to do about it. Never
 * includes the password.
 */
export function describeDbError(e: unknown, url?: string): string {
  const err = e as { code?: string; message?: string; errno?: string };
  const where = url ? ` (${hostLabel(url)})` : '';
  switch (err?.code) {
    case 'ECONNREFUSED':
      return `Connection refused${where}: is PostgreSQL running and listening on that port?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Host not found${where}: check the host name in the connection string.`;
    case 'ETIMEDOUT':
      return `Connection timed out${where}: check the network, firewall or VPN.`;
    case '28P01':
      return `Password authentication failed${where}: check the user and password.`;
    case '28000':
      return `The server rejected the login${where}: ${err.message ?? ''}`.trim();
    case '3D000':
      return `Database does not exist${where}: ${err.message ?? ''}. Create it or fix the database name.`;
    case '57014':
      return `A query was cancelled by the statement timeout${where}.`;
    case '42501':
      return `Permission denied${where}: ${err.message ?? ''}. Connect as a user with rights on it (its owner, or GRANT them to this user).`;
    default:
      break;
  }
  const msg = err?.message ?? String(e);
  // pg's own words for a server that never answered: "Connection terminated due to connection
  // timeout" (Client) and "timeout expired" (Pool): checked before "terminated" (a lost connection).
  if (/connection timeout|^timeout expired$/i.test(msg))
    return `Connection timed out${where}: check the host, port and network.`;
  if (
    /Connection terminated|ECONNRESET|server closed the connection/i.test(msg) ||
    err?.code === 'ECONNRESET'
  )
    return `The connection was lost${where}: the server closed it (restart, crash, network, proxy or pooler). Retry; if it happens again, check the server's log.`;
  if (/timeout/i.test(msg) && /connect/i.test(msg))
    return `Connection timed out${where}: check the host, port and network.`;
  if (/SSL|self[- ]signed|certificate/i.test(msg))
    return `TLS problem${where}: ${msg}. Check sslmode in the connection string.`;
  return url ? msg.split(url).join(maskUrl(url)) : msg;
}
