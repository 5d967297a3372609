import { startTestServer, type TestServer } from '../testing/test-server';

describe('metadata-api: concurrent writers to one dataset', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  async function listAllRevisions(owner: string, name: string): Promise<{ sha: string; parents: string[] }[]> {
    const response = await server.http().get(`/api/v1/datasets/${owner}/${name}/revisions?limit=100`);
    return response.body.items;
  }

  it('20 concurrent conditional updates on one parent: exactly one succeeds, the rest get 412, no commit is lost', async () => {
    const api = server.http();
    const created = await api
      .post('/api/v1/datasets')
      .send({ owner: 'race', name: 'conditional', descriptor: { name: 'c', resources: [{ name: 'r', path: 'r.csv' }] } });
    const parent = created.body.revision.sha as string;
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, writer) =>
        server
          .http()
          .put('/api/v1/datasets/race/conditional')
          .set('If-Match', `"${parent}"`)
          .send({ name: 'c', title: `writer ${writer}`, resources: [{ name: 'r', path: 'r.csv' }] }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 412)).toHaveLength(19);
    const winner = responses.find((response) => response.status === 200)!;
    const history = await listAllRevisions('race', 'conditional');
    expect(history.map((revision) => revision.sha)).toEqual([winner.body.revision.sha, parent]);
    expect((await api.get('/api/v1/datasets/race/conditional')).body.title).toBe(`writer ${responses.indexOf(winner)}`);
  });

  it('20 concurrent unconditional patches: every one lands as its own commit', async () => {
    const api = server.http();
    await api
      .post('/api/v1/datasets')
      .send({ owner: 'race', name: 'unconditional', descriptor: { name: 'u', resources: [{ name: 'r', path: 'r.csv' }] } });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, writer) =>
        server
          .http()
          .patch('/api/v1/datasets/race/unconditional')
          .set('Content-Type', 'application/merge-patch+json')
          .send(JSON.stringify({ [`field${writer}`]: writer })),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    const history = await listAllRevisions('race', 'unconditional');
    expect(history).toHaveLength(21);
    // A straight line: each revision's parent is the next older one.
    history.slice(0, -1).forEach((revision, index) => expect(revision.parents).toEqual([history[index + 1]!.sha]));
    const final = (await api.get('/api/v1/datasets/race/unconditional')).body;
    for (let writer = 0; writer < 20; writer += 1) expect(final[`field${writer}`]).toBe(writer);
  });
});
