import Redis from 'ioredis';
import pino from 'pino';
import request from 'supertest';
import { CatalogSync } from '@metastore/catalog';
import { createCatalogDatabase, type CatalogDatabase } from '@metastore/catalog-postgres';
import { databaseForTests, type TestDatabase } from '@metastore/catalog-postgres/testing';
import { eventOptionsForApi, type MetastoreEvent, type StoredEvent } from '@metastore/events';
import { RedisEventStream } from '@metastore/events-redis';
import { deleteStreamKeys, redisForTests, uniqueStreamKey, type TestRedis } from '@metastore/events-redis/testing';
import { TcpProxy } from '@metastore/fault-proxy/testing';
import { LocalGitStorage, parseLocalGitStorageConfig } from '@metastore/storage-local';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

// Real PostgreSQL and Redis behind in-process TCP proxies that cut live connections and refuse new ones: the shared
// servers are never stopped. Git (on disk) stays up: it is the truth.
jest.setTimeout(120_000);

const descriptor = (name: string, title: string) => ({ name, title, resources: [{ name: 'daily', path: 'daily.csv' }] });

/** A proxy in front of the server of `url` (host and port taken from it). */
function proxyFor(url: string): Promise<TcpProxy> {
  const parsed = new URL(url);
  return TcpProxy.start({ targetHost: parsed.hostname, targetPort: Number(parsed.port) });
}

/** Cuts every live connection through `proxy` and refuses new ones. */
function cut(proxy: TcpProxy): void {
  proxy.refuse();
  proxy.cut();
}

async function outboxEvents(db: CatalogDatabase): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await db.outbox.feed(after, 500);
    events.push(...page.items);
    if (!page.nextCursor) return events;
    after = page.nextCursor;
  }
}

/** What tells two announcements of one change apart: dataset, type, revision (or tag). No two events may share it. */
const changeKey = (event: MetastoreEvent) => `${event.subject} ${event.type} ${event.data.newRevision ?? event.data.oldRevision} ${event.data.tag?.name ?? event.data.previousTag?.name ?? ''}`;

