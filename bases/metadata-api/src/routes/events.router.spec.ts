import request from 'supertest';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const descriptor = (name: string) => ({ name, resources: [{ name: 'main', path: 'main.csv' }] });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('GET /events?owner=: an owner-wide reader follows that owner’s feed', () => {
  let server: TestServer;
  /** Every event in the whole feed, as an instance-wide admin reads it: [sequence, subject]. */
  let whole: [string, string][];

  beforeAll(async () => {
    server = await startTestServer();
    // Interleaved owners, and an owner whose name starts like another's (acme-corp beside acme).
    for (const [owner, name] of [
      ['acme', 'x'],
      ['other', 'secret'],
      ['acme-corp', 'z'],
      ['acme', 'y'],
    ] as const) {
      const created = await server
        .http()
        .post('/api/v1/datasets')
        .send({ owner, name, descriptor: descriptor(name) });
      expect(created.status).toBe(201);
    }
    expect((await server.http().post('/api/v1/datasets/acme/x/tags').send({ name: 'v1', ref: 'main' })).status).toBe(201);
    const all = await server.http().get('/api/v1/events?limit=1000');
    whole = all.body.items.map((stored: { sequence: string; event: { subject: string } }) => [stored.sequence, stored.event.subject]);
  });
  afterAll(() => server.close());

  const feed = (headers: Record<string, string>, query: string) => request(server.baseUrl).get(`/api/v1/events${query}`).set(headers);
  const subjects = (response: request.Response) =>
    response.body.items.map((stored: { event: { subject: string } }) => stored.event.subject);

  it.each([
    ['an admin of acme', { roles: { acme: 'admin' } }],
    ['a reader of acme', { roles: { acme: 'reader' } }],
    ['a token with read on acme/*', { scopes: ['obj:acme/*:read'] }],
  ])('gives %s the events of acme only, oldest first, and documented', async (_label, claims) => {
    const response = await feed(bearer(server.tokenFor({ sub: 'alice', ...claims })), '?owner=acme');
    expect(response.status).toBe(200);
    expectDocumented('GET', '/events', response);
    expect(subjects(response)).toEqual(['acme/x', 'acme/y', 'acme/x']);
    expect(response.body.items.map((stored: { event: { type: string } }) => stored.event.type)).toEqual([
      'dataset.created',
      'dataset.created',
      'tag.created',
    ]);
    expect(response.body.items.map((stored: { sequence: string }) => stored.sequence)).toEqual(
      whole.filter(([, subject]) => subject.startsWith('acme/')).map(([sequence]) => sequence),
    );
  });

  it('pages the owner’s feed, and resumes it from a cursor of the whole feed', async () => {
    const alice = bearer(server.tokenFor({ sub: 'alice', roles: { acme: 'admin' } }));
    const first = await feed(alice, '?owner=acme&limit=2');
    expect(subjects(first)).toEqual(['acme/x', 'acme/y']);
    expect(first.body.nextCursor).toBe(first.body.items[1].sequence);
    expect(subjects(await feed(alice, `?owner=acme&after=${first.body.nextCursor}`))).toEqual(['acme/x']);
    // acme-corp's event is in the whole feed only: after it comes acme/y.
    const [corpSequence] = whole.find(([, subject]) => subject === 'acme-corp/z')!;
    expect(subjects(await feed(alice, `?owner=acme&after=${corpSequence}`))).toEqual(['acme/y', 'acme/x']);
    expect(subjects(await feed(alice, `?owner=acme&after=0`))).toEqual(['acme/x', 'acme/y', 'acme/x']);
  });

  it('refuses the whole feed to an owner admin (403), as before', async () => {
    const response = await feed(bearer(server.tokenFor({ sub: 'alice', roles: { acme: 'admin' } })), '');
    expect({ status: response.status, code: response.body.code, detail: response.body.detail }).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      detail: "replay change events needs 'read' on */*",
    });
  });

  it('answers a caller without owner-wide read the same for an owner that exists and one that does not: 403', async () => {
    const callers = {
      'an admin of another owner': { roles: { other: 'admin' } },
      'a reader of one dataset of acme': { scopes: ['obj:acme/x:read'] },
      'an admin of acme-corp': { roles: { 'acme-corp': 'admin' } },
      'a token with write only on acme/*': { scopes: ['obj:acme/*:write'] },
    };
    for (const [label, claims] of Object.entries(callers)) {
      const token = bearer(server.tokenFor({ sub: 'mallory', ...claims }));
      const answers = [];
      for (const owner of ['acme', 'nobody-here']) {
        const response = await feed(token, `?owner=${owner}`);
        answers.push({ label, status: response.status, code: response.body.code, detail: response.body.detail.replace(owner, '<owner>') });
      }
      expect(answers[0]).toEqual({ label, status: 403, code: 'FORBIDDEN', detail: "replay change events needs 'read' on <owner>/*" });
      expect(answers[1]).toEqual(answers[0]);
    }
  });

  it('gives an instance-wide reader any owner’s feed, an empty one for an owner without datasets', async () => {
    const reader = bearer(server.tokenFor({ sub: 'indexer', roles: { '*': 'reader' } }));
    expect(subjects(await feed(reader, '?owner=other'))).toEqual(['other/secret']);
    expect(subjects(await feed(reader, '?owner=acme-corp'))).toEqual(['acme-corp/z']);
    expect((await feed(reader, '?owner=nobody-here')).body).toEqual({ items: [], nextCursor: null });
  });

  it.each(['ACME', 'acme/x', '*', 'acme*', '', '-acme', 'a'.repeat(40), 'acme.git'])(
    'refuses owner=%j with 400 VALIDATION_FAILED at /owner, whoever asks',
    async (owner) => {
      for (const roles of [{ '*': 'admin' }, { acme: 'admin' }, { other: 'reader' }] as Record<string, string>[]) {
        const response = await feed(bearer(server.tokenFor({ sub: 'alice', roles })), `?owner=${encodeURIComponent(owner)}`);
        expect({ status: response.status, code: response.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
        expect(response.body.errors.map((error: { pointer: string }) => error.pointer)).toContain('/owner');
      }
    },
  );

  it('refuses a repeated owner parameter with 400', async () => {
    const response = await feed(bearer(server.tokenFor({ sub: 'alice', roles: { '*': 'admin' } })), '?owner=acme&owner=other');
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('asks anonymous callers for a token', async () => {
    const response = await request(server.baseUrl).get('/api/v1/events?owner=acme');
    expect({ status: response.status, code: response.body.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });
});
