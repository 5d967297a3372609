import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Test } from 'supertest';
import request from 'supertest';
import { MAX_DESCRIPTOR_DEPTH } from '@metastore/datasets';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const run = promisify(execFile);
const OWNER = 'acme';
const DATASET = `/api/v1/datasets/${OWNER}/weather`;
const ZEROS = '0'.repeat(40);
/** Issue 9, item 4: a newline in `?author=` wrote a second `parent` header into the commit. */
const INJECTED_AUTHOR = `Evil%0Aparent%20${ZEROS}%20%3Ce%40x.com%3E`;

function descriptor(extra: Record<string, unknown> = {}) {
  return { name: 'weather', title: 'Weather', licenses: [{ name: 'CC0-1.0' }], resources: [{ name: 'obs', path: 'obs.csv' }], ...extra };
}

/** `levels` nested objects as JSON text, built as text so that nothing recursive ever touches it. */
function nestedJson(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

/** A descriptor (as text) whose own nesting is exactly `depth` levels of objects. */
function descriptorNested(depth: number): string {
  const body = JSON.stringify(descriptor({ extra: '@' }));
  return body.replace('"@"', nestedJson(depth - 1));
}

interface BadInput {
  readonly name: string;
  readonly send: (server: TestServer) => Test;
  readonly status: number;
  readonly code: string;
  /** The JSON pointers `errors` must list (VALIDATION_FAILED only). */
  readonly pointers?: readonly string[];
  /** Method and path template, to check the answer against /openapi.json. */
  readonly documented?: readonly [string, string];
}

const admin = (server: TestServer) => server.http();
/** Sends a Buffer as it is (superagent would serialise it as JSON). */
const raw = (body: unknown) => body as string;
const anonymous = (server: TestServer) => request(server.baseUrl);

/** Every input issue 9 (items 4, 7, 9 and 11a) found answered with 2xx or 5xx, and what each must answer now. */
const BAD_INPUTS: readonly BadInput[] = [
  // Item 4: identities that would write extra git headers.
  {
    name: '?author= with a newline and a parent header (PUT)',
    send: (s) =>
      admin(s)
        .put(`${DATASET}?author=${INJECTED_AUTHOR}`)
        .send(descriptor({ title: 'x' })),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/author'],
    documented: ['PUT', '/datasets/{owner}/{name}'],
  },
  {
    name: '?author= with a newline (merge patch)',
    send: (s) =>
      admin(s).patch(`${DATASET}?author=${INJECTED_AUTHOR}`).set('Content-Type', 'application/merge-patch+json').send('{"title":"y"}'),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/author'],
  },
  {
    name: '?author= with a carriage return in the email',
    send: (s) =>
      admin(s)
        .put(`${DATASET}?author=Eve%20%3Ce%0D%40x.com%3E`)
        .send(descriptor({ title: 'x' })),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/author'],
  },
  {
    name: 'a JSON author whose name holds a newline (create)',
    send: (s) =>
      admin(s)
        .post('/api/v1/datasets')
        .send({ owner: OWNER, name: 'injected', descriptor: descriptor(), author: { name: `Evil\nparent ${ZEROS}`, email: 'e@x.com' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/author/name'],
    documented: ['POST', '/datasets'],
  },
  {
    name: 'a JSON author with a right-to-left override (revert)',
    send: (s) =>
      admin(s)
        .post(`${DATASET}/revert`)
        .send({ to: 'v1', author: { name: 'Eve\u202eevE', email: 'e@x.com' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/author/name'],
  },
  {
    name: 'a tagger whose name holds a newline',
    send: (s) =>
      admin(s)
        .post(`${DATASET}/tags`)
        .send({ name: 'v2', author: { name: 'Mallory\ntagger Alice <a@x.com> 0 +0000', email: 'm@x.com' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/author/name'],
    documented: ['POST', '/datasets/{owner}/{name}/tags'],
  },
  {
    name: 'a tagger whose name holds a line separator (moving a tag)',
    send: (s) =>
      admin(s)
        .patch(`${DATASET}/tags/v1`)
        .send({ ref: 'v1', force: true, author: { name: 'Mallory\u2028', email: 'm@x.com' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/author/name'],
  },
  // Item 7: U+0000, which PostgreSQL's jsonb (the catalog, the events) cannot hold.
  {
    name: 'a descriptor with U+0000 in a value (create)',
    send: (s) =>
      admin(s)
        .post('/api/v1/datasets')
        .send({ owner: OWNER, name: 'nul', descriptor: descriptor({ title: 'Weather\u0000' }) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/descriptor/title'],
  },
  {
    name: 'a descriptor with U+0000 in a member name (replace)',
    send: (s) =>
      admin(s)
        .put(DATASET)
        .send(descriptor({ 'ke\u0000y': 1 })),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/ke\u0000y'],
  },
  {
    name: 'a merge patch with U+0000',
    send: (s) => admin(s).patch(DATASET).set('Content-Type', 'application/merge-patch+json').send('{"description":"a\\u0000b"}'),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/description'],
  },
  {
    name: 'a tag description with U+0000',
    send: (s) => admin(s).post(`${DATASET}/tags`).send({ name: 'v3', description: '\u0000' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/description'],
  },
  {
    name: '?q=%00',
    send: (s) => admin(s).get('/api/v1/datasets?q=%00'),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/q'],
    documented: ['GET', '/datasets'],
  },
  {
    name: '?keyword= with U+0000',
    send: (s) => admin(s).get('/api/v1/datasets?keyword=rain%00'),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/keyword'],
  },
  {
    name: '?message= with U+0000',
    send: (s) =>
      admin(s)
        .put(`${DATASET}?message=a%00b`)
        .send(descriptor({ title: 'x' })),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/message'],
  },
  // Item 9: malformed URLs, before authentication (no token, or one that is not even a JWT).
  {
    name: 'a path with %ff (not UTF-8), anonymous',
    send: (s) => anonymous(s).get('/api/v1/datasets/%ff/x'),
    status: 400,
    code: 'INVALID_URL',
  },
  {
    name: 'a path with %zz, with a garbage token',
    send: (s) => anonymous(s).get('/api/v1/datasets/acme/%zz').set('Authorization', 'Bearer not-a-jwt'),
    status: 400,
    code: 'INVALID_URL',
  },
  { name: 'a tag path with %00', send: (s) => admin(s).get(`${DATASET}/tags/v1%00`), status: 400, code: 'INVALID_URL' },
  { name: 'a query with a lone %', send: (s) => admin(s).get('/api/v1/datasets?q=100%'), status: 400, code: 'INVALID_URL' },
  {
    name: 'a query with %c3%28 (invalid UTF-8)',
    send: (s) => anonymous(s).get('/api/v1/datasets?q=%c3%28'),
    status: 400,
    code: 'INVALID_URL',
  },
  // Item 9: bodies that cannot be decoded or are nested too deep.
  {
    name: 'Content-Encoding: gzip with garbage',
    send: (s) =>
      admin(s)
        .post('/api/v1/datasets')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .serialize(raw)
        .send(Buffer.from('certainly not gzip')),
    status: 400,
    code: 'INVALID_CONTENT_ENCODING',
  },
  {
    name: 'Content-Encoding: gzip cut short',
    send: (s) =>
      admin(s)
        .post('/api/v1/datasets')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .serialize(raw)
        .send(gzipSync(JSON.stringify({ owner: OWNER })).subarray(0, 12)),
    status: 400,
    code: 'INVALID_CONTENT_ENCODING',
  },
  {
    name: 'an unsupported Content-Encoding',
    send: (s) => admin(s).post('/api/v1/datasets').set('Content-Type', 'application/json').set('Content-Encoding', 'compress').send('{}'),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    documented: ['POST', '/datasets'],
  },
  {
    name: 'JSON nested 5,000 deep',
    send: (s) => admin(s).post('/api/v1/datasets').set('Content-Type', 'application/json').send(nestedJson(5000)),
    status: 400,
    code: 'JSON_TOO_DEEP',
    documented: ['POST', '/datasets'],
  },
  {
    name: 'a descriptor nested 3,000 deep (create)',
    send: (s) =>
      admin(s)
        .post('/api/v1/datasets')
        .set('Content-Type', 'application/json')
        .send(`{"owner":"${OWNER}","name":"deep","descriptor":${descriptorNested(3000)}}`),
    status: 400,
    code: 'JSON_TOO_DEEP',
  },
  {
    name: 'arrays nested 100,000 deep (merge patch)',
    send: (s) =>
      admin(s)
        .patch(DATASET)
        .set('Content-Type', 'application/merge-patch+json')
        .send(`{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
    status: 400,
    code: 'JSON_TOO_DEEP',
  },
  {
    name: `a descriptor nested ${MAX_DESCRIPTOR_DEPTH + 1} deep (replace: within the body limit, beyond the descriptor's)`,
    send: (s) =>
      admin(s)
        .put(DATASET)
        .set('Content-Type', 'application/json')
        .send(descriptorNested(MAX_DESCRIPTOR_DEPTH + 1)),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: [`/extra${'/a'.repeat(MAX_DESCRIPTOR_DEPTH - 1)}`],
  },
  // Item 9: dates and refs that reached PostgreSQL or the file system.
  {
    name: 'updatedSince in year 0',
    send: (s) => admin(s).get('/api/v1/datasets?updatedSince=0000-01-01T00:00:00Z'),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/updatedSince'],
    documented: ['GET', '/datasets'],
  },
  {
    name: 'updatedSince in year 0 once in UTC',
    send: (s) => admin(s).get('/api/v1/datasets?updatedSince=0001-01-01T00:30:00%2B01:00'),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/updatedSince'],
  },
  {
    name: 'updatedSince on a leap second',
    send: (s) => admin(s).get('/api/v1/datasets?updatedSince=2016-12-31T23:59:60Z'),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/updatedSince'],
  },
  {
    name: '?ref= of 256 characters',
    send: (s) => admin(s).get(`${DATASET}?ref=${'a'.repeat(256)}`),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/ref'],
    documented: ['GET', '/datasets/{owner}/{name}'],
  },
  {
    name: '?ref= of 128 characters but 256 bytes',
    send: (s) => admin(s).get(`${DATASET}?ref=${encodeURIComponent('é'.repeat(128))}`),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/ref'],
  },
  {
    name: '?ref= of 256 characters (one resource)',
    send: (s) => admin(s).get(`${DATASET}/resources/obs?ref=${'a'.repeat(256)}`),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/ref'],
  },
  {
    name: '?ref= of 256 characters (history)',
    send: (s) => admin(s).get(`${DATASET}/revisions?ref=${'a'.repeat(256)}`),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/ref'],
  },
  {
    name: '?ref= with a right-to-left override',
    send: (s) => admin(s).get(`${DATASET}?ref=v1%E2%80%AE`),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/ref'],
  },
  {
    name: 'diff from and to that git refuses or that are too long',
    send: (s) => admin(s).get(`${DATASET}/diff?from=${'f'.repeat(300)}&to=a%20b`),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/from', '/to'],
    documented: ['GET', '/datasets/{owner}/{name}/diff'],
  },
  {
    name: 'a revert to a ref of 256 characters',
    send: (s) =>
      admin(s)
        .post(`${DATASET}/revert`)
        .send({ to: 'r'.repeat(256) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/to'],
  },
  {
    name: 'a tag of a ref of 300 characters',
    send: (s) =>
      admin(s)
        .post(`${DATASET}/tags`)
        .send({ name: 'v4', ref: 'r'.repeat(300) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/ref'],
  },
  // Item 11a: tag names git refuses or that spoof.
  ...[
    ['HEAD', 'HEAD'],
    ['ORIG_HEAD', 'ORIG_HEAD'],
    ['refs/tags/v9', 'a name starting with refs/'],
    ['v1\u202e0.2', 'a right-to-left override'],
    ['\u2066v9', 'a bidi isolate'],
    ['v9\u200b', 'a zero-width space'],
    ['v9\u00a0rc', 'a no-break space'],
    ['v9\u3000rc', 'an ideographic space'],
    ['v9\u0085', 'a C1 control'],
    ['v9\u0007', 'a bell'],
    ['a'.repeat(40), 'a name that looks like a sha'],
    ['日'.repeat(67), 'a name of 201 bytes'],
  ].map(([tag, label]): BadInput => ({
    name: `a tag named with ${label}`,
    send: (s) => admin(s).post(`${DATASET}/tags`).send({ name: tag }),
    status: 400,
    code: 'VALIDATION_FAILED',
    pointers: ['/name'],
  })),
];

describe('metadata-api: every bad input is a 4xx with a stable code, and nothing internal leaks (issue 9)', () => {
  let server: TestServer;
  let head: string;

  beforeAll(async () => {
    server = await startTestServer();
    const created = await server.http().post('/api/v1/datasets').send({ owner: OWNER, name: 'weather', descriptor: descriptor() });
    expect(created.status).toBe(201);
    expect((await server.http().post(`${DATASET}/tags`).send({ name: 'v1' })).status).toBe(201);
    head = created.body.revision.sha;
  });
  afterAll(() => server.close());

  it.each(BAD_INPUTS.map((input) => [input.name, input] as const))('%s', async (_name, input) => {
    const response = await input.send(server);
    expect({ status: response.status, code: response.body.code }).toEqual({ status: input.status, code: input.code });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (input.pointers)
      expect(response.body.errors.map((issue: { pointer: string }) => issue.pointer).sort()).toEqual([...input.pointers].sort());
    if (input.documented) expectDocumented(input.documented[0], input.documented[1], response);
  });

  it('wrote nothing for any of them: one revision, one tag, and git fsck --strict is clean', async () => {
    const revisions = await server.http().get(`${DATASET}/revisions`);
    expect(revisions.body.items.map((revision: { sha: string }) => revision.sha)).toEqual([head]);
    const tags = await server.http().get(`${DATASET}/tags`);
    expect(tags.body.items.map((tag: { name: string }) => tag.name)).toEqual(['v1']);
    expect((await server.http().get(`/api/v1/datasets/${OWNER}/injected`)).status).toBe(404);
    const gitdir = path.join(server.dataDir, 'repositories', OWNER, 'weather.git');
    await expect(run('git', ['--git-dir', gitdir, 'fsck', '--strict', '--no-dangling'])).resolves.toBeDefined();
  });

  it('still accepts what sits just inside every limit', async () => {
    const unicodeAuthor = await server
      .http()
      .put(`${DATASET}?author=${encodeURIComponent('Zoë Ørsted <zoe@example.com>')}`)
      .send(descriptor({ title: 'Inside the limits' }));
    expect(unicodeAuthor.status).toBe(200);
    expect(unicodeAuthor.body.revision.author).toEqual({ name: 'Zoë Ørsted', email: 'zoe@example.com' });
    const deepest = await server.http().put(DATASET).set('Content-Type', 'application/json').send(descriptorNested(MAX_DESCRIPTOR_DEPTH));
    expect(deepest.status).toBe(200);
    const patched = await server.http().patch(DATASET).set('Content-Type', 'application/merge-patch+json').send('{"title":"Patched"}');
    expect(patched.status).toBe(200);
    expect((await server.http().get(`${DATASET}?ref=${'a'.repeat(255)}`)).body.code).toBe('REF_NOT_FOUND');
    expect((await server.http().get(`${DATASET}?ref=v1`)).status).toBe(200);
    expect((await server.http().get('/api/v1/datasets?updatedSince=0001-01-01T00:00:00Z')).status).toBe(200);
    expect((await server.http().get('/api/v1/datasets?updatedSince=1970-01-01T00:00:00Z')).status).toBe(200);
    expect((await server.http().get('/api/v1/datasets?q=rain%20%2Bweather')).status).toBe(200);
    const gzipped = await server
      .http()
      .post(`${DATASET}/tags`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize(raw)
      .send(gzipSync(JSON.stringify({ name: 'gzipped' })));
    expect(gzipped.status).toBe(201);
    expect((await server.http().post(`${DATASET}/tags`).send({ name: 'release/λ-1' })).status).toBe(201);
  });

  it('never shows where the data directory is: events and listings carry a relative location', async () => {
    const listing = await server.http().get(`/api/v1/datasets?owner=${OWNER}`);
    expect(listing.body.items.find((item: { id: string }) => item.id === `${OWNER}/weather`)).toMatchObject({
      location: `repositories/${OWNER}/weather.git`,
    });
    const events = await server.http().get('/api/v1/events?limit=1000');
    expect(events.status).toBe(200);
    expect(events.body.items.length).toBeGreaterThan(0);
    for (const { event } of events.body.items) expect(event.data.dataset.location).toBe(`repositories/${OWNER}/weather.git`);
    expect(JSON.stringify([listing.body, events.body])).not.toContain(server.dataDir);
  });
});

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** What a 5xx body must never contain: the server's host, port, paths, or a driver's or the OS's words. */
function expectNothingInternal(
  response: { status: number; text: string; body: { code?: string; detail?: string } },
  secrets: readonly string[],
): void {
  expect(response.status).toBeGreaterThanOrEqual(500);
  expect(response.body.code).toEqual(expect.any(String));
  for (const secret of [
    ...secrets,
    '127.0.0.1',
    'localhost',
    'ECONNREFUSED',
    'ENOTDIR',
    'EACCES',
    'connect',
    'prisma',
    'Prisma',
    'postgres',
    'metastore-api-',
    '/tmp',
    'node_modules',
    ' at ',
  ]) {
    expect(response.text).not.toContain(secret);
  }
}

describe('metadata-api: 5xx problems during an outage name no host, port, path or driver text', () => {
  it('with the catalog database at a closed port', async () => {
    const port = await closedPort();
    const server = await startTestServer({}, undefined, { database: { url: `postgresql://metastore:s3cret@127.0.0.1:${port}/catalog` } });
    try {
      const secrets = [String(port), 's3cret', 'catalog database failed'];
      for (const response of [await server.http().get('/api/v1/datasets'), await server.http().get('/api/v1/events')]) {
        expect({ status: response.status, code: response.body.code }).toEqual({ status: 503, code: 'STORAGE_UNAVAILABLE' });
        expectNothingInternal(response, secrets);
      }
      // Readiness may call a dependency degraded rather than down; whenever it answers 5xx, it says no more.
      for (const response of [await server.http().get('/readyz'), await request(server.baseUrl).get('/readyz')]) {
        if (response.status >= 500) expectNothingInternal(response, secrets);
      }
    } finally {
      await server.close();
    }
  });

  it('with a data directory that cannot be written (a path under a regular file)', async () => {
    const probe = await startTestServer();
    const file = path.join(probe.dataDir, 'not-a-directory');
    await writeFile(file, 'x');
    const dataDir = path.join(file, 'data');
    const server = await startTestServer({ METASTORE_DATA_DIR: dataDir });
    try {
      const secrets = [dataDir, probe.dataDir];
      for (const response of [
        await server.http().post('/api/v1/datasets').send({ owner: OWNER, name: 'weather', descriptor: descriptor() }),
        await server.http().get(DATASET),
      ]) {
        expect({ status: response.status, code: response.body.code }).toEqual({ status: 503, code: 'STORAGE_UNAVAILABLE' });
        expectNothingInternal(response, secrets);
      }
      const ready = await server.http().get('/readyz');
      expect(ready.status).toBe(503);
      expectNothingInternal(ready, secrets);
    } finally {
      await server.close();
      await probe.close();
    }
  });
});
