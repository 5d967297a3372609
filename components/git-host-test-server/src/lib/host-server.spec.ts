import { FaultInjector } from './faults';
import { type HostRoute, type HostServer, startHostServer } from './host-server';
import { RateLimiter, rateLimitHeaders } from './rate-limit';
import { GitRepositoryStore, JsonRecordStore, RepositoryExistsError } from './repository-store';
import { openDataDirectory } from './host-server';

interface ToyRoute extends HostRoute {
  readonly reply: () => { status: number; body: unknown };
}

describe('startHostServer', () => {
  let server: HostServer<{ token: string | undefined }>;
  const faults = new FaultInjector();
  let effects = 0;
  const routes: ToyRoute[] = [
    { method: 'GET', template: '/things/{id}', expressPath: '/things/:id', reply: () => ({ status: 200, body: { id: 1 } }) },
    {
      method: 'POST',
      template: '/things',
      expressPath: '/things',
      reply: () => {
        effects++;
        return { status: 201, body: { id: effects } };
      },
    },
  ];

  beforeAll(async () => {
    server = await startHostServer<ToyRoute, never, { token: string | undefined }>({
      routes,
      unmatched: () => ({
        method: 'GET',
        template: '(unmatched)',
        expressPath: '',
        reply: () => ({ status: 404, body: { message: 'none' } }),
      }),
      faults,
      limiter: new RateLimiter(10, 60),
      requestId: () => 'req-1',
      answer: async (route) => route.reply(),
      faultAnswer: (fault) => ({ status: fault.status, body: { message: 'failed' } }),
      exhaustedAnswer: () => ({ status: 429, body: { message: 'slow down' }, headers: { 'retry-after': '7' } }),
      counts: (_route, status) => status !== 304,
      etag: (method, status, payload) => (method === 'GET' && status === 200 ? `W/"${payload.byteLength}"` : undefined),
      headers: ({ requestId, rate }) => ({
        'x-request-id': requestId,
        ...rateLimitHeaders(rate, {
          limit: 'RateLimit-Limit',
          remaining: 'RateLimit-Remaining',
          reset: 'RateLimit-Reset',
          used: 'RateLimit-Observed',
        }),
      }),
      validate: (_route, _method, status, answer) => (status === 200 && (answer.body as { id?: unknown }).id !== 1 ? ['id must be 1'] : []),
      bodyError: (status) => ({ status, body: { message: 'bad body' } }),
      describe: (request) => ({ token: request.headers['private-token'] as string | undefined }),
    });
  });
  afterEach(() => faults.clear());
  afterAll(() => server.close());

  it('answers routes, tags GET answers with ETags, revalidates them with 304 and shows the bucket under the host header names', async () => {
    const first = await fetch(`${server.url}/things/1`, { headers: { 'private-token': 'secret' } });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ id: 1 });
    expect(first.headers.get('etag')).toBe('W/"8"');
    expect(first.headers.get('x-request-id')).toBe('req-1');
    expect(first.headers.get('ratelimit-limit')).toBe('10');
    expect(first.headers.get('ratelimit-observed')).toBe('1');
    const again = await fetch(`${server.url}/things/1`, { headers: { 'if-none-match': 'W/"8"' } });
    expect(again.status).toBe(304);
    expect(again.headers.get('ratelimit-remaining')).toBe('9');
    expect(server.requests.slice(-2)).toEqual([
      { token: 'secret', method: 'GET', path: 'GET /things/{id}', status: 200, rateLimited: true },
      { token: undefined, method: 'GET', path: 'GET /things/{id}', status: 304, rateLimited: false },
    ]);
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
    expect(server.violations).toEqual([]);
  });

  it('injects server errors, latency, errors after the effect and cut connections', async () => {
    server.resetRequests();
    faults.inject({ route: 'POST /things', times: 1, kind: { type: 'server-error', status: 503 } });
    expect((await fetch(`${server.url}/things`, { method: 'POST' })).status).toBe(503);
    const before = effects;
    faults.inject({ route: '/things', times: 1, kind: { type: 'error-after-effect', status: 502 } });
    expect((await fetch(`${server.url}/things`, { method: 'POST' })).status).toBe(502);
    expect(effects).toBe(before + 1);
    faults.inject({ route: /\/things$/, times: 1, kind: { type: 'cut-after-effect' } });
    await expect(fetch(`${server.url}/things`, { method: 'POST' })).rejects.toThrow();
    expect(effects).toBe(before + 2);
    const cut = faults.inject({ method: 'GET', times: 1, kind: { type: 'cut-connection' } });
    await expect(fetch(`${server.url}/things/1`)).rejects.toThrow();
    expect(cut).toMatchObject({ triggered: 1, remaining: 0 });
    faults.inject({ times: 1, kind: { type: 'latency', ms: 50 } });
    const started = Date.now();
    expect((await fetch(`${server.url}/things/1`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(server.requests.map((request) => request.status)).toEqual([503, 502, 0, 0, 200]);
  });

  it('answers the exhausted bucket with the host answer', async () => {
    let response: Response;
    do response = await fetch(`${server.url}/things/1`);
    while (response.status === 200);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('ratelimit-remaining')).toBe('0');
  });
});

describe('GitRepositoryStore and JsonRecordStore', () => {
  interface Project {
    readonly id: number;
    readonly path: string;
  }

  it('persist records and bare repositories by case-insensitive nested keys, and reload them', async () => {
    const data = await openDataDirectory(undefined, 'host-store-');
    try {
      const options = { keyOf: (record: Project) => record.path, firstId: 10 };
      const store = await GitRepositoryStore.open<Project>(`${data.path}/repositories`, options);
      const created = await store.create('Acme/Sub/ds', (id) => ({ id, path: 'Acme/Sub/ds' }));
      expect(created.record.id).toBe(10);
      await expect(store.create('acme/sub/DS', (id) => ({ id, path: 'acme/sub/DS' }))).rejects.toBeInstanceOf(RepositoryExistsError);
      expect(await created.git.isEmpty()).toBe(true);
      const moved = await store.move(created, (record) => ({ ...record, path: 'acme/other' }));
      expect(moved.git.gitdir).toBe(`${data.path}/repositories/acme/other.git`);
      const groups = await JsonRecordStore.open<Project>(`${data.path}/groups`, options);
      await groups.create('acme/sub', (id) => ({ id, path: 'acme/sub' }));
      const reopened = await GitRepositoryStore.open<Project>(`${data.path}/repositories`, options);
      expect(reopened.find('ACME/other')?.record).toEqual({ id: 10, path: 'acme/other' });
      expect(reopened.find('acme/sub/ds')).toBeUndefined();
      expect((await JsonRecordStore.open<Project>(`${data.path}/groups`, options)).find('Acme/Sub')?.id).toBe(10);
    } finally {
      await data.dispose();
    }
  });
});
