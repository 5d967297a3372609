import request from 'supertest';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

describe('metadata-api: tags', () => {
  let server: TestServer;
  const owner = 'tagging';
  let first: string;
  let second: string;

  beforeAll(async () => {
    server = await startTestServer();
    const api = server.http();
    const created = await api
      .post('/api/v1/datasets')
      .send({ owner, name: 'census', descriptor: { name: 'census', resources: [{ name: 'people', path: 'people.csv' }] } });
    first = created.body.revision.sha;
    const updated = await api
      .patch(`/api/v1/datasets/${owner}/census`)
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"title":"Census 2020"}');
    second = updated.body.revision.sha;
  });
  afterAll(() => server.close());

  const api = () => server.http();
  const tagsPath = `/api/v1/datasets/${owner}/census/tags`;

  it('creates annotated tags at the head or a ref, and reads at a tag', async () => {
    const atHead = await api().post(tagsPath).send({ name: 'v2.0', description: 'Second release' });
    expectDocumented('POST', '/datasets/{owner}/{name}/tags', atHead);
    expect(atHead.status).toBe(201);
    expect(atHead.headers['location']).toBe(`${tagsPath}/v2.0`);
    expect(atHead.body).toMatchObject({
      name: 'v2.0',
      target: second,
      description: 'Second release',
      author: { name: 'Test Admin', email: 'admin@example.com' },
    });

    const nested = await api()
      .post(tagsPath)
      .send({ name: 'release/2020', ref: first, author: { name: 'Cy', email: 'cy@example.com' } });
    expect(nested.status).toBe(201);
    expect(nested.headers['location']).toBe(`${tagsPath}/release/2020`);
    expect(nested.body).toMatchObject({ target: first, description: '', author: { name: 'Cy', email: 'cy@example.com' } });

    const atTag = await api().get(`/api/v1/datasets/${owner}/census?ref=release/2020`);
    expect(atTag.headers['etag']).toBe(`"${first}"`);
    expect(atTag.body.title).toBeUndefined();
    const byEncodedName = await api().get(`${tagsPath}/release%2F2020`);
    expect(byEncodedName.body.target).toBe(first);
    const byRawName = await api().get(`${tagsPath}/release/2020`);
    expectDocumented('GET', '/datasets/{owner}/{name}/tags/{tag}', byRawName);
    expect(byRawName.body.name).toBe('release/2020');
  });

  it('refuses duplicate and malformed tag names', async () => {
    await api().post(tagsPath).send({ name: 'dup' });
    const duplicate = await api().post(tagsPath).send({ name: 'dup', ref: first });
    expectDocumented('POST', '/datasets/{owner}/{name}/tags', duplicate);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('TAG_ALREADY_EXISTS');
    for (const name of ['has space', 'a..b', 'x.lock', '-flag', 'a~1', 'c:d']) {
      const bad = await api().post(tagsPath).send({ name });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].pointer).toBe('/name');
    }
    const unknownRef = await api().post(tagsPath).send({ name: 'ghost', ref: 'nothing-here' });
    expect(unknownRef.status).toBe(404);
  });

  it('lists tags in name order, page by page', async () => {
    for (const name of ['list/c', 'list/a', 'list/b']) await api().post(tagsPath).send({ name });
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await api().get(`${tagsPath}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expectDocumented('GET', '/datasets/{owner}/{name}/tags', page);
      all.push(...page.body.items.map((tag: { name: string }) => tag.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all.filter((name) => name.startsWith('list/'))).toEqual(['list/a', 'list/b', 'list/c']);
    expect(all).toEqual([...all].sort());
  });

  it('updates a description freely but moves a tag only with force', async () => {
    await api().post(tagsPath).send({ name: 'stable', ref: first, description: 'Old' });
    const described = await api().patch(`${tagsPath}/stable`).send({ description: 'Renamed description' });
    expectDocumented('PATCH', '/datasets/{owner}/{name}/tags/{tag}', described);
    expect(described.body).toMatchObject({ target: first, description: 'Renamed description' });

    const refused = await api().patch(`${tagsPath}/stable`).send({ ref: second });
    expectDocumented('PATCH', '/datasets/{owner}/{name}/tags/{tag}', refused);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('TAG_MOVE_REQUIRES_FORCE');
    expect((await api().get(`${tagsPath}/stable`)).body.target).toBe(first);

    const moved = await api().patch(`${tagsPath}/stable`).send({ ref: second, force: true });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ target: second, description: 'Renamed description' });
  });

  it('deletes a tag, keeping the revision', async () => {
    await api().post(tagsPath).send({ name: 'temporary', ref: first });
    const deleted = await api().delete(`${tagsPath}/temporary`);
    expectDocumented('DELETE', '/datasets/{owner}/{name}/tags/{tag}', deleted);
    expect(deleted.status).toBe(204);
    const gone = await api().get(`${tagsPath}/temporary`);
    expectDocumented('GET', '/datasets/{owner}/{name}/tags/{tag}', gone);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('TAG_NOT_FOUND');
    expect((await api().get(`/api/v1/datasets/${owner}/census/revisions/${first}`)).status).toBe(200);
  });
});
