import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { MAX_SCOPED_TOKEN_SECONDS } from '../openapi/schemas';
import { expectDocumented, startTestServer, type TestServer } from '../testing/test-server';

const git = promisify(execFile);
const descriptor = (name: string) => ({ name, resources: [{ name: 'main', path: 'main.csv' }] });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const mergePatch = { 'Content-Type': 'application/merge-patch+json' };

describe('POST /tokens: scoped tokens are structured, never beyond their minter, and act as their own party', () => {
  let server: TestServer;
  /** An admin of acme only, with a name and email of her own. */
  let alice: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    for (const name of ['x', 'y'])
      expect(
        (
          await server
            .http()
            .post('/api/v1/datasets')
            .send({ owner: 'acme', name, descriptor: descriptor(name) })
        ).status,
      ).toBe(201);
    expect(
      (
        await server
          .http()
          .post('/api/v1/datasets')
          .send({ owner: 'other', name: 'secret', descriptor: descriptor('secret') })
      ).status,
    ).toBe(201);
    alice = bearer(server.tokenFor({ sub: 'alice', name: 'Alice Example', email: 'alice@example.com', roles: { acme: 'admin' } }));
  });
  afterAll(() => server.close());

  const mint = (headers: Record<string, string>, body: object) => request(server.baseUrl).post('/api/v1/tokens').set(headers).send(body);

  it('refuses the issue-9 attack (scope syntax in the name) with 400 and pointers, and mints nothing', async () => {
    const attack = await mint(alice, { owner: 'acme', name: 'x:read obj:*/*:admin obj:acme/y', actions: ['read'] });
    expect(attack.status).toBe(400);
    expect(attack.body.code).toBe('VALIDATION_FAILED');
    expect(attack.body.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/name']);
    expect(attack.body.token).toBeUndefined();
    expectDocumented('POST', '/tokens', attack);
    for (const body of [
      { owner: 'acme*', actions: ['read'] },
      { owner: '*', name: '*', actions: ['admin'] },
      { owner: 'acme', name: 'x y', actions: ['read'] },
      { owner: 'acme', name: 'x:admin', actions: ['read'] },
      { owner: 'acme obj:*/*:admin', actions: ['read'] },
    ]) {
      const refused = await mint(alice, body);
      expect({ body, status: refused.status, code: refused.body.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
  });

  it('mints a token living MAX_SCOPED_TOKEN_SECONDS, and refuses a longer life with 400', async () => {
    const longest = await mint(alice, { owner: 'acme', name: 'x', actions: ['read'], expiresIn: MAX_SCOPED_TOKEN_SECONDS });
    expect(longest.status).toBe(201);
    const claims = jwt.decode(longest.body.token) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(MAX_SCOPED_TOKEN_SECONDS);
    const longer = await mint(alice, { owner: 'acme', name: 'x', actions: ['read'], expiresIn: MAX_SCOPED_TOKEN_SECONDS + 1 });
    expect(longer.status).toBe(400);
    expect(longer.body.code).toBe('VALIDATION_FAILED');
    expect(longer.body.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/expiresIn']);
  });

  it('mints a token whose claims carry the scopes as a JSON array, the minter as subject and the bot as actor', async () => {
    const minted = await mint(alice, { owner: 'acme', name: 'x', actions: ['read', 'tag'], actor: 'ci-nightly', expiresIn: 600 });
    expect(minted.status).toBe(201);
    expectDocumented('POST', '/tokens', minted);
    expect(minted.body).toMatchObject({ scopes: ['obj:acme/x:read', 'obj:acme/x:tag'], subject: 'alice', actor: 'ci-nightly' });
    const claims = jwt.decode(minted.body.token) as Record<string, unknown>;
    expect(claims).toMatchObject({
      sub: 'alice',
      name: 'Alice Example',
      act: { sub: 'ci-nightly' },
      scopes: ['obj:acme/x:read', 'obj:acme/x:tag'],
    });
    expect(claims).not.toHaveProperty('scope');
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('roles');

    const token = bearer(minted.body.token);
    expect((await request(server.baseUrl).get('/api/v1/datasets/acme/x').set(token)).status).toBe(200);
    expect((await request(server.baseUrl).get('/api/v1/datasets/acme/y').set(token)).status).toBe(404);
    expect((await request(server.baseUrl).get('/api/v1/datasets/other/secret').set(token)).status).toBe(404);
    expect((await request(server.baseUrl).delete('/api/v1/datasets/acme/x').set(token)).status).toBe(403);
    expect((await request(server.baseUrl).get('/api/v1/events').set(token)).status).toBe(403);
  });

  it('writes as the bot on behalf of the minter, in the API and in git, never as the minter alone', async () => {
    const minted = await mint(alice, { owner: 'acme', name: 'y', actions: ['read', 'write', 'tag'], actor: 'ci-nightly' });
    const token = bearer(minted.body.token);
    const expected = { name: 'ci-nightly (on behalf of Alice Example)', email: 'ci-nightly@tokens.metastore.invalid' };

    const written = await request(server.baseUrl).patch('/api/v1/datasets/acme/y').set(token).set(mergePatch).send({ title: 'by the bot' });
    expect(written.status).toBe(200);
    expect(written.body.revision.author).toEqual(expected);
    const tagged = await request(server.baseUrl).post('/api/v1/datasets/acme/y/tags').set(token).send({ name: 'nightly-1' });
    expect(tagged.status).toBe(201);
    expect(tagged.body.author).toEqual(expected);
    // Naming the minter as author is writing as another author: admin only, which this token is not.
    const asAlice = await request(server.baseUrl)
      .post('/api/v1/datasets/acme/y/tags')
      .set(token)
      .send({ name: 'nightly-2', author: { name: 'Alice Example', email: 'alice@example.com' } });
    expect(asAlice.status).toBe(403);

    const repository = path.join(server.dataDir, 'repositories', 'acme', 'y.git');
    const { stdout: commit } = await git('git', ['--git-dir', repository, 'log', '-1', '--format=%an <%ae>', 'main']);
    expect(commit.trim()).toBe('ci-nightly (on behalf of Alice Example) <ci-nightly@tokens.metastore.invalid>');
    const { stdout: tagger } = await git('git', [
      '--git-dir',
      repository,
      'for-each-ref',
      '--format=%(taggername) %(taggeremail)',
      'refs/tags/nightly-1',
    ]);
    expect(tagger.trim()).toBe('ci-nightly (on behalf of Alice Example) <ci-nightly@tokens.metastore.invalid>');
  });

  it('lets a minted token revoke only tokens of its own delegation, never the real principal named like its actor, nor its minter', async () => {
    const minted = await mint(alice, { owner: 'acme', name: 'x', actions: ['read'], actor: 'ci-nightly' });
    const sibling = await mint(alice, { owner: 'acme', name: 'x', actions: ['read'], actor: 'ci-nightly' });
    const token = bearer(minted.body.token);
    const realBot = server.tokenFor({ sub: 'ci-nightly', roles: { acme: 'reader' } });
    const aliceOwn = server.tokenFor({ sub: 'alice', scope: 'obj:acme/x:read' });
    const revoke = (headers: Record<string, string>, target: string) =>
      request(server.baseUrl).post('/api/v1/tokens/revoke').set(headers).send({ token: target });

    expect((await revoke(token, realBot)).status).toBe(403);
    expect((await revoke(token, aliceOwn)).status).toBe(403);
    expect((await request(server.baseUrl).get('/api/v1/datasets/acme/x').set(bearer(realBot))).status).toBe(200);
    expect((await request(server.baseUrl).get('/api/v1/datasets/acme/x').set(bearer(aliceOwn))).status).toBe(200);
    // The real ci-nightly cannot revoke the minted one either: it is not its holder, and administers nothing.
    expect((await revoke(bearer(realBot), minted.body.token)).status).toBe(403);

    expect((await revoke(token, sibling.body.token)).status).toBe(204);
    expect((await revoke(token, minted.body.token)).status).toBe(204);
    expect((await request(server.baseUrl).get('/api/v1/datasets/acme/x').set(token)).status).toBe(401);
  });

  it('lets the minter revoke what it minted on its behalf, without admin rights over it', async () => {
    const dataAdmin = bearer(server.tokenFor({ sub: 'dana', scope: 'obj:acme/x:admin' }));
    const minted = await mint(dataAdmin, { owner: 'acme', name: 'x', actions: ['read'], actor: 'loader' });
    expect(minted.status).toBe(201);
    const reader = bearer(server.tokenFor({ sub: 'dana', scope: 'obj:acme/y:read' }));
    expect((await request(server.baseUrl).post('/api/v1/tokens/revoke').set(reader).send({ token: minted.body.token })).status).toBe(204);
  });

  it('refuses a subject of the minter’s choosing: the field is gone, the subject is always the minter', async () => {
    const refused = await mint(alice, { owner: 'acme', name: 'x', actions: ['read'], subject: 'ci-nightly' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ pointer: '/subject', message: 'is not allowed' }]);
  });
});

describe('POST /tokens: a minted token has a write budget of its own', () => {
  it('never shares the rate-limit bucket of its minter or of the real principal named like its actor', async () => {
    const server = await startTestServer({ METASTORE_WRITE_RATE_LIMIT: '3' });
    try {
      const alice = bearer(server.tokenFor({ sub: 'alice', name: 'Alice', roles: { acme: 'admin' } }));
      const realBot = bearer(server.tokenFor({ sub: 'ci-nightly', roles: { acme: 'editor' } }));
      const minted = await request(server.baseUrl)
        .post('/api/v1/tokens')
        .set(alice)
        .send({ owner: 'acme', actions: ['write'], actor: 'ci-nightly' });
      expect(minted.status).toBe(201);
      const bot = bearer(minted.body.token);
      const create = (headers: Record<string, string>, name: string) =>
        request(server.baseUrl)
          .post('/api/v1/datasets')
          .set(headers)
          .send({ owner: 'acme', name, descriptor: descriptor(name) });

      const realStatuses = [];
      for (const name of ['r1', 'r2', 'r3', 'r4']) realStatuses.push((await create(realBot, name)).status);
      expect(realStatuses).toEqual([201, 201, 201, 429]);
      const botStatuses = [];
      for (const name of ['b1', 'b2', 'b3', 'b4']) botStatuses.push((await create(bot, name)).status);
      expect(botStatuses).toEqual([201, 201, 201, 429]);
      // Alice spent one write on minting; the bot's three are not hers.
      expect((await create(alice, 'a1')).status).toBe(201);
    } finally {
      await server.close();
    }
  });
});

describe('POST /tokens on an installation that verifies with a JWKS only', () => {
  let jwks: Server;
  let server: TestServer;
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    jwks = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    server = await startTestServer({ METASTORE_JWT_SECRET: '', METASTORE_JWT_JWKS_URL: url });
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  });

  it('answers 501 TOKEN_MINTING_UNAVAILABLE (documented), not a 500', async () => {
    const admin = jwt.sign({ sub: 'idp-admin', roles: { '*': 'admin' } }, keys.privateKey, {
      algorithm: 'RS256',
      keyid: 'k1',
      issuer: 'metastore',
      audience: 'metastore',
      expiresIn: 300,
    });
    expect((await request(server.baseUrl).get('/api/v1/datasets').set(bearer(admin))).status).toBe(200);
    const refused = await request(server.baseUrl)
      .post('/api/v1/tokens')
      .set(bearer(admin))
      .send({ owner: 'acme', actions: ['read'] });
    expect(refused.status).toBe(501);
    expect(refused.body).toMatchObject({ code: 'TOKEN_MINTING_UNAVAILABLE', type: 'urn:metastore:problem:token-minting-unavailable' });
    expect(refused.body.detail).toMatch(/identity provider/);
    expectDocumented('POST', '/tokens', refused);
  });
});
