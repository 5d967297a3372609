import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createApp } from '../app';
import { startTestServer, type TestServer } from '../testing/test-server';
import { fastReads } from './fast-reads';

/** A server over `serve` on an ephemeral port, and its URL. */
async function listen(serve: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(serve).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Headers Node computes per connection or per moment, and the request id (fresh per request). */
const VARYING = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

async function answerOf(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers });
  const kept: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!VARYING.has(name)) kept[name] = value;
  });
  // A problem names the request's id, fresh per request.
  const body = Buffer.from(await response.arrayBuffer())
    .toString('utf8')
    .replace(/"requestId":"[^"]*"/, '"requestId":"…"');
  return { status: response.status, headers: kept, body };
}

describe('fast reads (a descriptor read answered from memory, before Express)', () => {
  let api: TestServer;
  /** The app alone: what every answer of the fast way is compared with. */
  let reference: { server: Server; url: string };
  /** The fast way in front of the app, recording for each request whether the fast way took it. */
  let fast: { server: Server; url: string };
  const taken: boolean[] = [];
  let admin: Record<string, string>;
  let first: string;
  let second: string;

  beforeAll(async () => {
    api = await startTestServer();
    const app = createApp(api.dependencies);
    const lane = fastReads(api.dependencies);
    reference = await listen((req, res) => app(req, res));
    fast = await listen((req, res) => {
      const took = lane(req, res);
      taken.push(took);
      if (!took) app(req, res);
    });
    admin = { authorization: `Bearer ${api.tokenFor()}` };
    const created = await api
      .http()
      .post('/api/v1/datasets')
      .send({ owner: 'acme', name: 'rain', descriptor: { name: 'rain', resources: [{ name: 'r', path: 'r.csv' }] } });
    expect(created.status).toBe(201);
    first = created.body.revision.sha as string;
    expect((await api.http().post('/api/v1/datasets/acme/rain/tags').send({ name: 'v1', ref: first })).status).toBe(201);
    const patched = await api
      .http()
      .patch('/api/v1/datasets/acme/rain')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ title: 'Rain' });
    second = patched.body.revision.sha as string;
    // Past git's racy window: a ref file this recent is never trusted from memory.
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }, 120_000);

  afterAll(async () => {
    for (const { server } of [reference, fast]) await new Promise((resolve) => server?.close(resolve));
    await api?.close();
  });

  /** Reads `pathAndQuery` through the fast server (twice: the first may teach the caches) and the app alone. */
  async function compare(pathAndQuery: string, headers: Record<string, string> = admin) {
    await answerOf(`${fast.url}${pathAndQuery}`, headers);
    taken.length = 0;
    const viaFast = await answerOf(`${fast.url}${pathAndQuery}`, headers);
    const viaApp = await answerOf(`${reference.url}${pathAndQuery}`, headers);
    return { viaFast, viaApp, took: taken[0] };
  }

  it.each([
    ['at the head', '/api/v1/datasets/acme/rain'],
    ['at a tag', '/api/v1/datasets/acme/rain?ref=v1'],
    ['at a sha', () => `/api/v1/datasets/acme/rain?ref=${first}`],
  ])('answers a read %s with the app’s status, headers and bytes, and its 304 alike', async (_label, target) => {
    const url = typeof target === 'string' ? target : target();
    const { viaFast, viaApp, took } = await compare(url);
    expect(took).toBe(true);
    expect(viaFast).toEqual(viaApp);
    expect(viaFast.status).toBe(200);
    const etag = viaFast.headers['etag']!;
    const notModified = await compare(url, { ...admin, 'if-none-match': etag });
    expect(notModified.took).toBe(true);
    expect(notModified.viaFast).toEqual(notModified.viaApp);
    expect(notModified.viaFast.status).toBe(304);
  });

  it('counts its answers in the metrics under the route template, as the app does', async () => {
    const before = await answerOf(`${reference.url}/metrics`, admin);
    const count = (text: string) =>
      Number(
        /metastore_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/datasets\/:owner\/:name",status="200"\} (\d+)/.exec(
          text,
        )?.[1] ?? 0,
      );
    const { took } = await compare('/api/v1/datasets/acme/rain');
    expect(took).toBe(true);
    const after = await answerOf(`${reference.url}/metrics`, admin);
    // One read by the fast way and its first read (taught or taken), one by the app: three.
    expect(count(after.body) - count(before.body)).toBe(3);
  });

  it.each([
    ['another query parameter', '/api/v1/datasets/acme/rain?ref=v1&x=1'],
    ['an invalid ref', '/api/v1/datasets/acme/rain?ref=..%2Fx'],
    ['a ref given twice', '/api/v1/datasets/acme/rain?ref=v1&ref=v1'],
    ['a trailing slash', '/api/v1/datasets/acme/rain/'],
    ['a query that is not validly percent-encoded', '/api/v1/datasets/acme/rain?ref=v1%'],
    ['an invalid dataset name', '/api/v1/datasets/acme/r%20ain'],
    ['a dataset that does not exist', '/api/v1/datasets/acme/snow'],
    ['a tag that does not exist', '/api/v1/datasets/acme/rain?ref=v9'],
    ['a resource of the dataset', '/api/v1/datasets/acme/rain/resources/r'],
  ])('leaves %s to the app', async (_label, url) => {
    const { viaFast, viaApp, took } = await compare(url);
    expect(took).toBe(false);
    expect(viaFast).toEqual(viaApp);
  });

  it('leaves a query with a fragment to the app, which drops it (fetch never sends one: a raw request does)', async () => {
    const raw = (url: string) =>
      new Promise<{ status: number; etag: string | undefined }>((resolve, reject) => {
        const target = new URL(url);
        get({ host: target.hostname, port: target.port, path: '/api/v1/datasets/acme/rain?ref=v1#x', headers: admin }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, etag: response.headers.etag }));
        }).on('error', reject);
      });
    await raw(fast.url);
    taken.length = 0;
    const viaFast = await raw(fast.url);
    expect(taken).toEqual([false]);
    expect(viaFast).toEqual(await raw(reference.url));
  });

  it('leaves callers it cannot vouch for to the app: none, an unknown token, a malformed header, one the policy refuses', async () => {
    const url = '/api/v1/datasets/acme/rain';
    const anonymous = await compare(url, {});
    expect(anonymous.took).toBe(false);
    expect(anonymous.viaFast.status).toBe(401);
    expect(anonymous.viaFast).toEqual(anonymous.viaApp);
    const malformed = await compare(url, { authorization: 'Basic abc' });
    expect([malformed.took, malformed.viaFast.status]).toEqual([false, 401]);
    const stranger = { authorization: `Bearer ${api.tokenFor({ sub: 'sam', roles: { other: 'reader' } })}` };
    const refused = await compare(url, stranger);
    expect([refused.took, refused.viaFast.status]).toEqual([false, 404]);
    expect(refused.viaFast).toEqual(refused.viaApp);
    // A token seen for the first time is verified by the app, then remembered.
    const reader = { authorization: `Bearer ${api.tokenFor({ sub: 'rita', roles: { acme: 'reader' } })}` };
    taken.length = 0;
    expect((await answerOf(`${fast.url}${url}`, reader)).status).toBe(200);
    expect((await answerOf(`${fast.url}${url}`, reader)).status).toBe(200);
    expect(taken).toEqual([false, true]);
  });

  it('never answers for a revoked token: the revoking process refuses it at once', async () => {
    const token = api.tokenFor({ sub: 'rita', roles: { acme: 'reader' } });
    const reader = { authorization: `Bearer ${token}` };
    const url = '/api/v1/datasets/acme/rain';
    expect((await compare(url, reader)).took).toBe(true);
    expect((await api.http().post('/api/v1/tokens/revoke').send({ token })).status).toBeLessThan(300);
    const after = await compare(url, reader);
    expect([after.took, after.viaFast.status, after.viaApp.status]).toEqual([false, 401, 401]);
  });

  it('never answers for a token past its expiry (the app then decides, with its clock skew allowance)', async () => {
    const reader = { authorization: `Bearer ${api.tokenFor({ sub: 'rita', roles: { acme: 'reader' } }, 1)}` };
    const url = '/api/v1/datasets/acme/rain';
    expect((await compare(url, reader)).took).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await compare(url, reader);
    expect(after.took).toBe(false);
    expect(after.viaFast).toEqual(after.viaApp);
  });

  it('never serves a moved head: a write through the API, and a ref changed on disk by other means, are read at once', async () => {
    const url = '/api/v1/datasets/acme/rain';
    expect((await compare(url)).viaFast.headers['etag']).toBe(`"${second}"`);
    const patched = await api.http().patch(url).set('Content-Type', 'application/merge-patch+json').send({ title: 'Rain, again' });
    const third = patched.body.revision.sha as string;
    const afterWrite = await answerOf(`${fast.url}${url}`, admin);
    expect(afterWrite.headers['etag']).toBe(`"${third}"`);
    // Another process (a second API on the data directory, a push) moves the head back; its file's time is set in the
    // past so that only its signature (inode, size, times) tells the change, not git's racy window.
    const refFile = path.join(api.dataDir, 'repositories', 'acme', 'rain.git', 'refs', 'heads', 'main');
    expect((await readFile(refFile, 'utf8')).trim()).toBe(third);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await compare(url)).took).toBe(true);
    await writeFile(refFile, `${second}\n`);
    const past = new Date(Date.now() - 60_000);
    await utimes(refFile, past, past);
    taken.length = 0;
    const moved = await answerOf(`${fast.url}${url}`, admin);
    expect(moved.headers['etag']).toBe(`"${second}"`);
    expect(taken).toEqual([false]);
    expect((await compare(url)).took).toBe(true);
  });

  it('takes nothing when CORS origins are configured (the cors middleware answers those)', async () => {
    const config = { ...api.dependencies.config, auth: { ...api.dependencies.config.auth, corsOrigins: ['https://example.org'] } };
    const lane = fastReads({ ...api.dependencies, config });
    let took: boolean | undefined;
    const { server, url } = await listen((req, res) => {
      took = lane(req, res);
      if (!took) res.end();
    });
    await fetch(`${url}/api/v1/datasets/acme/rain`, { headers: admin });
    expect(took).toBe(false);
    await new Promise((resolve) => server.close(resolve));
  });
});
