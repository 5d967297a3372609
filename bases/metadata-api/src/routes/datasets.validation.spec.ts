import request from 'supertest';
import { corpusEntries, corpusText } from '@metastore/datasets/testing';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const V1 = { profile: 'data-package', name: 'x', id: 'urn:uuid:x', licenses: [{ name: 'CC0-1.0' }] };
const LEGACY = { ...V1, resources: [{ name: 'a', url: 'https://example.com/a.csv' }] };
const TYPO = {
  ...V1,
  profile: 'tabular-data-package',
  resources: [{ name: 'a', path: 'a.csv', schema: { fields: [{ name: 'x', type: 'strng' }] } }],
};

describe('metadata-api: descriptor validation (codes, strict mode, POST /validate) and numbers as written', () => {
  let server: TestServer;
  let counter = 0;
  let owner: string;

  beforeAll(async () => {
    server = await startTestServer({ METASTORE_PUBLIC_OWNERS: 'public-acme' });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    counter += 1;
    owner = `acme-${counter}`;
  });
  const api = () => server.http();

  it('answers a bad field type with one error carrying its code, pointer and rule', async () => {
    const response = await api().post('/api/v1/datasets').send({ owner, name: 'x', descriptor: TYPO });
    expectDocumented('POST', '/datasets', response);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        pointer: '/descriptor/resources/0/schema/fields/0/type',
        code: 'ENUM',
        rule: 'https://datapackage.org/profiles/1.0/tableschema.json#/properties/fields/items/oneOf/*/properties/type/enum',
        message: expect.stringContaining('"string"'),
      },
    ]);
  });

  it('accepts a common v1 form with its warning code, and refuses it with ?strict=true', async () => {
    const lenient = await api().post('/api/v1/datasets').send({ owner, name: 'lenient', descriptor: LEGACY });
    expectDocumented('POST', '/datasets', lenient);
    expect(lenient.status).toBe(201);
    expect(lenient.body.warnings).toContainEqual(expect.objectContaining({ pointer: '/resources/0/url', code: 'LEGACY_URL_PROPERTY' }));
    const strict = await api().post('/api/v1/datasets?strict=true').send({ owner, name: 'strict', descriptor: LEGACY });
    expectDocumented('POST', '/datasets', strict);
    expect(strict.status).toBe(400);
    expect(strict.body.errors).toEqual([expect.objectContaining({ pointer: '/descriptor/resources/0/url', code: 'LEGACY_URL_PROPERTY' })]);
    const put = await api().put(`/api/v1/datasets/${owner}/lenient?strict=true`).send(LEGACY);
    expectDocumented('PUT', '/datasets/{owner}/{name}', put);
    expect(put.status).toBe(400);
    expect(put.body.errors.map((error: { code: string }) => error.code)).toEqual(['LEGACY_URL_PROPERTY']);
  });

  it('POST /validate answers what a write would, writing nothing', async () => {
    for (const [descriptor, strict] of [
      [TYPO, false],
      [LEGACY, false],
      [LEGACY, true],
    ] as const) {
      const validation = await api()
        .post(`/api/v1/validate${strict ? '?strict=true' : ''}`)
        .send(descriptor);
      expectDocumented('POST', '/validate', validation);
      expect(validation.status).toBe(200);
      const name = `write-${String(strict)}-${descriptor === TYPO ? 'typo' : 'legacy'}`;
      const write = await api()
        .post(`/api/v1/datasets${strict ? '?strict=true' : ''}`)
        .send({ owner, name, descriptor });
      expect(validation.body.valid).toBe(write.status === 201);
      if (write.status === 201) {
        expect(validation.body.errors).toEqual([]);
        expect(validation.body.warnings).toEqual(write.body.warnings);
      } else {
        const unprefixed = write.body.errors.map((error: { pointer: string }) => ({
          ...error,
          pointer: error.pointer.slice('/descriptor'.length),
        }));
        expect(validation.body.errors).toEqual(unprefixed);
      }
    }
    expect((await api().get(`/api/v1/datasets?owner=${owner}`)).body.items).toHaveLength(1);
  });

  it('POST /validate gives every corpus entry its verdict', async () => {
    for (const entry of corpusEntries().filter((_entry, index) => index % 7 === 0)) {
      const validation = await api().post('/api/v1/validate').set('Content-Type', 'application/json').send(corpusText(entry));
      expect([entry.file, validation.body.valid]).toEqual([entry.file, entry.verdict !== 'invalid']);
    }
  });

  it('lets anonymous callers validate only where anonymous reads are on', async () => {
    const anonymous = await request(server.baseUrl).post('/api/v1/validate').send(LEGACY);
    expect(anonymous.status).toBe(200);
    const closed = await startTestServer();
    try {
      const refused = await request(closed.baseUrl).post('/api/v1/validate').send(LEGACY);
      expectDocumented('POST', '/validate', refused);
      expect(refused.status).toBe(401);
    } finally {
      await closed.close();
    }
  });

  it('follows METASTORE_STRICT_VALIDATION unless the request says otherwise', async () => {
    const strictServer = await startTestServer({ METASTORE_STRICT_VALIDATION: 'true' });
    try {
      const refused = await strictServer.http().post('/api/v1/validate').send(LEGACY);
      expect(refused.body).toMatchObject({
        valid: false,
        strict: true,
        errors: [expect.objectContaining({ code: 'LEGACY_URL_PROPERTY' })],
      });
      const lenient = await strictServer.http().post('/api/v1/validate?strict=false').send(LEGACY);
      expect(lenient.body).toMatchObject({ valid: true, strict: false });
    } finally {
      await strictServer.close();
    }
  });

  it('stores numbers as written: create with 1.0, 200.0 and a big integer, read back byte-exact, patch a sibling', async () => {
    const text = `{"owner": "${owner}", "name": "numbers", "descriptor": {"profile": "data-package", "name": "numbers", "version": 1.0, "x": 200.0, "big": 12345678901234567890, "resources": [{"name": "a", "path": "a.csv"}]}}`;
    const created = await api().post('/api/v1/datasets').set('Content-Type', 'application/json').send(text);
    expect(created.status).toBe(201);
    const read = async () =>
      (
        await api()
          .get(`/api/v1/datasets/${owner}/numbers`)
          .buffer(true)
          .parse((res, done) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
            res.on('end', () => done(null, body));
          })
      ).body as string;
    const first = await read();
    expect(first).toContain('"version": 1.0,');
    expect(first).toContain('"x": 200.0,');
    expect(first).toContain('"big": 12345678901234567890,');
    const patched = await api()
      .patch(`/api/v1/datasets/${owner}/numbers`)
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"title": "Numbers", "ratio": 0.50}');
    expect(patched.status).toBe(200);
    const second = await read();
    expect(second).toContain('"version": 1.0,');
    expect(second).toContain('"x": 200.0,');
    expect(second).toContain('"big": 12345678901234567890,');
    expect(second).toContain('"ratio": 0.50');
    const replaced = await api().put(`/api/v1/datasets/${owner}/numbers`).set('Content-Type', 'application/json').send(second);
    expect(replaced.body.changed).toBe(false);
  });
});
