import { createHmac } from 'node:crypto';
import type { Express } from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { OPERATIONS } from '@metastore/authz';
import type { PolicyHandler } from '../http/auth';
import { createApp } from '../app';
import { API_OPERATIONS } from './operations';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../testing/test-server';

interface RouteEntry {
  readonly method: string;
  readonly path: string;
  readonly operationId: string | undefined;
}

type Layer = {
  /** Where a router is mounted (`/` or `/api/v1`). */
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: Partial<PolicyHandler> }[] };
  handle: { stack?: Layer[] };
};

/** Every route of the app, from Express's own route table, with the operation its policy guard names. */
function routeTable(app: Express): RouteEntry[] {
  const entries: RouteEntry[] = [];
  const visit = (layers: Layer[], prefix: (path: string) => string) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          const guard = layer.route.stack.find((handler) => typeof handler.handle.operationId === 'string');
          entries.push({ method: method.toUpperCase(), path: prefix(layer.route.path), operationId: guard?.handle.operationId });
        }
      } else if (layer.handle.stack) {
        // The operations' routers: one at the root (probes, documents, docs, metrics), one at /api/v1.
        const mountedAt = layer.rawPath === undefined || layer.rawPath === '/' ? '' : layer.rawPath;
        visit(layer.handle.stack, (path) => `${mountedAt}${path}`);
      }
    }
  };
  visit((app as unknown as { router: { stack: Layer[] } }).router.stack, (path) => path);
  return entries;
}

const descriptor = (name: string) => ({ name, title: 'Secret', resources: [{ name: 'main', path: 'main.csv' }] });

