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
const changeKey = (event: MetastoreEvent) =>
  `${event.subject} ${event.type} ${event.data.newRevision ?? event.data.oldRevision} ${event.data.tag?.name ?? event.data.previousTag?.name ?? ''}`;

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
    if (database.kind === 'embedded')
      throw new Error('this test needs a PostgreSQL server (DATABASE_URL or a container runtime), not the embedded database');
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

  it('acknowledges writes while the catalog is cut, skips the database after a few failures, reads on with a jti token, journals every change, and records each once it answers: one event per change, none twice, the sync adds nothing', async () => {
    const http = () => server.http();
    const token = server.tokenFor({ sub: 'reader', roles: { '*': 'reader' } });
    const read = (path: string) => request(server.baseUrl).get(path).set('Authorization', `Bearer ${token}`);

    expect(
      (
        await http()
          .post('/api/v1/datasets')
          .send({ owner: 'acme', name: 'rain', descriptor: descriptor('rain', 'Rain') })
      ).status,
    ).toBe(201);
    expect(
      (
        await http()
          .post('/api/v1/datasets')
          .send({ owner: 'acme', name: 'wind', descriptor: descriptor('wind', 'Wind') })
      ).status,
    ).toBe(201);
    expect((await http().post('/api/v1/datasets/acme/rain/tags').send({ name: 'v1' })).status).toBe(201);
    expect((await read('/api/v1/datasets/acme/rain')).status).toBe(200);
    const before = (await outboxEvents(direct)).length;
    expect(before).toBe(3);

    const attemptsBefore = pgProxy.counts();
    cut(pgProxy);
    cut(redisProxy);
    let requests = 0;
    const counted = async (response: Promise<request.Response>) => {
      requests += 1;
      return response;
    };

    // Writes: git is the truth, so each is acknowledged; the catalog records none of them, the journal keeps them.
    const acknowledged: { subject: string; revision: string }[] = [];
    const write = async (subject: string, response: request.Response) => {
      expect(response.status).toBeLessThan(300);
      acknowledged.push({ subject, revision: response.body.revision.sha });
      return response.body.revision.sha as string;
    };
    const patch = (path: string, title: string) =>
      counted(http().patch(`/api/v1/datasets/${path}`).set('Content-Type', 'application/merge-patch+json').send({ title }));
    const firstOfCut = await write('acme/rain', await patch('acme/rain', 'Rain 1'));
    for (let i = 2; i <= 30; i++) await write('acme/rain', await patch('acme/rain', `Rain ${i}`));
    await write(
      'polar/snow',
      await counted(
        http()
          .post('/api/v1/datasets')
          .send({ owner: 'polar', name: 'snow', descriptor: descriptor('snow', 'Snow') }),
      ),
    );
    await write('polar/snow', await patch('polar/snow', 'Snow, again'));
    for (const [path, name] of [
      ['polar/snow', 'v1'],
      ['polar/snow', 'v2'],
      ['acme/rain', 'v2'],
    ] as const) {
      expect((await counted(http().post(`/api/v1/datasets/${path}/tags`).send({ name }))).status).toBe(201);
    }
    // What git does not keep: a tag that lived only during the cut, a tag's first target before it moved, a revert.
    expect((await counted(http().post('/api/v1/datasets/acme/rain/tags').send({ name: 'short-lived' }))).status).toBe(201);
    expect((await counted(http().delete('/api/v1/datasets/acme/rain/tags/short-lived'))).status).toBe(204);
    expect((await counted(http().post('/api/v1/datasets/acme/rain/tags').send({ name: 'moving', ref: firstOfCut }))).status).toBe(201);
    const rainHead = acknowledged.filter((entry) => entry.subject === 'acme/rain').at(-1)!.revision;
    expect((await counted(http().patch('/api/v1/datasets/acme/rain/tags/moving').send({ ref: rainHead, force: true }))).status).toBe(200);
    const reverted = await write('acme/rain', await counted(http().post('/api/v1/datasets/acme/rain/revert').send({ to: firstOfCut })));
    expect((await counted(http().delete('/api/v1/datasets/acme/wind'))).status).toBe(204);

    // Reads with a token carrying a jti go on: the revocation list cannot be loaded, its last copy answers.
    for (let i = 0; i < 3; i++) {
      const response = await counted(read('/api/v1/datasets/acme/rain'));
      expect(response.status).toBe(200);
      expect(response.body.title).toBe('Rain 1');
    }
    expect((await counted(read('/api/v1/datasets/polar/snow'))).status).toBe(200);
    expect((await counted(read('/api/v1/datasets/acme/rain/tags/moving'))).body.target).toBe(rainHead);

    const journaled = acknowledged.length + 8;
    const ready = await counted(http().get('/readyz'));
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      checks: {
        storage: { status: 'up' },
        catalog: { status: 'down', pendingChanges: journaled },
        revocations: { status: 'degraded' },
        events: { stream: 'redis' },
      },
    });
    expect(ready.body.degraded).toEqual(expect.arrayContaining(['catalog', 'revocations']));
    expectDocumented('GET', '/readyz', ready);
    const metrics = await counted(http().get('/metrics'));
    expect(metrics.text).toMatch(/^metastore_revocation_list_degraded 1$/m);
    expect(metrics.text).toMatch(/^metastore_revocation_list_stale_seconds \d+(\.\d+)?$/m);
    expect(metrics.text).toContain(`metastore_catalog_journal_pending ${journaled}\n`);
    expect(metrics.text).toMatch(/^metastore_catalog_circuit_state [12]$/m);
    expect((await outboxEvents(direct)).length).toBe(before);

    // The circuit: after a few failures the API stops opening connections to the database (each request used to try
    // several), and only probes it now and then, as does the relay's backoff: a bound far below the requests made.
    const attempts = pgProxy.counts().accepted + pgProxy.counts().refused - attemptsBefore.accepted - attemptsBefore.refused;
    console.log(`${requests} requests during the cut made ${attempts} connection attempts to PostgreSQL`);
    expect(requests).toBeGreaterThanOrEqual(45);
    expect(attempts).toBeLessThanOrEqual(20);

    pgProxy.resume();
    redisProxy.resume();

    // The API records the journal as soon as the database answers again (here: the next drain once the circuit lets a probe through).
    while ((await server.dependencies.journal.status()).pending > 0) {
      await server.dependencies.journal.drain().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const found = (await outboxEvents(direct)).slice(before).map((stored) => stored.event);
    const commits = found.filter((event) => ['dataset.created', 'dataset.updated', 'dataset.reverted'].includes(event.type));
    // Exactly one event per acknowledged revision, in commit order per dataset, as the API made it (the revert says so).
    const bySubject = <T extends { subject: string }>(list: T[]) =>
      ['acme/rain', 'polar/snow'].flatMap((subject) => list.filter((item) => item.subject === subject));
    expect(bySubject(commits.map((event) => ({ subject: event.subject, revision: event.data.newRevision })))).toEqual(
      bySubject(acknowledged),
    );
    expect(commits.find((event) => event.data.newRevision === reverted)).toMatchObject({
      type: 'dataset.reverted',
      data: { revertedTo: firstOfCut },
    });
    // Datasets are drained at once: the order holds within each.
    const tagEvents = bySubject(found.filter((event) => event.type.startsWith('tag.'))).map(
      (event) =>
        `${event.subject} ${event.type} ${(event.data.tag ?? event.data.previousTag)!.name} ${event.data.oldRevision ?? '-'}>${event.data.newRevision ?? '-'}`,
    );
    expect(tagEvents).toEqual([
      expect.stringMatching(/^acme\/rain tag.created v2 ->/),
      expect.stringMatching(/^acme\/rain tag.created short-lived -/),
      expect.stringMatching(/^acme\/rain tag.deleted short-lived [0-9a-f]{40}>-$/),
      `acme/rain tag.created moving ->${firstOfCut}`,
      `acme/rain tag.updated moving ${firstOfCut}>${rainHead}`,
      expect.stringMatching(/^polar\/snow tag.created v1 ->/),
      expect.stringMatching(/^polar\/snow tag.created v2 ->/),
    ]);
    expect(found.filter((event) => event.type === 'dataset.deleted').map((event) => event.subject)).toEqual(['acme/wind']);
    expect(found).toHaveLength(journaled);
    expect(found.every((event) => event.data.origin === 'api')).toBe(true);
    expect(new Set(found.map(changeKey)).size).toBe(found.length);

    // One sync, as the worker runs it, on the same git data and database: nothing is left to find.
    const storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: server.dataDir }));
    const sync = new CatalogSync(storage, direct.catalog, {
      events: eventOptionsForApi(server.dependencies.config.events.publicUrl, 65536),
      logger: pino({ level: 'silent' }),
    });
    expect(await sync.reconcile()).toEqual({
      datasets: 2,
      changed: 0,
      created: 0,
      updated: 0,
      deleted: 0,
      tagChanges: 0,
      failures: 0,
      fullOwners: 2,
      incrementalOwners: 0,
    });

    // The relay publishes everything once.
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
    expect((await http().get('/readyz')).body).toMatchObject({
      checks: { catalog: { status: 'up', pendingChanges: 0 }, revocations: { status: 'up', staleSeconds: 0 } },
    });
  });

  it('when the sync worker runs before the API drains its journal, each change is still announced once: the sync from git, the journal only what git no longer shows', async () => {
    const http = () => server.http();
    const created = await http()
      .post('/api/v1/datasets')
      .send({ owner: 'polar', name: 'ice', descriptor: descriptor('ice', 'Ice') });
    expect(created.status).toBe(201);
    const before = (await outboxEvents(direct)).length;
    cut(pgProxy);
    const patched = await http()
      .patch('/api/v1/datasets/polar/ice')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ title: 'Ice 2' });
    expect(patched.status).toBe(200);
    expect(
      (
        await http()
          .post('/api/v1/datasets')
          .send({ owner: 'polar', name: 'floe', descriptor: descriptor('floe', 'Floe') })
      ).status,
    ).toBe(201);
    expect((await http().post('/api/v1/datasets/polar/ice/tags').send({ name: 'gone' })).status).toBe(201);
    expect((await http().delete('/api/v1/datasets/polar/ice/tags/gone')).status).toBe(204);
    expect((await http().post('/api/v1/datasets/polar/ice/tags').send({ name: 'moved', ref: patched.body.revision.sha })).status).toBe(201);
    expect((await http().post('/api/v1/datasets/polar/ice/revert').send({ to: created.body.revision.sha })).status).toBe(200);
    expect((await http().patch('/api/v1/datasets/polar/ice/tags/moved').send({ ref: 'main', force: true })).status).toBe(200);
    expect((await server.dependencies.journal.status()).pending).toBe(7);
    pgProxy.resume();
    // (Drained first, the revert would carry revertedTo and the tag its first target; the sync knows only what git shows.)

    const storage = new LocalGitStorage(parseLocalGitStorageConfig({ METASTORE_DATA_DIR: server.dataDir }));
    const sync = new CatalogSync(storage, direct.catalog, {
      events: eventOptionsForApi(server.dependencies.config.events.publicUrl, 65536),
      logger: pino({ level: 'silent' }),
    });
    expect(await sync.reconcile()).toMatchObject({ created: 1, updated: 2, deleted: 0, tagChanges: 1, failures: 0 });
    while ((await server.dependencies.journal.status()).pending > 0) {
      await server.dependencies.journal.drain().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const found = (await outboxEvents(direct)).slice(before).map((stored) => stored.event);
    expect(new Set(found.map(changeKey)).size).toBe(found.length);
    // The tag that lived only during the cut: git never showed it to the sync; the journal announces both changes.
    expect(
      found
        .filter((event) => event.type.startsWith('tag.'))
        .map((event) => `${event.type} ${(event.data.tag ?? event.data.previousTag)!.name} ${event.data.origin}`)
        .sort(),
    ).toEqual(['tag.created gone api', 'tag.created moved sync', 'tag.deleted gone api']);
    expect(found).toHaveLength(6);
    expect(await sync.reconcile()).toMatchObject({ created: 0, updated: 0, deleted: 0, tagChanges: 0, failures: 0 });
    expect((await direct.catalog.listTags({ owner: 'polar', name: 'ice' })).map((tag) => tag.name)).toEqual(['moved']);
  });

  it('refuses tokens with a jti (503) once the revocation list is older than its stale bound, and never reads past it', async () => {
    const strict = await startTestServer({ METASTORE_REVOCATION_CACHE_SECONDS: '0', METASTORE_REVOCATION_STALE_SECONDS: '0' }, undefined, {
      database: { url: pgProxy.urlThrough(database.url) },
    });
    try {
      const token = strict.tokenFor({ sub: 'reader', roles: { '*': 'reader' } });
      const read = () => request(strict.baseUrl).get('/api/v1/datasets/acme/nothing').set('Authorization', `Bearer ${token}`);
      // The catalog database answers first: a cold client's first query can take longer than the list's 2 s load timeout on
      // a loaded machine (CI), which is the outage this test makes on purpose only after.
      for (
        let attempt = 0;
        attempt < 50 && (await request(strict.baseUrl).get('/readyz')).body.checks?.catalog?.status !== 'up';
        attempt += 1
      )
        await new Promise((resolve) => setTimeout(resolve, 100));
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
