import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const run = promisify(execFile);
const HASH = `sha256:${'ab'.repeat(32)}`;

function descriptor(extra: Record<string, unknown> = {}) {
  return {
    $schema: 'https://datapackage.org/profiles/2.0/datapackage.json',
    name: 'weather',
    id: 'urn:uuid:7b1f4a3e-0000-4000-8000-000000000001',
    title: 'Weather observations',
    licenses: [{ name: 'CC0-1.0' }],
    resources: [{ name: 'observations', path: 'data/observations.csv', hash: HASH, bytes: 2048, mediatype: 'text/csv' }],
    ...extra,
  };
}

describe('metadata-api: datasets over real HTTP and real git repositories', () => {
  let server: TestServer;
  let owner: string;
  let counter = 0;

  beforeAll(async () => {
    server = await startTestServer({ METASTORE_BODY_LIMIT: '64kb' });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    counter += 1;
    owner = `acme-${counter}`;
  });

  const api = () => server.http();

  async function create(name = 'weather', body: Record<string, unknown> = {}) {
    const response = await api()
      .post('/api/v1/datasets')
      .send({ owner, name, descriptor: descriptor(), ...body });
    expect(response.status).toBe(201);
    return response;
  }

  it('creates a dataset: 201, Location, ETag, the revision and SHOULD-level warnings', async () => {
    const response = await api()
      .post('/api/v1/datasets')
      .send({
        owner,
        name: 'weather',
        descriptor: { name: 'weather', resources: [{ name: 'a', path: 'a.csv' }] },
        message: 'First import',
        author: { name: 'Ada', email: 'ada@example.com' },
      });
    expectDocumented('POST', '/datasets', response);
    expect(response.status).toBe(201);
    expect(response.headers['location']).toBe(`/api/v1/datasets/${owner}/weather`);
    expect(response.headers['etag']).toBe(`"${response.body.revision.sha}"`);
    expect(response.body).toMatchObject({
      id: `${owner}/weather`,
      changed: true,
      revision: { parents: [], message: 'First import', author: { name: 'Ada', email: 'ada@example.com' } },
    });
    expect(response.body.warnings.map((warning: { code: string }) => warning.code)).toEqual(
      expect.arrayContaining(['NO_PROFILE', 'MISSING_LICENSES']),
    );
  });

  it('answers 409 for an existing dataset and keeps the original', async () => {
    const first = await create();
    const again = await api()
      .post('/api/v1/datasets')
      .send({ owner, name: 'weather', descriptor: descriptor({ title: 'Other' }) });
    expectDocumented('POST', '/datasets', again);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('DATASET_ALREADY_EXISTS');
    const read = await api().get(`/api/v1/datasets/${owner}/weather`);
    expect(read.headers['etag']).toBe(`"${first.body.revision.sha}"`);
    expect(read.body.title).toBe('Weather observations');
  });

  it('answers 400 listing every validation error with JSON pointers, and writes nothing', async () => {
    const response = await api()
      .post('/api/v1/datasets')
      .send({
        owner,
        name: 'broken',
        descriptor: {
          name: 'broken',
          resources: [
            { name: 'a', path: '../escape.csv' },
            { name: 'a', data: [], path: 'x.csv' },
          ],
        },
      });
    expectDocumented('POST', '/datasets', response);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, type: expect.stringContaining('validation-failed') });
    const pointers = response.body.errors.map((error: { pointer: string }) => error.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining(['/descriptor/resources/0/path', '/descriptor/resources/1/name', '/descriptor/resources/1']),
    );
    expect((await api().get(`/api/v1/datasets/${owner}/broken`)).status).toBe(404);
  });

  it('rejects bad identifiers and bodies with 400 problems', async () => {
    const badId = await api().post('/api/v1/datasets').send({ owner: 'Bad Owner', name: '../etc', descriptor: descriptor() });
    expect(badId.status).toBe(400);
    expect(badId.body.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/owner', '/name', '/name']);

    const missing = await api().post('/api/v1/datasets').send({ owner, name: 'x', extra: true });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/descriptor', message: 'is required' },
        { pointer: '/extra', message: 'is not allowed' },
      ]),
    );

    const malformed = await api().post('/api/v1/datasets').set('Content-Type', 'application/json').send('{"owner": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('INVALID_JSON');

    const badPathParam = await api().get('/api/v1/datasets/acme/UPPER');
    expect(badPathParam.status).toBe(400);
    expect(badPathParam.body.errors[0].pointer).toBe('/name');
  });

  it('answers 415 for a wrong content type and 413 for a body over the limit', async () => {
    const wrongType = await api().post('/api/v1/datasets').set('Content-Type', 'text/plain').send('owner=acme');
    expectDocumented('POST', '/datasets', wrongType);
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const huge = descriptor({ description: 'x'.repeat(70 * 1024) });
    const tooLarge = await api().post('/api/v1/datasets').send({ owner, name: 'huge', descriptor: huge });
    expectDocumented('POST', '/datasets', tooLarge);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await api().get(`/api/v1/datasets/${owner}/huge`)).status).toBe(404);
  });

  it('reads the stored descriptor with the revision as ETag, and 304 for If-None-Match', async () => {
    const created = await create();
    const sha = created.body.revision.sha as string;
    const read = await api().get(`/api/v1/datasets/${owner}/weather`);
    expectDocumented('GET', '/datasets/{owner}/{name}', read);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(descriptor());
    expect(read.headers['etag']).toBe(`"${sha}"`);
    expect(read.headers['cache-control']).toBe('private, no-cache');
    // The body is the stored file, byte for byte.
    const stored = await run('git', [
      '-C',
      path.join(server.dataDir, 'repositories', owner, 'weather.git'),
      'show',
      `${sha}:datapackage.json`,
    ]);
    expect(read.text).toBe(stored.stdout);

    const notModified = await api().get(`/api/v1/datasets/${owner}/weather`).set('If-None-Match', `"${sha}"`);
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    const atSha = await api().get(`/api/v1/datasets/${owner}/weather?ref=${sha}`);
    expect(atSha.headers['cache-control']).toContain('immutable');

    const unknownRef = await api().get(`/api/v1/datasets/${owner}/weather?ref=nope`);
    expectDocumented('GET', '/datasets/{owner}/{name}', unknownRef);
    expect(unknownRef.status).toBe(404);
    expect(unknownRef.body.code).toBe('REF_NOT_FOUND');
    const unknownDataset = await api().get(`/api/v1/datasets/${owner}/missing`);
    expect(unknownDataset.status).toBe(404);
    expect(unknownDataset.body.code).toBe('DATASET_NOT_FOUND');
  });

  it('replaces with PUT, makes no empty commit for an identical descriptor, and honours If-Match', async () => {
    const created = await create();
    const first = created.body.revision.sha as string;
    const updated = await api()
      .put(
        `/api/v1/datasets/${owner}/weather?message=${encodeURIComponent('Retitle')}&author=${encodeURIComponent('Bea Ünal <bea@example.com>')}`,
      )
      .set('If-Match', `"${first}"`)
      .send(descriptor({ title: 'Weather, revised' }));
    expectDocumented('PUT', '/datasets/{owner}/{name}', updated);
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      changed: true,
      revision: { parents: [first], message: 'Retitle', author: { name: 'Bea Ünal', email: 'bea@example.com' } },
    });
    const second = updated.body.revision.sha as string;

    // Same content, keys in another order: no commit.
    const reordered = Object.fromEntries(Object.entries(descriptor({ title: 'Weather, revised' })).reverse());
    const identical = await api().put(`/api/v1/datasets/${owner}/weather`).send(reordered);
    expect(identical.status).toBe(200);
    expect(identical.body).toMatchObject({ changed: false, revision: { sha: second } });
    const history = await api().get(`/api/v1/datasets/${owner}/weather/revisions`);
    expect(history.body.items).toHaveLength(2);

    const stale = await api()
      .put(`/api/v1/datasets/${owner}/weather`)
      .set('If-Match', `"${first}"`)
      .send(descriptor({ title: 'Lost?' }));
    expectDocumented('PUT', '/datasets/{owner}/{name}', stale);
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    const weak = await api()
      .put(`/api/v1/datasets/${owner}/weather`)
      .set('If-Match', `W/"${second}"`)
      .send(descriptor({ title: 'Weak' }));
    expect(weak.status).toBe(412);
    const unknown = await api()
      .put(`/api/v1/datasets/${owner}/weather`)
      .set('If-Match', `"${'0'.repeat(40)}"`)
      .send(descriptor({ title: 'Unknown' }));
    expect(unknown.status).toBe(412);
    const garbage = await api()
      .put(`/api/v1/datasets/${owner}/weather`)
      .set('If-Match', '"not-a-revision"')
      .send(descriptor({ title: 'Garbage' }));
    expect(garbage.status).toBe(412);
    // An identical write against a stale revision still fails its precondition.
    const staleIdentical = await api()
      .put(`/api/v1/datasets/${owner}/weather`)
      .set('If-Match', `"${first}"`)
      .send(descriptor({ title: 'Weather, revised' }));
    expect(staleIdentical.status).toBe(412);
    expect((await api().get(`/api/v1/datasets/${owner}/weather`)).body.title).toBe('Weather, revised');

    const invalid = await api().put(`/api/v1/datasets/${owner}/weather`).send({ resources: [] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].pointer).toBe('/resources');
  });

  it('applies a JSON Merge Patch with PATCH', async () => {
    await create();
    const patched = await api()
      .patch(`/api/v1/datasets/${owner}/weather`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ title: null, keywords: ['climate'], description: 'Daily' }));
    expectDocumented('PATCH', '/datasets/{owner}/{name}', patched);
    expect(patched.status).toBe(200);
    const read = await api().get(`/api/v1/datasets/${owner}/weather`);
    expect(read.body.title).toBeUndefined();
    expect(read.body).toMatchObject({ keywords: ['climate'], description: 'Daily', name: 'weather' });

    const notObject = await api()
      .patch(`/api/v1/datasets/${owner}/weather`)
      .set('Content-Type', 'application/merge-patch+json')
      .send('[1]');
    expect(notObject.status).toBe(400);
    const wrongType = await api().patch(`/api/v1/datasets/${owner}/weather`).set('Content-Type', 'application/xml').send('<x/>');
    expect(wrongType.status).toBe(415);
  });

  it('writes Git LFS pointers for hashed resources and removes them with the resource', async () => {
    const created = await create();
    const gitdir = path.join(server.dataDir, 'repositories', owner, 'weather.git');
    const pointer = await run('git', ['-C', gitdir, 'show', `${created.body.revision.sha}:data/observations.csv`]);
    expect(pointer.stdout).toBe(`version https://git-lfs.github.com/spec/v1\noid ${HASH}\nsize 2048\n`);
    const attributes = await run('git', ['-C', gitdir, 'show', `${created.body.revision.sha}:.gitattributes`]);
    expect(attributes.stdout).toContain('/data/observations.csv filter=lfs diff=lfs merge=lfs -text');

    const removed = await api()
      .put(`/api/v1/datasets/${owner}/weather`)
      .send(descriptor({ resources: [{ name: 'inline', data: [{ a: 1 }] }] }));
    expect(removed.status).toBe(200);
    const tree = await run('git', ['-C', gitdir, 'ls-tree', '-r', '--name-only', removed.body.revision.sha]);
    expect(tree.stdout.trim().split('\n')).toEqual(['datapackage.json']);
    await run('git', ['-C', gitdir, 'fsck', '--strict']);
  });

  it("reads one resource's metadata at a ref", async () => {
    const created = await create();
    await api()
      .patch(`/api/v1/datasets/${owner}/weather`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ resources: [{ name: 'renamed', path: 'r.csv' }] }));
    const old = await api().get(`/api/v1/datasets/${owner}/weather/resources/observations?ref=${created.body.revision.sha}`);
    expectDocumented('GET', '/datasets/{owner}/{name}/resources/{resource}', old);
    expect(old.status).toBe(200);
    expect(old.body).toEqual({ revision: created.body.revision.sha, resource: descriptor().resources[0] });
    const gone = await api().get(`/api/v1/datasets/${owner}/weather/resources/observations`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('RESOURCE_NOT_FOUND');
  });

  it("lists an owner's datasets page by page", async () => {
    for (const name of ['b-set', 'a-set', 'c-set']) await create(name);
    const first = await api().get(`/api/v1/datasets?owner=${owner}&limit=2`);
    expectDocumented('GET', '/datasets', first);
    expect(first.body.items.map((item: { name: string }) => item.name)).toEqual(['a-set', 'b-set']);
    const second = await api().get(`/api/v1/datasets?owner=${owner}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body).toMatchObject({
      items: [
        {
          id: `${owner}/c-set`,
          owner,
          name: 'c-set',
          title: 'Weather observations',
          keywords: [],
          licenses: ['CC0-1.0'],
          resourceCount: 1,
          backend: 'local',
        },
      ],
      nextCursor: null,
    });
    // A local repository's location is relative to the data directory: its path on the server is not shown.
    expect(second.body.items[0].location).toBe(`repositories/${owner}/c-set.git`);
    const badCursor = await api().get(`/api/v1/datasets?owner=${owner}&cursor=not-a-cursor`);
    expect(badCursor.status).toBe(400);
    const badLimit = await api().get(`/api/v1/datasets?owner=${owner}&limit=1000`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.errors[0].pointer).toBe('/limit');
  });

  it('deletes a dataset and its repository', async () => {
    await create();
    const deleted = await api().delete(`/api/v1/datasets/${owner}/weather`);
    expectDocumented('DELETE', '/datasets/{owner}/{name}', deleted);
    expect(deleted.status).toBe(204);
    expect((await api().get(`/api/v1/datasets/${owner}/weather`)).status).toBe(404);
    const again = await api().delete(`/api/v1/datasets/${owner}/weather`);
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('DATASET_NOT_FOUND');
    await expect(readFile(path.join(server.dataDir, 'repositories', owner, 'weather.git', 'HEAD'))).rejects.toThrow();
  });

  it('deletes only when If-Match names the head: 412 and nothing deleted for a stale or weak one, `*` for any existing dataset', async () => {
    const first = (await create()).body.revision.sha as string;
    const second = (
      await api().patch(`/api/v1/datasets/${owner}/weather`).set('Content-Type', 'application/merge-patch+json').send('{"title":"Second"}')
    ).body.revision.sha as string;
    const gitdir = path.join(server.dataDir, 'repositories', owner, 'weather.git');
    for (const condition of [`"${first}"`, `W/"${second}"`, '"not-a-revision"']) {
      const refused = await api().delete(`/api/v1/datasets/${owner}/weather`).set('If-Match', condition);
      expectDocumented('DELETE', '/datasets/{owner}/{name}', refused);
      expect([refused.status, refused.body.code]).toEqual([412, 'PRECONDITION_FAILED']);
    }
    expect((await run('git', ['-C', gitdir, 'rev-list', '--count', 'main'])).stdout.trim()).toBe('2');
    expect((await api().get(`/api/v1/datasets/${owner}/weather`)).headers['etag']).toBe(`"${second}"`);
    const deleted = await api().delete(`/api/v1/datasets/${owner}/weather`).set('If-Match', `"${first}", "${second}"`);
    expect(deleted.status).toBe(204);
    await expect(readFile(path.join(gitdir, 'HEAD'))).rejects.toThrow();

    await create('wildcard');
    expect((await api().delete(`/api/v1/datasets/${owner}/wildcard`).set('If-Match', '*')).status).toBe(204);
    const missing = await api().delete(`/api/v1/datasets/${owner}/wildcard`).set('If-Match', '*');
    expect([missing.status, missing.body.code]).toEqual([404, 'DATASET_NOT_FOUND']);
  });

  it('refuses a conditional delete while git holds the branch lock (a push in progress) and deletes nothing', async () => {
    const sha = (await create()).body.revision.sha as string;
    const gitdir = path.join(server.dataDir, 'repositories', owner, 'weather.git');
    // What `git push` holds while it updates the branch (https://git-scm.com/docs/api-lockfile).
    await writeFile(path.join(gitdir, 'refs', 'heads', 'main.lock'), `${sha}\n`);
    const refused = await api().delete(`/api/v1/datasets/${owner}/weather`).set('If-Match', `"${sha}"`);
    expect([refused.status, refused.body.code]).toEqual([412, 'PRECONDITION_FAILED']);
    await rm(path.join(gitdir, 'refs', 'heads', 'main.lock'));
    expect((await run('git', ['-C', gitdir, 'rev-parse', 'main'])).stdout.trim()).toBe(sha);
    expect((await api().delete(`/api/v1/datasets/${owner}/weather`).set('If-Match', `"${sha}"`)).status).toBe(204);
  });
});

describe('metadata-api: service endpoints and failures', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('serves health, readiness, the OpenAPI 3.1 description and an HTML docs page', async () => {
    expect((await server.http().get('/healthz')).body).toEqual({ status: 'ok' });
    const ready = await server.http().get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ready',
      checks: {
        storage: { status: 'up', backend: 'local' },
        catalog: { status: 'up', pendingChanges: 0 },
        events: { status: 'up', stream: 'none', pendingEvents: 0 },
        revocations: { status: 'up', staleSeconds: 0, loadedAt: expect.any(String) },
      },
    });
    expectDocumented('GET', '/readyz', ready);
    const document = await server.http().get('/openapi.json');
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/datasets',
        '/datasets/{owner}/{name}',
        '/datasets/{owner}/{name}/tags/{tag}',
        '/datasets/{owner}/{name}/diff',
      ]),
    );
    const docs = await server.http().get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    expect(docs.text).toContain('swagger-ui');
  });

  it('answers unknown routes with a 404 problem and echoes a given request id', async () => {
    const response = await server.http().get('/api/v1/nowhere').set('X-Request-Id', 'trace-123');
    expect(response.status).toBe(404);
    expect(response.headers['x-request-id']).toBe('trace-123');
    expect(response.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', requestId: 'trace-123' });
  });
});

describe('metadata-api: unexpected failures', () => {
  it('answers 500 and 503 problems without stack traces or internals', async () => {
    class BrokenStorage extends InMemoryDatasetStorage {
      override async resolveRef(): Promise<string> {
        throw new Error('secret internal detail at /srv/x.ts:12');
      }
      override async checkReady(): Promise<void> {
        throw new Error('disk gone');
      }
    }
    const server = await startTestServer({}, () => new BrokenStorage());
    try {
      const response = await server.http().get('/api/v1/datasets/acme/x');
      expect(response.status).toBe(500);
      expect(response.body.code).toBe('INTERNAL_ERROR');
      expect(response.text).not.toContain('secret');
      expect(response.text).not.toMatch(/\bat \//);
      const ready = await server.http().get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.code).toBe('STORAGE_UNAVAILABLE');
      expect(ready.body.checks).toMatchObject({ storage: { status: 'down' }, catalog: { status: 'up' } });
      expect(ready.text).not.toContain('disk gone');
      expectDocumented('GET', '/readyz', ready);
    } finally {
      await server.close();
    }
  });
});