describe('metadata-api security: every route has a policy, and each refuses what it should', () => {
  let server: TestServer;
  let routes: RouteEntry[];
  let head = '';
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await startTestServer();
    routes = routeTable(createApp(server.dependencies));
    const created = await server
      .http()
      .post('/api/v1/datasets')
      .send({ owner: 'acme', name: 'secret', descriptor: descriptor('secret') });
    head = created.body.revision.sha;
    expect((await server.http().post('/api/v1/datasets/acme/secret/tags').send({ name: 'v1' })).status).toBe(201);
  });
  afterAll(() => server.close());

  /** A request that would succeed for an admin: concrete path and a valid body. */
  function concrete(route: RouteEntry): { path: string; body?: object } {
    const path = route.path
      .replace(':owner', 'acme')
      .replace(':name', 'secret')
      .replace(':sha', head)
      .replace('*tag', 'v1')
      .replace('*resource', 'main')
      .replace(/\/diff$/, '/diff?from=v1')
      .replace('{/*path}', '/');
    const bodies: Record<string, object> = {
      'POST /api/v1/datasets': { owner: 'acme', name: `new-${Math.random().toString(36).slice(2, 8)}`, descriptor: descriptor('new') },
      'POST /api/v1/validate': descriptor('checked'),
      'PUT /api/v1/datasets/acme/secret': descriptor('secret'),
      'PATCH /api/v1/datasets/acme/secret': { title: 'Patched' },
      'POST /api/v1/datasets/acme/secret/revert': { to: head },
      'POST /api/v1/datasets/acme/secret/tags': { name: `t-${Math.random().toString(36).slice(2, 8)}` },
      'PATCH /api/v1/datasets/acme/secret/tags/v1': { description: 'changed' },
      'POST /api/v1/tokens': { owner: 'acme', name: 'secret', actions: ['read'] },
      'POST /api/v1/tokens/revoke': { token: server.tokenFor({ sub: 'someone', scope: 'obj:acme/secret:read' }) },
    };
    const body = bodies[`${route.method} ${path}`];
    return { path, ...(body ? { body } : {}) };
  }

  function send(route: RouteEntry, headers: Record<string, string> = {}) {
    const { path, body } = concrete(route);
    const call = request(server.baseUrl)[route.method.toLowerCase() as 'get'](path).set(headers);
    if (route.method === 'PATCH' && path.endsWith('/secret')) call.set('Content-Type', 'application/merge-patch+json');
    return body ? call.send(body) : call;
  }

  it('finds the whole route table, and every route names an operation that has a policy', () => {
    // One route per declaration: the route table covers every endpoint the service serves.
    expect(routes.length).toBe(API_OPERATIONS.length);
    const unguarded = routes.filter((route) => route.operationId === undefined || !(route.operationId in OPERATIONS));
    expect(unguarded).toEqual([]);
    // The documents, the docs (a sub-application: its page and assets) and the metrics are routes like any other.
    expect(routes.filter((route) => !route.path.startsWith('/api/v1'))).toEqual([
      { method: 'GET', path: '/healthz', operationId: 'health' },
      { method: 'GET', path: '/readyz', operationId: 'readiness' },
      { method: 'GET', path: '/metrics', operationId: 'metrics' },
      { method: 'GET', path: '/openapi.json', operationId: 'openApiDocument' },
      { method: 'GET', path: '/asyncapi.json', operationId: 'asyncApiDocument' },
      { method: 'GET', path: '/docs{/*path}', operationId: 'docs' },
    ]);
  });

  it('answers every non-public route 401 with a Bearer challenge when no token is sent', async () => {
    for (const route of routes) {
      const policy = OPERATIONS[route.operationId as keyof typeof OPERATIONS];
      const response = await send(route);
      if (policy.target === 'public') {
        expect({ route: route.path, status: response.status }).not.toEqual({ route: route.path, status: 401 });
        continue;
      }
      expect({ route: `${route.method} ${route.path}`, status: response.status, code: response.body.code }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="metastore"/);
    }
  });

  it('hides datasets from a caller without any right on them (404, as if missing), and refuses the rest with 403', async () => {
    const stranger = bearer(server.tokenFor({ sub: 'stranger', scope: 'obj:other/*:admin' }));
    for (const route of routes) {
      const policy = OPERATIONS[route.operationId as keyof typeof OPERATIONS];
      if (policy.target === 'public') continue;
      const response = await send(route, stranger);
      const label = `${route.method} ${route.path}`;
      if (policy.target === 'dataset')
        expect({ label, status: response.status, code: response.body.code }).toEqual({ label, status: 404, code: 'DATASET_NOT_FOUND' });
      else if (policy.target === 'listing') expect({ label, status: response.status }).toEqual({ label, status: 200 });
      // Revoking another's token needs admin over what it reaches: a dataset the stranger cannot see is hidden there too.
      else if (route.path === '/api/v1/tokens/revoke') expect({ label, status: response.status }).toEqual({ label, status: 404 });
      // The event feed spans every dataset, and a new dataset has nothing to hide: 403. Minting for acme/secret is about
      // a dataset the stranger cannot see: 404.
      else if (policy.target === 'owner' || policy.target === 'newDataset')
        expect({ label, status: response.status, code: response.body.code }).toEqual({ label, status: 403, code: 'FORBIDDEN' });
      else expect({ label, status: response.status, code: response.body.code }).toEqual({ label, status: 404, code: 'DATASET_NOT_FOUND' });
    }
    const listing = await request(server.baseUrl).get('/api/v1/datasets').set(stranger);
    expect(listing.body.items).toEqual([]);
  });

  it('lets a reader read and refuses its writes with 403', async () => {
    const reader = bearer(server.tokenFor({ sub: 'rita', roles: { acme: 'reader' } }));
    for (const route of routes) {
      const policy = OPERATIONS[route.operationId as keyof typeof OPERATIONS];
      if (policy.target !== 'dataset') continue;
      const response = await send(route, reader);
      const label = `${route.method} ${route.path}`;
      if (policy.action === 'read') expect({ label, ok: response.status < 300 }).toEqual({ label, ok: true });
      else expect({ label, status: response.status, code: response.body.code }).toEqual({ label, status: 403, code: 'FORBIDDEN' });
    }
  });

  it.each([
    [
      'alg none',
      () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', iss: 'metastore', aud: 'metastore', exp: 9999999999, roles: { '*': 'admin' } })).toString('base64url')}.`,
    ],
    [
      'a tampered payload',
      () => {
        const [header, , signature] = server.tokenFor({ sub: 'rita', roles: { acme: 'reader' } }).split('.');
        return `${header}.${Buffer.from(JSON.stringify({ sub: 'rita', iss: 'metastore', aud: 'metastore', exp: 9999999999, roles: { '*': 'admin' } })).toString('base64url')}.${signature}`;
      },
    ],
    [
      'an expired token',
      () =>
        jwt.sign({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 3600 }, TEST_JWT_SECRET, {
          algorithm: 'HS256',
          issuer: 'metastore',
          audience: 'metastore',
        }),
    ],
    [
      'another secret',
      () => jwt.sign({ sub: 'x' }, 'y'.repeat(40), { algorithm: 'HS256', issuer: 'metastore', audience: 'metastore', expiresIn: 60 }),
    ],
    [
      'an HS256 token keyed with a "public key" string',
      () => {
        const input = `${Buffer.from('{"alg":"HS384","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp: 9999999999 })).toString('base64url')}`;
        return `${input}.${createHmac('sha384', TEST_JWT_SECRET).update(input).digest('base64url')}`;
      },
    ],
    [
      'malformed claims (roles as a list)',
      () =>
        jwt.sign({ sub: 'x', roles: ['admin'] }, TEST_JWT_SECRET, {
          algorithm: 'HS256',
          issuer: 'metastore',
          audience: 'metastore',
          expiresIn: 60,
        }),
    ],
  ])('rejects %s with 401 invalid_token, never a 500', async (_label, token) => {
    const response = await request(server.baseUrl).get('/api/v1/datasets/acme/secret').set(bearer(token()));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const response = await request(server.baseUrl).get('/api/v1/datasets').set('Authorization', 'Basic YWxpY2U6c2VjcmV0');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });

  it('mints scoped tokens within the minter’s rights, and a revoked token is refused from then on', async () => {
    const minted = await server
      .http()
      .post('/api/v1/tokens')
      .send({ owner: 'acme', name: 'secret', actions: ['read', 'tag'], actor: 'ci-job', expiresIn: 600 });
    expect(minted.status).toBe(201);
    expect(minted.body.scopes).toEqual(['obj:acme/secret:read', 'obj:acme/secret:tag']);
    const scoped = bearer(minted.body.token);
    expect((await request(server.baseUrl).get('/api/v1/datasets/acme/secret').set(scoped)).status).toBe(200);
    expect(
      (
        await request(server.baseUrl)
          .patch('/api/v1/datasets/acme/secret')
          .set(scoped)
          .set('Content-Type', 'application/merge-patch+json')
          .send({ title: 'x' })
      ).status,
    ).toBe(403);
    expect((await request(server.baseUrl).get('/api/v1/datasets/acme/other').set(scoped)).status).toBe(404);

    const editor = bearer(server.tokenFor({ sub: 'ed', roles: { acme: 'editor' } }));
    expect(
      (
        await request(server.baseUrl)
          .post('/api/v1/tokens')
          .set(editor)
          .send({ owner: 'acme', name: 'secret', actions: ['read'] })
      ).status,
    ).toBe(403);
    const admin = bearer(server.tokenFor({ sub: 'ada', roles: { acme: 'admin' } }));
    const beyond = await request(server.baseUrl)
      .post('/api/v1/tokens')
      .set(bearer(server.tokenFor({ sub: 'ada2', scope: 'obj:acme/secret:admin obj:acme/secret:read' })))
      .send({ owner: 'acme', actions: ['read'] });
    expect(beyond.status).toBe(403);
    expect((await request(server.baseUrl).post('/api/v1/tokens/revoke').set(admin).send({ token: minted.body.token })).status).toBe(204);
    const revoked = await request(server.baseUrl).get('/api/v1/datasets/acme/secret').set(scoped);
    expect(revoked.status).toBe(401);
    expect(revoked.body.detail).toMatch(/revoked/);
  });

  it('records the token’s identity as the author; only an admin may name another author', async () => {
    const editor = bearer(server.tokenFor({ sub: 'ed', name: 'Ed Itor', email: 'ed@example.com', roles: { acme: 'editor' } }));
    const written = await request(server.baseUrl)
      .patch('/api/v1/datasets/acme/secret')
      .set(editor)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ description: 'by ed' });
    expect(written.status).toBe(200);
    expect(written.body.revision.author).toEqual({ name: 'Ed Itor', email: 'ed@example.com' });
    const impersonating = await request(server.baseUrl)
      .patch(`/api/v1/datasets/acme/secret?author=${encodeURIComponent('Someone Else <else@example.com>')}`)
      .set(editor)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ description: 'as someone else' });
    expect(impersonating.status).toBe(403);
    const asAdmin = await server
      .http()
      .patch(`/api/v1/datasets/acme/secret?author=${encodeURIComponent('Someone Else <else@example.com>')}`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ description: 'on behalf' });
    expect(asAdmin.body.revision.author).toEqual({ name: 'Someone Else', email: 'else@example.com' });
  });

  it('sends security headers', async () => {
    const response = await request(server.baseUrl).get('/healthz');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
  });
});

