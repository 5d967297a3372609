import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import Redis from 'ioredis';
import pg from 'pg';
import { startEchoServer, TcpProxy, type EchoServer } from '../testing';

/** Resolves once `condition()` holds, checking every 10 ms (no deadline: Jest's timeout is the bound). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A client socket connected to `port`, collecting what it reads. */
async function open(port: number): Promise<{ socket: Socket; received: () => string }> {
  const socket = connect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  return { socket, received: () => received };
}

async function echoes(port: number, text: string): Promise<string> {
  const client = await open(port);
  client.socket.write(text);
  await until(() => client.received().length >= text.length);
  client.socket.destroy();
  return client.received();
}

describe('TcpProxy in front of an echo server', () => {
  let echo: EchoServer;
  let proxy: TcpProxy;

  beforeEach(async () => {
    echo = await startEchoServer();
    proxy = await TcpProxy.start({ targetHost: echo.host, targetPort: echo.port });
  });

  afterEach(async () => {
    await proxy.close();
    await echo.close();
  });

  it('listens on loopback and forwards bytes both ways', async () => {
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.port).not.toBe(echo.port);
    expect(await echoes(proxy.port, 'hello through the proxy')).toBe('hello through the proxy');
    expect(echo.accepted()).toBe(1);
    expect(proxy.counts()).toMatchObject({ accepted: 1, refused: 0, cut: 0 });
  });

  it('cut() destroys every live connection on both sides and counts them', async () => {
    const first = await open(proxy.port);
    const second = await open(proxy.port);
    await until(() => echo.open() === 2);
    expect(proxy.counts().active).toBe(2);
    const closed = Promise.all([once(first.socket, 'close'), once(second.socket, 'close')]);

    expect(proxy.cut()).toBe(2);

    await closed;
    await until(() => echo.open() === 0);
    expect(proxy.counts()).toEqual({ accepted: 2, refused: 0, cut: 2, active: 0 });
    expect(await echoes(proxy.port, 'after the cut')).toBe('after the cut');
  });

  it('refuse() closes new connections at once without reaching the target, and leaves live ones alone', async () => {
    const live = await open(proxy.port);
    proxy.refuse();

    const refused = await open(proxy.port);
    await once(refused.socket, 'close');
    live.socket.write('still here');
    await until(() => live.received() === 'still here');

    expect(echo.accepted()).toBe(1);
    expect(proxy.counts()).toMatchObject({ accepted: 1, refused: 1, active: 1 });
    live.socket.destroy();
  });

  it('resume() forwards new connections again, after each refuse()', async () => {
    proxy.refuse();
    await once((await open(proxy.port)).socket, 'close');
    proxy.resume();
    expect(await echoes(proxy.port, 'resumed')).toBe('resumed');
    proxy.refuse();
    proxy.resume();
    expect(await echoes(proxy.port, 'again')).toBe('again');
    expect(proxy.counts()).toMatchObject({ accepted: 2, refused: 1 });
  });

  it('closes a client whose target cannot be reached', async () => {
    await echo.close();
    const client = await open(proxy.port);
    await once(client.socket, 'close');
    expect(proxy.counts().active).toBe(0);
    echo = await startEchoServer();
  });

  it('close() stops listening and ends live connections', async () => {
    const live = await open(proxy.port);
    const closed = once(live.socket, 'close');
    await proxy.close();
    await closed;
    const refused = connect({ host: '127.0.0.1', port: proxy.port });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect(proxy.counts().cut).toBe(0);
  });

  it('urlThrough() points a URL at the proxy, keeping credentials, path and query', () => {
    expect(proxy.urlThrough('postgresql://user:secret@db.example:5432/catalog?sslmode=disable')).toBe(
      `postgresql://user:secret@127.0.0.1:${proxy.port}/catalog?sslmode=disable`,
    );
  });
});

const databaseUrl = process.env['DATABASE_URL'];
const redisUrl = process.env['REDIS_URL'];

// The brick depends on nothing of ours, so it uses the servers the suite is pointed at (README: DATABASE_URL, REDIS_URL).
(databaseUrl ? describe : describe.skip)('TcpProxy in front of the real PostgreSQL (DATABASE_URL)', () => {
  let proxy: TcpProxy;

  beforeEach(async () => {
    const target = new URL(databaseUrl as string);
    proxy = await TcpProxy.start({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
  });

  afterEach(() => proxy.close());

  async function connectedClient(): Promise<{ client: pg.Client; errors: Error[] }> {
    const client = new pg.Client({ connectionString: proxy.urlThrough(databaseUrl as string) });
    const errors: Error[] = [];
    client.on('error', (error) => errors.push(error));
    await client.connect();
    return { client, errors };
  }

  it('answers through the proxy; a cut fails the client; refused connections fail; after resume a new client works', async () => {
    const { client, errors } = await connectedClient();
    expect((await client.query<{ answer: number }>('SELECT 1 AS answer')).rows).toEqual([{ answer: 1 }]);

    expect(proxy.cut()).toBe(1);
    await until(() => errors.length > 0);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);

    proxy.refuse();
    const refused = new pg.Client({ connectionString: proxy.urlThrough(databaseUrl as string) });
    refused.on('error', () => undefined);
    await expect(refused.connect()).rejects.toThrow();

    proxy.resume();
    const fresh = await connectedClient();
    expect((await fresh.client.query<{ answer: number }>('SELECT 2 AS answer')).rows).toEqual([{ answer: 2 }]);
    await fresh.client.end();
    expect(proxy.counts()).toMatchObject({ accepted: 2, refused: 1, cut: 1 });
  });

  it('fails a query in flight when the connection is cut', async () => {
    const { client } = await connectedClient();
    const inFlight = client.query('SELECT pg_sleep(1)');
    proxy.cut();
    await expect(inFlight).rejects.toThrow();
    await client.end().catch(() => undefined);
  });
});

(redisUrl ? describe : describe.skip)('TcpProxy in front of the real Redis (REDIS_URL)', () => {
  let proxy: TcpProxy;
  let redis: Redis | undefined;

  beforeEach(async () => {
    const target = new URL(redisUrl as string);
    proxy = await TcpProxy.start({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
  });

  afterEach(async () => {
    redis?.disconnect();
    await proxy.close();
  });

  it('answers through the proxy; while cut and refused commands fail and reconnects are refused; after resume it reconnects', async () => {
    redis = new Redis(proxy.urlThrough(redisUrl as string), {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 20,
    });
    redis.on('error', () => undefined);
    await once(redis, 'ready');
    expect(await redis.ping()).toBe('PONG');

    proxy.refuse();
    expect(proxy.cut()).toBe(1);
    await until(() => redis?.status !== 'ready');
    await expect(redis.ping()).rejects.toThrow();
    await until(() => proxy.counts().refused >= 2);

    proxy.resume();
    await until(() => redis?.status === 'ready');
    expect(await redis.ping()).toBe('PONG');
    expect(proxy.counts()).toMatchObject({ accepted: 2, cut: 1 });
  });
});
