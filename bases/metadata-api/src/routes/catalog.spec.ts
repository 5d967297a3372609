import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { EVENT_SCHEMAS, type MetastoreEvent } from '@metastore/events';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validators = Object.fromEntries(Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]));

function descriptor(name: string, title: string, keywords: string[], description?: string) {
  return {
    name,
    title,
    keywords,
    ...(description ? { description } : {}),
    licenses: [{ name: 'CC-BY-4.0' }],
    resources: [{ name: 'main', path: 'main.csv' }],
  };
}

describe('metadata-api: the catalog (list, search) and the event feed, on PostgreSQL', () => {
  let server: TestServer;
  const api = () => server.http();

  beforeAll(async () => {
    server = await startTestServer();
    const datasets: [string, string, string, string[], string?][] = [
      ['acme', 'rainfall', 'Daily rainfall in Lisbon', ['weather', 'rain'], 'Rain gauge readings, one row per day.'],
      ['acme', 'air', 'Air quality', ['air', 'pollution']],
      ['acme', 'wind', 'Wind speed', ['weather'], 'Anemometer readings near the coast.'],
      ['globex', 'rain-tokyo', 'Tokyo rainfall', ['weather', 'rain']],
      ['globex', 'sales', 'Quarterly sales', ['finance']],
    ];
    for (const [owner, name, title, keywords, text] of datasets) {
      const response = await api()
        .post('/api/v1/datasets')
        .send({ owner, name, descriptor: descriptor(name, title, keywords, text) });
      expect(response.status).toBe(201);
    }
  });
  afterAll(() => server.close());

  const ids = (body: { items: { id: string }[] }) => body.items.map((item) => item.id);

  it('lists every dataset, or one owner’s, in (owner, name) order, with what the catalog indexed', async () => {
    const all = await api().get('/api/v1/datasets');
    expectDocumented('GET', '/datasets', all);
    expect(ids(all.body)).toEqual(['acme/air', 'acme/rainfall', 'acme/wind', 'globex/rain-tokyo', 'globex/sales']);
    expect(all.body.items[1]).toMatchObject({
      title: 'Daily rainfall in Lisbon',
      keywords: ['weather', 'rain'],
      licenses: ['CC-BY-4.0'],
      resourceCount: 1,
      backend: 'local',
    });
    expect(all.body.items[1].headRevision).toMatch(/^[0-9a-f]{40}$/);
    expect(ids((await api().get('/api/v1/datasets?owner=globex')).body)).toEqual(['globex/rain-tokyo', 'globex/sales']);
  });

  it('searches title, description and keywords, filters by keyword and update time, best match first', async () => {
    const rain = await api().get('/api/v1/datasets?q=rainfall');
    expectDocumented('GET', '/datasets', rain);
    expect(ids(rain.body).sort()).toEqual(['acme/rainfall', 'globex/rain-tokyo']);
    expect(ids((await api().get('/api/v1/datasets?q=anemometer')).body)).toEqual(['acme/wind']);
    expect(ids((await api().get(`/api/v1/datasets?q=${encodeURIComponent('rainfall -tokyo')}`)).body)).toEqual(['acme/rainfall']);
    expect(ids((await api().get('/api/v1/datasets?keyword=weather&owner=acme')).body)).toEqual(['acme/rainfall', 'acme/wind']);
    expect(
      ids((await api().get(`/api/v1/datasets?updatedSince=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body),
    ).toEqual([]);
    expect(ids((await api().get('/api/v1/datasets?updatedSince=2000-01-01T00:00:00Z&keyword=finance')).body)).toEqual(['globex/sales']);
  });

  it('pages with a cursor, without repeating or skipping, and refuses a forged cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await api().get(
        `/api/v1/datasets?keyword=weather&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...ids(page.body));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['acme/rainfall', 'acme/wind', 'globex/rain-tokyo']);
    const forged = await api().get('/api/v1/datasets?cursor=bm9wZQ');
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('VALIDATION_FAILED');
    expect((await api().get('/api/v1/datasets?updatedSince=yesterday')).status).toBe(400);
  });

  it('follows every write at once: an update is searchable, a deleted dataset is gone', async () => {
    await api()
      .patch('/api/v1/datasets/acme/air')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ description: 'Nitrogen dioxide hourly means' });
    expect(ids((await api().get('/api/v1/datasets?q=nitrogen')).body)).toEqual(['acme/air']);
    await api()
      .post('/api/v1/datasets')
      .send({ owner: 'acme', name: 'temp', descriptor: descriptor('temp', 'Temporary', ['weather']) });
    expect((await api().delete('/api/v1/datasets/acme/temp')).status).toBe(204);
    expect(ids((await api().get('/api/v1/datasets?owner=acme')).body)).not.toContain('acme/temp');
  });

  it('writes nothing to the catalog or the outbox when the git write fails', async () => {
    const before = (await api().get('/api/v1/events?limit=1000')).body.items.length;
    const duplicate = await api()
      .post('/api/v1/datasets')
      .send({ owner: 'acme', name: 'wind', descriptor: descriptor('wind', 'Another wind', ['other']) });
    expect(duplicate.status).toBe(409);
    const invalid = await api()
      .post('/api/v1/datasets')
      .send({ owner: 'acme', name: 'broken', descriptor: { resources: 'nope' } });
    expect(invalid.status).toBe(400);
    const stale = await api()
      .put('/api/v1/datasets/acme/wind')
      .set('If-Match', `"${'0'.repeat(40)}"`)
      .send(descriptor('wind', 'Stale', []));
    expect(stale.status).toBe(412);
    expect((await api().get('/api/v1/events?limit=1000')).body.items).toHaveLength(before);
    expect(ids((await api().get('/api/v1/datasets?owner=acme')).body)).not.toContain('acme/broken');
    expect((await api().get('/api/v1/datasets?q=another')).body.items).toEqual([]);
  });

  it('replays every change as CloudEvents, in commit order, page by page, each valid against its published schema', async () => {
    const first = await api().get('/api/v1/events?limit=3');
    expectDocumented('GET', '/events', first);
    expect(first.body.items).toHaveLength(3);
    const all: { sequence: string; event: MetastoreEvent }[] = [...first.body.items];
    let after = first.body.nextCursor as string | null;
    while (after) {
      const page: request.Response = await api().get(`/api/v1/events?after=${after}&limit=3`);
      all.push(...page.body.items);
      after = page.body.nextCursor;
    }
    const sequences = all.map((item) => BigInt(item.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(all.map((item) => item.event.id)).size).toBe(all.length);
    for (const { event } of all) {
      const validate = validators[event.type]!;
      expect({ event: event.type, valid: validate(event), errors: validate.errors ?? null }).toEqual({
        event: event.type,
        valid: true,
        errors: null,
      });
    }
    const temp = all.filter((item) => item.event.subject === 'acme/temp').map((item) => item.event);
    expect(temp.map((event) => event.type)).toEqual(['dataset.created', 'dataset.deleted']);
    expect(temp[1]!.data.oldRevision).toBe(temp[0]!.data.newRevision);
    const air = all.filter((item) => item.event.subject === 'acme/air').map((item) => item.event);
    expect(air[1]!.data).toMatchObject({
      changes: { fields: ['description'] },
      descriptor: { description: 'Nitrogen dioxide hourly means' },
    });
    expect((await api().get('/api/v1/events?after=-1')).status).toBe(400);
  });

  it('serves the AsyncAPI description of the stream beside the OpenAPI one', async () => {
    const asyncApi = await api().get('/asyncapi.json');
    expect(asyncApi.status).toBe(200);
    expect(asyncApi.body.asyncapi).toBe('3.0.0');
    expect(JSON.stringify(asyncApi.body)).toContain('dataset.updated');
  });
});
