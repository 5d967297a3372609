import { generateKeyPairSync, sign } from 'node:crypto';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { type GitHubTestServer, startGitHubTestServer } from './github-test-server';

const APP_ID = 31337;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function rsaKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

const appKey = rsaKeyPair();
const otherKey = rsaKeyPair();

/** A JWT signed with `privateKey` (RS256 unless the header says otherwise). */
function jwt(
  claims: Record<string, unknown>,
  privateKey = appKey.privateKey,
  header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' },
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const message = `${encode(header)}.${encode(claims)}`;
  return `${message}.${sign('RSA-SHA256', Buffer.from(message), privateKey).toString('base64url')}`;
}

const now = () => Math.floor(Date.now() / 1000);
const validClaims = () => ({ iat: now() - 30, exp: now() + 540, iss: APP_ID });

describe('GitHub test server: GitHub App authentication', () => {
  let server: GitHubTestServer;
  let sequence = 0;
  const newOrg = () => `app-org-${process.pid}-${++sequence}`;

  beforeAll(async () => {
    server = await startGitHubTestServer({
      apps: [
        { id: APP_ID, publicKeyPem: appKey.publicKey },
        { id: APP_ID + 1, publicKeyPem: otherKey.publicKey, permissions: { contents: 'read', metadata: 'read' } },
      ],
    });
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  async function call(
    method: string,
    path: string,
    authorization?: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(authorization ? { authorization } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>) };
  }

  /** The installation on a new organisation and a fresh token for it. */
  async function installationToken(appJwt = jwt(validClaims())): Promise<{ org: string; installationId: number; token: string }> {
    const org = newOrg();
    const installation = await call('GET', `/orgs/${org}/installation`, `Bearer ${appJwt}`);
    expect(installation.status).toBe(200);
    const installationId = installation.body.id as number;
    const minted = await call('POST', `/app/installations/${installationId}/access_tokens`, `Bearer ${appJwt}`);
    expect(minted.status).toBe(201);
    return { org, installationId, token: minted.body.token as string };
  }

  it('answers the installation of an organisation and of a user, the same one each time, for a verified App JWT', async () => {
    const org = newOrg();
    const first = await call('GET', `/orgs/${org}/installation`, `Bearer ${jwt(validClaims())}`);
    expect(first).toMatchObject({
      status: 200,
      body: { app_id: APP_ID, target_type: 'Organization', account: { login: org, type: 'Organization' }, repository_selection: 'all' },
    });
    expect(first.body.access_tokens_url).toBe(`${server.url}/app/installations/${first.body.id}/access_tokens`);
    expect((await call('GET', `/orgs/${org}/installation`, `Bearer ${jwt(validClaims())}`)).body.id).toBe(first.body.id);
    const user = await call('GET', '/users/metastore-test/installation', `Bearer ${jwt(validClaims())}`);
    expect(user).toMatchObject({ status: 200, body: { target_type: 'User', account: { login: 'metastore-test' } } });
    // A user is not an organisation.
    expect((await call('GET', '/orgs/metastore-test/installation', `Bearer ${jwt(validClaims())}`)).status).toBe(404);
    const app = await call('GET', '/app', `Bearer ${jwt(validClaims())}`);
    expect(app).toMatchObject({
      status: 200,
      body: { id: APP_ID, permissions: { administration: 'write', contents: 'write', metadata: 'read' } },
    });
  });

  it('refuses JWTs GitHub would refuse, with GitHub’s messages', async () => {
    const path = `/orgs/${newOrg()}/installation`;
    const refusal = async (authorization?: string) => {
      const { status, body } = await call('GET', path, authorization);
      return { status, message: body.message };
    };
    const undecodable = { status: 401, message: 'A JSON web token could not be decoded' };
    expect(await refusal()).toEqual(undecodable);
    expect(await refusal('token ghp_personalAccessToken')).toEqual(undecodable);
    expect(await refusal('Bearer not.a.jwt')).toEqual(undecodable);
    expect(await refusal(`Bearer ${jwt(validClaims(), otherKey.privateKey)}`)).toEqual(undecodable);
    expect(await refusal(`Bearer ${jwt(validClaims(), appKey.privateKey, { alg: 'HS256', typ: 'JWT' })}`)).toEqual(undecodable);
    expect(await refusal(`Bearer ${jwt({ ...validClaims(), iss: 999 })}`)).toEqual({ status: 404, message: 'Integration not found' });
    expect(await refusal(`Bearer ${jwt({ ...validClaims(), exp: now() + 3600 })}`)).toEqual({
      status: 401,
      message: "'Expiration time' claim ('exp') is too far in the future",
    });
    expect(await refusal(`Bearer ${jwt({ ...validClaims(), iat: now() - 700, exp: now() - 60 })}`)).toEqual({
      status: 401,
      message: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    });
    expect(await refusal(`Bearer ${jwt({ ...validClaims(), iat: now() + 120 })}`)).toEqual({
      status: 401,
      message: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    });
    // An App's JWT may not mint tokens for another App's installation.
    const { installationId } = await installationToken();
    const foreign = await call(
      'POST',
      `/app/installations/${installationId}/access_tokens`,
      `Bearer ${jwt({ ...validClaims(), iss: APP_ID + 1 }, otherKey.privateKey)}`,
    );
    expect(foreign.status).toBe(404);
  });

  it('issues ghs_ installation tokens that expire after an hour and work on their own account’s repositories only', async () => {
    const before = Date.now();
    const { org, installationId, token } = await installationToken();
    expect(token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const issued = server.installationTokens.find((candidate) => candidate.token === token)!;
    expect(issued).toMatchObject({ installationId, permissions: { administration: 'write', contents: 'write', metadata: 'read' } });
    expect(issued.expiresAt - before).toBeGreaterThanOrEqual(3599_000);
    expect(issued.expiresAt - before).toBeLessThanOrEqual(3601_000);

    server.resetRequests();
    expect((await call('POST', `/orgs/${org}/repos`, `token ${token}`, { name: 'data', auto_init: true, private: true })).status).toBe(201);
    expect((await call('GET', `/repos/${org}/data/git/ref/heads/main`, `token ${token}`)).status).toBe(200);
    // Commits default to the App's bot.
    const commit = await call('GET', `/repos/${org}/data/commits/main`, `token ${token}`);
    expect(commit.status).toBe(200);
    expect(server.requests.map((request) => request.credential)).toEqual(Array(3).fill({ type: 'installation', token, installationId }));

    // Another owner's repositories are invisible; user-only endpoints are refused.
    const other = await installationToken();
    expect((await call('GET', `/repos/${org}/data`, `token ${other.token}`)).status).toBe(404);
    expect((await call('POST', `/orgs/${org}/repos`, `token ${other.token}`, { name: 'intruder' })).status).toBe(403);
    expect((await call('GET', `/orgs/${org}/repos`, `token ${other.token}`)).body).toEqual([]);
    expect(await call('POST', '/user/repos', `token ${token}`, { name: 'mine' })).toMatchObject({
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    expect((await call('GET', '/user', `token ${token}`)).status).toBe(403);
    // Unknown installation tokens are bad credentials; personal tokens are taken as they are and never recorded.
    expect(await call('GET', `/repos/${org}/data`, 'token ghs_unknownTokenThatTheServerNeverIssued000')).toMatchObject({
      status: 401,
      body: { message: 'Bad credentials' },
    });
    server.resetRequests();
    expect((await call('GET', `/repos/${org}/data`, 'token ghp_personal')).status).toBe(200);
    expect(server.requests[0]!.credential).toEqual({ type: 'token' });
  });

  it('limits a token to the App’s permissions and to the ones requested', async () => {
    const readOnlyJwt = jwt({ ...validClaims(), iss: APP_ID + 1 }, otherKey.privateKey);
    const { org, installationId, token } = await installationToken(readOnlyJwt);
    expect(await call('POST', `/orgs/${org}/repos`, `token ${token}`, { name: 'data' })).toMatchObject({
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const tooMuch = await call('POST', `/app/installations/${installationId}/access_tokens`, `Bearer ${readOnlyJwt}`, {
      permissions: { contents: 'write' },
    });
    expect(tooMuch).toMatchObject({ status: 422, body: { message: 'The permissions requested are not granted to this installation.' } });

    const full = await installationToken();
    const narrowed = await call('POST', `/app/installations/${full.installationId}/access_tokens`, `Bearer ${jwt(validClaims())}`, {
      permissions: { metadata: 'read' },
    });
    expect(narrowed).toMatchObject({ status: 201, body: { permissions: { metadata: 'read' } } });
    expect((await call('POST', `/orgs/${full.org}/repos`, `token ${narrowed.body.token as string}`, { name: 'data' })).status).toBe(403);
  });

  it('answers 401 Bad credentials once a token has expired', async () => {
    const shortLived = await startGitHubTestServer({
      apps: [{ id: APP_ID, publicKeyPem: appKey.publicKey }],
      installationTokenLifetimeSeconds: 1,
    });
    try {
      const appJwt = `Bearer ${jwt(validClaims())}`;
      const installation = (await (
        await fetch(`${shortLived.url}/orgs/short/installation`, { headers: { authorization: appJwt } })
      ).json()) as { id: number };
      const minted = await fetch(`${shortLived.url}/app/installations/${installation.id}/access_tokens`, {
        method: 'POST',
        headers: { authorization: appJwt },
      });
      const { token, expires_at: expiresAt } = (await minted.json()) as { token: string; expires_at: string };
      expect(Date.parse(expiresAt)).toBeLessThanOrEqual(Date.now() + 1000);
      expect((await fetch(`${shortLived.url}/orgs/short/repos`, { headers: { authorization: `token ${token}` } })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const expired = await fetch(`${shortLived.url}/orgs/short/repos`, { headers: { authorization: `token ${token}` } });
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { message: string }).message).toBe('Bad credentials');
      expect(shortLived.violations).toEqual([]);
    } finally {
      await shortLived.close();
    }
  });

  it('serves @octokit/auth-app end to end: installation lookup, token, repository calls', async () => {
    const org = newOrg();
    const app = new Octokit({
      baseUrl: server.url,
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: appKey.privateKey },
      log: quiet,
    });
    const { data: installation } = await app.apps.getOrgInstallation({ org });
    const octokit = new Octokit({
      baseUrl: server.url,
      authStrategy: createAppAuth,
      auth: { appId: APP_ID, privateKey: appKey.privateKey, installationId: installation.id },
      log: quiet,
    });
    const { data } = await octokit.repos.createInOrg({ org, name: 'via-auth-app', auto_init: true });
    expect(data.full_name).toBe(`${org}/via-auth-app`);
    const { data: commit } = await octokit.repos.getCommit({ owner: org, repo: 'via-auth-app', ref: 'main' });
    expect(commit.commit.author?.name).toBe(`metastore-test-app-${APP_ID}[bot]`);
  });
});
