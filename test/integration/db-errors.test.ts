/**
 * describeDbError names the failure a user can act on: a server that never answers is a timeout
 * (check host, port, network), not "the connection was lost"; a server that hangs up is a lost
 * connection. Real sockets and the real `pg` client (its own messages, e.g. "Connection terminated
 * due to connection timeout").
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, describeDbError } from '../../src/core/db';

/** A TCP server on 127.0.0.1 that accepts and then `behave`s with each socket. */
async function server(behave: (s: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    behave(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe('describeDbError', () => {
  let silent: Awaited<ReturnType<typeof server>>;
  let hangsUp: Awaited<ReturnType<typeof server>>;
  beforeAll(async () => {
    silent = await server(() => {});
    hangsUp = await server((s) => s.destroy());
  });
  afterAll(async () => {
    await silent.close();
    await hangsUp.close();
  });
  const url = (port: number) => `postgresql://u:secret-pw@127.0.0.1:${port}/app`;

  it('a server that never answers: timed out, on a client and on a pool', async () => {
    const c = new pg.Client({ connectionString: url(silent.port), connectionTimeoutMillis: 300 });
    const e1 = await c.connect().catch((e) => e);
    const pool = createPool(url(silent.port), { connectTimeoutMs: 300 });
    const e2 = await pool.query('SELECT 1').catch((e) => e);
    await pool.end();
    for (const e of [e1, e2]) {
      expect(e).toBeInstanceOf(Error);
      expect(describeDbError(e, url(silent.port))).toBe(
        `Connection timed out (127.0.0.1:${silent.port}/app): check the host, port and network.`,
      );
    }
  });

  it('a server that hangs up: the connection was lost', async () => {
    const c = new pg.Client({ connectionString: url(hangsUp.port), connectionTimeoutMillis: 5000 });
    const e = await c.connect().catch((x) => x);
    expect(describeDbError(e, url(hangsUp.port))).toMatch(
      new RegExp(`^The connection was lost \\(127\\.0\\.0\\.1:${hangsUp.port}/app\\): the server closed it`),
    );
  });
});
