import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

describe('metadata-api: revisions, diff and revert', () => {
  let server: TestServer;
  const owner = 'history';
  const base = { name: 'sales', licenses: [{ name: 'ODC-BY-1.0' }], resources: [{ name: 'q1', path: 'q1.csv' }] };
  const shas: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const api = server.http();
    const created = await api.post('/api/v1/datasets').send({ owner, name: 'sales', descriptor: base });
    shas.push(created.body.revision.sha);
    for (const [index, patch] of [
      { title: 'Sales' },
      {
        resources: [
          { name: 'q1', path: 'q1.csv' },
          { name: 'q2', path: 'q2.csv' },
        ],
      },
      {
        title: 'Quarterly sales',
        resources: [
          { name: 'q1', path: 'q1-final.csv' },
          { name: 'q2', path: 'q2.csv' },
        ],
      },
    ].entries()) {
      const response = await api
        .patch(`/api/v1/datasets/${owner}/sales?message=step${index + 1}`)
        .set('Content-Type', 'application/merge-patch+json')
        .send(JSON.stringify(patch));
      shas.push(response.body.revision.sha);
    }
  });
  afterAll(() => server.close());

  it('lists revisions newest first with cursor pagination and a Link header', async () => {
    const api = server.http();
    const first = await api.get(`/api/v1/datasets/${owner}/sales/revisions?limit=3`);
    expectDocumented('GET', '/datasets/{owner}/{name}/revisions', first);
    expect(first.body.items.map((revision: { sha: string }) => revision.sha)).toEqual([shas[3], shas[2], shas[1]]);
    expect(first.body.items[0]).toMatchObject({ message: 'step3', parents: [shas[2]] });
    expect(first.headers['link']).toBe(`</api/v1/datasets/${owner}/sales/revisions?limit=3&cursor=${first.body.nextCursor}>; rel="next"`);
    const second = await api.get(`/api/v1/datasets/${owner}/sales/revisions?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ items: [{ sha: shas[0], parents: [] }], nextCursor: null });
    expect(second.headers['link']).toBeUndefined();
  });

  it('gets one revision by full or abbreviated sha, 404 otherwise', async () => {
    const api = server.http();
    const full = await api.get(`/api/v1/datasets/${owner}/sales/revisions/${shas[1]}`);
    expectDocumented('GET', '/datasets/{owner}/{name}/revisions/{sha}', full);
    expect(full.body).toMatchObject({ sha: shas[1], message: 'step1' });
    expect((await api.get(`/api/v1/datasets/${owner}/sales/revisions/${shas[1]!.slice(0, 8)}`)).body.sha).toBe(shas[1]);
    const missing = await api.get(`/api/v1/datasets/${owner}/sales/revisions/${'0'.repeat(40)}`);
    expectDocumented('GET', '/datasets/{owner}/{name}/revisions/{sha}', missing);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('REVISION_NOT_FOUND');
  });

  it('diffs two revisions as an RFC 6902 patch with a summary', async () => {
    const api = server.http();
    const diff = await api.get(`/api/v1/datasets/${owner}/sales/diff?from=${shas[0]}&to=${shas[3]}`);
    expectDocumented('GET', '/datasets/{owner}/{name}/diff', diff);
    expect(diff.status).toBe(200);
    expect(diff.body.summary).toEqual({ resourcesAdded: ['q2'], resourcesRemoved: [], resourcesChanged: ['q1'], fieldsChanged: ['title'] });
    expect(diff.body.patch).toEqual(
      expect.arrayContaining([
        { op: 'add', path: '/title', value: 'Quarterly sales' },
        { op: 'replace', path: '/resources/0/path', value: 'q1-final.csv' },
      ]),
    );
    const toHead = await api.get(`/api/v1/datasets/${owner}/sales/diff?from=${shas[2]}`);
    expect(toHead.body.to).toBe(shas[3]);
    const missingFrom = await api.get(`/api/v1/datasets/${owner}/sales/diff`);
    expect(missingFrom.status).toBe(400);
    expect(missingFrom.body.errors).toEqual([{ pointer: '/from', message: 'is required' }]);
  });

  it('reverts to an earlier revision as a new revision, conditionally with If-Match', async () => {
    const api = server.http();
    const head = (await api.get(`/api/v1/datasets/${owner}/sales`)).headers['etag'];
    const stale = await api.post(`/api/v1/datasets/${owner}/sales/revert`).set('If-Match', `"${shas[0]}"`).send({ to: shas[0] });
    expect(stale.status).toBe(412);
    const reverted = await api.post(`/api/v1/datasets/${owner}/sales/revert`).set('If-Match', head!).send({ to: shas[0] });
    expectDocumented('POST', '/datasets/{owner}/{name}/revert', reverted);
    expect(reverted.status).toBe(200);
    expect(reverted.body).toMatchObject({ changed: true, revertedTo: shas[0], revision: { parents: [shas[3]] } });
    expect(reverted.body.revision.message).toBe(`Revert ${owner}/sales to ${shas[0]}`);
    expect((await api.get(`/api/v1/datasets/${owner}/sales`)).body).toEqual(base);
    const noop = await api.post(`/api/v1/datasets/${owner}/sales/revert`).send({ to: shas[0] });
    expect(noop.body).toMatchObject({ changed: false, revision: { sha: reverted.body.revision.sha } });
    const unknown = await api.post(`/api/v1/datasets/${owner}/sales/revert`).send({ to: 'no-such-tag' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('REF_NOT_FOUND');
  });
});