describe('metadata-api security: configuration choices', () => {
  it('lets anonymous callers read public owners’ datasets only when configured, never write', async () => {
    const server = await startTestServer({ METASTORE_PUBLIC_OWNERS: 'open' });
    try {
      for (const owner of ['open', 'closed'])
        await server
          .http()
          .post('/api/v1/datasets')
          .send({ owner, name: 'data', descriptor: descriptor('data') });
      expect((await request(server.baseUrl).get('/api/v1/datasets/open/data')).status).toBe(200);
      expect((await request(server.baseUrl).get('/api/v1/datasets/closed/data')).status).toBe(401);
      expect((await request(server.baseUrl).put('/api/v1/datasets/open/data').send(descriptor('data'))).status).toBe(401);
      expect((await request(server.baseUrl).get('/api/v1/datasets')).body.items.map((item: { id: string }) => item.id)).toEqual([
        'open/data',
      ]);
    } finally {
      await server.close();
    }
  });

  it('limits writes per token subject with 429 and Retry-After, not reads', async () => {
    const server = await startTestServer({ METASTORE_WRITE_RATE_LIMIT: '2' });
    try {
      const statuses: number[] = [];
      for (let index = 0; index < 3; index += 1) {
        statuses.push(
          (
            await server
              .http()
              .post('/api/v1/datasets')
              .send({ owner: 'acme', name: `d${index}`, descriptor: descriptor(`d${index}`) })
          ).status,
        );
      }
      expect(statuses).toEqual([201, 201, 429]);
      const limited = await server
        .http()
        .post('/api/v1/datasets')
        .send({ owner: 'acme', name: 'd9', descriptor: descriptor('d9') });
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await server.http().get('/api/v1/datasets/acme/d0')).status).toBe(200);
      // Another subject has its own budget.
      const other = server.tokenFor({ sub: 'other-writer', roles: { acme: 'editor' } });
      expect(
        (
          await request(server.baseUrl)
            .post('/api/v1/datasets')
            .set('Authorization', `Bearer ${other}`)
            .send({ owner: 'acme', name: 'o1', descriptor: descriptor('o1') })
        ).status,
      ).toBe(201);
    } finally {
      await server.close();
    }
  });

  it('answers CORS preflights for configured origins only', async () => {
    const server = await startTestServer({ METASTORE_CORS_ORIGINS: 'https://app.example' });
    try {
      const preflight = await request(server.baseUrl)
        .options('/api/v1/datasets')
        .set('Origin', 'https://app.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
      const foreign = await request(server.baseUrl)
        .options('/api/v1/datasets')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('metadata-api security: a body is parsed only once the caller is authenticated and allowed on the path', () => {
  let server: TestServer;
  const DATASET = '/api/v1/datasets/acme/secret';
  /** Bodies the parser refuses: over the 1 MB limit, nested past the bound, holding U+0000; and what each gets once parsed. */
  const BAD_BODIES = [
    { label: 'a 2 MB body', text: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { label: 'a body nested 5,000 deep', text: `{"title":${'['.repeat(5000)}${']'.repeat(5000)}}`, status: 400, code: 'JSON_TOO_DEEP' },
    { label: 'a body holding U+0000', text: '{"title":"a\\u0000b"}', status: 400, code: 'VALIDATION_FAILED' },
  ] as const;
  /** Writes whose policy reads the path, checked before the body. */
  const PATH_POLICY_WRITES = [
    { method: 'put', path: DATASET, type: 'application/json' },
    { method: 'patch', path: DATASET, type: 'application/merge-patch+json' },
    { method: 'post', path: `${DATASET}/revert`, type: 'application/json' },
    { method: 'post', path: `${DATASET}/tags`, type: 'application/json' },
    { method: 'patch', path: `${DATASET}/tags/v1`, type: 'application/json' },
  ] as const;
  /** Writes whose policy needs the body (or the handler): anonymous callers are refused before it is read. */
  const BODY_POLICY_WRITES = [
    { method: 'post', path: '/api/v1/datasets', type: 'application/json' },
    { method: 'post', path: '/api/v1/tokens', type: 'application/json' },
    { method: 'post', path: '/api/v1/tokens/revoke', type: 'application/json' },
  ] as const;
  type Write = (typeof PATH_POLICY_WRITES)[number] | (typeof BODY_POLICY_WRITES)[number];

  const send = (write: Write, text: string, token?: string) => {
    const call = request(server.baseUrl)[write.method](write.path).set('Content-Type', write.type);
    if (token) call.set('Authorization', `Bearer ${token}`);
    return call.send(text);
  };
  const answer = async (write: Write, text: string, token?: string) => {
    const response = await send(write, text, token);
    return { write: `${write.method.toUpperCase()} ${write.path}`, status: response.status, code: response.body.code };
  };

  beforeAll(async () => {
    server = await startTestServer();
    expect(
      (
        await server
          .http()
          .post('/api/v1/datasets')
          .send({ owner: 'acme', name: 'secret', descriptor: descriptor('secret') })
      ).status,
    ).toBe(201);
    expect((await server.http().post(`${DATASET}/tags`).send({ name: 'v1' })).status).toBe(201);
  });
  afterAll(() => server.close());

  it.each(BAD_BODIES.map((body) => [body.label, body] as const))(
    'answers an anonymous caller sending %s 401, never 413 or 400',
    async (_label, body) => {
      for (const write of [...PATH_POLICY_WRITES, ...BODY_POLICY_WRITES]) {
        const write_ = `${write.method.toUpperCase()} ${write.path}`;
        expect(await answer(write, body.text)).toEqual({ write: write_, status: 401, code: 'UNAUTHENTICATED' });
      }
    },
  );

  it.each(BAD_BODIES.map((body) => [body.label, body] as const))(
    'answers a caller who may not write, sending %s, as for any body: 403 to a reader, 404 to a stranger',
    async (_label, body) => {
      const reader = server.tokenFor({ sub: 'rita', roles: { acme: 'reader' } });
      const stranger = server.tokenFor({ sub: 'stranger', scope: 'obj:other/*:admin' });
      for (const write of PATH_POLICY_WRITES) {
        const write_ = `${write.method.toUpperCase()} ${write.path}`;
        expect(await answer(write, body.text, reader)).toEqual({ write: write_, status: 403, code: 'FORBIDDEN' });
        expect(await answer(write, body.text, stranger)).toEqual({ write: write_, status: 404, code: 'DATASET_NOT_FOUND' });
      }
    },
  );

  it.each(BAD_BODIES.map((body) => [body.label, body] as const))(
    'refuses %s from a writer as before; where the policy reads the body, any authenticated caller gets the same',
    async (_label, body) => {
      const editor = server.tokenFor({ sub: 'ed', roles: { acme: 'editor' } });
      const reader = server.tokenFor({ sub: 'rita', roles: { acme: 'reader' } });
      for (const write of PATH_POLICY_WRITES) {
        const write_ = `${write.method.toUpperCase()} ${write.path}`;
        expect(await answer(write, body.text, editor)).toEqual({ write: write_, status: body.status, code: body.code });
      }
      // authenticate -> parse -> decide: the rule needs the parsed body.
      for (const write of BODY_POLICY_WRITES) {
        const write_ = `${write.method.toUpperCase()} ${write.path}`;
        expect(await answer(write, body.text, reader)).toEqual({ write: write_, status: body.status, code: body.code });
      }
    },
  );

  it('parses no body for an operation that takes none', async () => {
    for (const text of ['{"not json', `[${'['.repeat(5000)}`, '{"title":"a\\u0000b"}']) {
      const read = await server.http().get(DATASET).set('Content-Type', 'application/json').send(text);
      expect({ text: text.slice(0, 10), status: read.status }).toEqual({ text: text.slice(0, 10), status: 200 });
    }
    const tags = await server
      .http()
      .get(`${DATASET}/tags`)
      .set('Content-Type', 'application/json')
      .send('x'.repeat(2 * 1024 * 1024));
    expect(tags.status).toBe(200);
  });
});
