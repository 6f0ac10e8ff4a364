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

/** Creates a pool; the caller owns it and must `end()` it. */
export function createPool(url: string, opts: ConnectionOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    ...schemaConnectionOptions(url),
    connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    statement_timeout: opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    max: 4,
    application_name: 'prisma-rollback',
  });
  // An idle client's error (server restart) must not crash the host.
  pool.on('error', () => {});
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

/** Runs `fn` in a READ ONLY transaction on one client of the pool. */
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
    default:
      break;
  }
  const msg = err?.message ?? String(e);
  if (/timeout/i.test(msg) && /connect/i.test(msg))
    return `Connection timed out${where}: check the host, port and network.`;
  if (/SSL|self[- ]signed|certificate/i.test(msg))
    return `TLS problem${where}: ${msg}. Check sslmode in the connection string.`;
  return url ? msg.split(url).join(maskUrl(url)) : msg;
}