describe('metadata-api: a PostgreSQL and Redis outage loses no event and announces none twice', () => {
  let database: TestDatabase;
  let redis: TestRedis;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let streamKey: string;
  let stream: RedisEventStream;
  let server: TestServer;
  let direct: CatalogDatabase;

  beforeAll(async () => {
    database = await databaseForTests();
    if (database.kind === 'embedded') throw new Error('this test needs a PostgreSQL server (DATABASE_URL or a container runtime), not the embedded database');
    redis = await redisForTests();
    [pgProxy, redisProxy] = await Promise.all([proxyFor(database.url), proxyFor(redis.url)]);
    streamKey = uniqueStreamKey('test:outage');
    stream = new RedisEventStream({ redis: redisProxy.urlThrough(redis.url), stream: streamKey, timeoutMs: 500 });
    // The revocation list is loaded again on every request (TTL 0): every read during the cut is past the cache.
    server = await startTestServer({ METASTORE_REVOCATION_CACHE_SECONDS: '0', METASTORE_REVOCATION_STALE_SECONDS: '3600' }, undefined, {
      stream,
      database: { url: pgProxy.urlThrough(database.url) },
    });
    server.dependencies.relay!.start();
    direct = createCatalogDatabase({ url: database.url });
  });

  afterAll(async () => {
    pgProxy?.resume();
    redisProxy?.resume();
    await server?.close();
    await stream?.close();
    await direct?.close();
    await Promise.all([pgProxy?.close(), redisProxy?.close()]);
    await deleteStreamKeys(redis.url, streamKey).catch(() => undefined);
    await redis?.stop();
    await database?.drop();
  });

  it('acknowledges writes while the catalog is cut, reads on with a jti token, says what is degraded, and one sync then announces each write once', async () => {
    const http = () => server.http();
    const token = server.tokenFor({ sub: 'reader', roles: { '*': 'reader' } });
    const read = (path: string) => request(server.baseUrl).get(path).set('Authorization', `Bearer ${token}`);

    expect((await http().post('/api/v1/datasets').send({ owner: 'acme', name: 'rain', descriptor: descriptor('rain', 'Rain') })).status).toBe(201);
    expect((await http().post('/api/v1/datasets').send({ owner: 'acme', name: 'wind', descriptor: descriptor('wind', 'Wind') })).status).toBe(201);
    expect((await http().post('/api/v1/datasets/acme/rain/tags').send({ name: 'v1' })).status).toBe(201);
    expect((await read('/api/v1/datasets/acme/rain')).status).toBe(200);
    const before = (await outboxEvents(direct)).length;
    expect(before).toBe(3);

    cut(pgProxy);
    cut(redisProxy);

    // Writes: git is the truth, so each is acknowledged; the catalog records none of them.
    const acknowledged: { subject: string; revision: string }[] = [];
    const write = async (subject: string, response: request.Response) => {
      expect(response.status).toBeLessThan(300);
      acknowledged.push({ subject, revision: response.body.revision.sha });
    };
    for (let i = 1; i <= 30; i++) {
      await write('acme/rain', await http().patch('/api/v1/datasets/acme/rain').set('Content-Type', 'application/merge-patch+json').send({ title: `Rain ${i}` }));
    }
    await write('polar/snow', await http().post('/api/v1/datasets').send({ owner: 'polar', name: 'snow', descriptor: descriptor('snow', 'Snow') }));
    await write('polar/snow', await http().patch('/api/v1/datasets/polar/snow').set('Content-Type', 'application/merge-patch+json').send({ title: 'Snow, again' }));
    const tagged: string[] = [];
    for (const [path, name] of [['polar/snow', 'v1'], ['polar/snow', 'v2'], ['acme/rain', 'v2']] as const) {
      const response = await http().post(`/api/v1/datasets/${path}/tags`).send({ name });
      expect(response.status).toBe(201);
      tagged.push(`${path} ${name}`);
    }
    expect((await http().delete('/api/v1/datasets/acme/wind')).status).toBe(204);

    // Reads with a token carrying a jti go on: the revocation list cannot be loaded, its last copy answers.
    for (let i = 0; i < 3; i++) {
      const response = await read('/api/v1/datasets/acme/rain');
      expect(response.status).toBe(200);
      expect(response.body.title).toBe('Rain 30');
    }
    expect((await read('/api/v1/datasets/polar/snow')).status).toBe(200);

    const ready = await http().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      checks: { storage: { status: 'up' }, catalog: { status: 'down' }, revocations: { status: 'degraded' }, events: { stream: 'redis' } },
    });
    expect(ready.body.degraded).toEqual(expect.arrayContaining(['catalog', 'revocations']));
    expectDocumented('GET', '/readyz', ready);
    const metrics = await http().get('/metrics');
    expect(metrics.text).toMatch(/^metastore_revocation_list_degraded 1$/m);
    expect(metrics.text).toMatch(/^metastore_revocation_list_stale_seconds \d+(\.\d+)?$/m);
    expect((await outboxEvents(direct)).length).toBe(before);

    pgProxy.resume();
    redisProxy.resume();

    // One sync, as the worker runs it, on the same git data and database.
    const storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: server.dataDir }));
    const sync = new CatalogSync(storage, direct.catalog, { events: eventOptionsForApi(server.dependencies.config.events.publicUrl, 65536), logger: pino({ level: 'silent' }) });
    expect(await sync.reconcile()).toEqual({ datasets: 3, created: 1, updated: 31, deleted: 1, tagChanges: 3, failures: 0 });

    const found = (await outboxEvents(direct)).slice(before).map((stored) => stored.event);
    const commits = found.filter((event) => event.type === 'dataset.created' || event.type === 'dataset.updated');
    // Exactly one event per acknowledged revision, in commit order per dataset; one per tag; the deletion; nothing else.
    // Datasets are synced concurrently: the order holds within each one.
    const bySubject = (list: { subject: string }[]) => ['acme/rain', 'polar/snow'].flatMap((subject) => list.filter((item) => item.subject === subject));
    expect(bySubject(commits.map((event) => ({ subject: event.subject, revision: event.data.newRevision })))).toEqual(acknowledged);
    expect(found.filter((event) => event.type === 'tag.created').map((event) => `${event.subject} ${event.data.tag!.name}`).sort()).toEqual(tagged.sort());
    expect(found.filter((event) => event.type === 'dataset.deleted').map((event) => event.subject)).toEqual(['acme/wind']);
    expect(found).toHaveLength(acknowledged.length + tagged.length + 1);
    expect(new Set(found.map(changeKey)).size).toBe(found.length);

    // A second sync adds nothing; the relay publishes everything once.
    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0, failures: 0 });
    await server.dependencies.relay!.drain();
    const all = await outboxEvents(direct);
    expect(await direct.outbox.pendingCount()).toBe(0);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const entries = await client.xrange(streamKey, '-', '+');
      const published = entries.map(([, fields]) => fields[fields.indexOf('id') + 1]);
      expect(published).toEqual(all.map((stored) => stored.event.id));
    } finally {
      client.disconnect();
    }
    expect((await http().get('/readyz')).body).toMatchObject({ checks: { catalog: { status: 'up' }, revocations: { status: 'up', staleSeconds: 0 } } });
  });

  it('refuses tokens with a jti (503) once the revocation list is older than its stale bound, and never reads past it', async () => {
    const strict = await startTestServer({ METASTORE_REVOCATION_CACHE_SECONDS: '0', METASTORE_REVOCATION_STALE_SECONDS: '0' }, undefined, {
      database: { url: pgProxy.urlThrough(database.url) },
    });
    try {
      const token = strict.tokenFor({ sub: 'reader', roles: { '*': 'reader' } });
      const read = () => request(strict.baseUrl).get('/api/v1/datasets/acme/nothing').set('Authorization', `Bearer ${token}`);
      expect((await read()).status).toBe(404);
      cut(pgProxy);
      const refused = await read();
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('STORAGE_UNAVAILABLE');
      const ready = await request(strict.baseUrl).get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.revocations).toMatchObject({ status: 'down' });
      pgProxy.resume();
      expect((await read()).status).toBe(404);
    } finally {
      pgProxy.resume();
      await strict.close();
    }
  });
});
