import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { describeDatasetStorageContract, uniqueOwner } from '@metastore/storage/testing';
import type { DatasetId } from '@metastore/storage';
import { startGitHubTestServer, type GitHubTestServer, type GitHubTestServerOptions, type RecordedRequest } from '../testing';
import { GitHubStorage } from './github.adapter';
import { parseGitHubStorageConfig } from './github.config';

const APP_ID = 424242;

/** A GitHub App key pair in the format GitHub hands out (PKCS#1 PEM). */
function rsaKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}

const appKey = rsaKeyPair();

function startServer(options: GitHubTestServerOptions = {}): Promise<GitHubTestServer> {
  return startGitHubTestServer({ apps: [{ id: APP_ID, publicKeyPem: appKey.publicKey }], ...options });
}

/** Storage authenticated as the App; the key is passed with `\n` escapes, as environment variables carry it. */
function appStorage(server: GitHubTestServer, extra: Record<string, string> = {}, privateKey = appKey.privateKey): GitHubStorage {
  return new GitHubStorage(
    parseGitHubStorageConfig({
      GITHUB_API_URL: server.url,
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n'),
      GITHUB_WRITE_INTERVAL_MS: '0',
      GITHUB_RETRY_BASE_MS: '5',
      ...extra,
    }),
  );
}

const isAppEndpoint = (request: RecordedRequest) => / \/app(\/|$)| \/(orgs|users)\/\{[a-z]+\}\/installation$/.test(request.path);

/** The installation token each repository call carried (fails on any other credential). */
function installationTokensUsed(requests: readonly RecordedRequest[]): string[] {
  return requests
    .filter((request) => !isAppEndpoint(request))
    .map((request) => {
      if (request.credential.type !== 'installation')
        throw new Error(`${request.path} was sent with a ${request.credential.type} credential`);
      return request.credential.token;
    });
}

describeDatasetStorageContract('github, authenticated as a GitHub App installation', async () => {
  const server = await startServer();
  return {
    storage: appStorage(server, { GITHUB_OWNERS: 'acme,open-data' }),
    configuredOwners: ['acme', 'open-data'],
    teardown: async () => {
      expect(server.violations).toEqual([]);
      // Every repository call of the suite went out with an installation token the server issued.
      const issued = new Set(server.installationTokens.map((token) => token.token));
      const used = installationTokensUsed(server.requests);
      expect(used.length).toBeGreaterThan(0);
      expect(used.every((token) => issued.has(token))).toBe(true);
      await server.close();
    },
  };
});

const author = { name: 'Ada', email: 'ada@example.com' };
const files = [{ path: 'datapackage.json', content: '{"name":"set"}' }];

describe('GitHubStorage with GitHub App authentication', () => {
  let server: GitHubTestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(() => expect(server.violations).toEqual([]));
  afterAll(() => server.close());

  it('looks up each owner’s installation once, with the App JWT, and calls each owner’s repositories with that installation’s token', async () => {
    server.resetRequests();
    const storage = appStorage(server);
    const first: DatasetId = { owner: uniqueOwner('app'), name: 'one' };
    const second: DatasetId = { owner: uniqueOwner('app'), name: 'two' };
    const { sha } = await storage.createDataset(first, { files, message: 'c', author });
    await storage.commit(first, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'next', author });
    await storage.createDataset(second, { files, message: 'c', author });
    await storage.createDataset({ owner: first.owner, name: 'three' }, { files, message: 'c', author });
    expect((await storage.listDatasets(first.owner, { limit: 10 })).items).toEqual(['one', 'three']);

    const lookups = server.requests.filter((request) => request.path === 'GET /orgs/{org}/installation');
    expect(lookups).toHaveLength(2);
    const minted = server.requests.filter((request) => request.path === 'POST /app/installations/{installation_id}/access_tokens');
    expect(minted).toHaveLength(2);
    for (const request of [...lookups, ...minted]) expect(request.credential).toEqual({ type: 'app-jwt', appId: APP_ID });

    const tokens = server.installationTokens;
    expect(tokens).toHaveLength(2);
    expect(tokens[0]!.installationId).not.toBe(tokens[1]!.installationId);
    const used = new Set(installationTokensUsed(server.requests));
    expect(used).toEqual(new Set(tokens.map((token) => token.token)));
    expect(tokens.every((token) => /^ghs_[A-Za-z0-9]{36}$/.test(token.token))).toBe(true);
  });

  it('finds a user account’s installation through /users/{username}/installation when the owner is GITHUB_USER', async () => {
    // A dataset in the user's own account, made with a personal access token (installation tokens cannot create user repositories).
    const personal = new GitHubStorage(
      parseGitHubStorageConfig({
        GITHUB_API_URL: server.url,
        GITHUB_TOKEN: 'ghp_personal',
        GITHUB_USER: 'metastore-test',
        GITHUB_WRITE_INTERVAL_MS: '0',
      }),
    );
    const id: DatasetId = { owner: 'metastore-test', name: `app-user-${Date.now()}` };
    const { sha } = await personal.createDataset(id, { files, message: 'c', author });
    server.resetRequests();
    const storage = appStorage(server, { GITHUB_USER: 'metastore-test' });
    expect(await storage.readFile(id, sha, 'datapackage.json')).toBe('{"name":"set"}');
    expect((await storage.listDatasets('metastore-test', { limit: 100 })).items).toContain(id.name);
    expect(server.requests.filter((request) => request.path === 'GET /users/{username}/installation')).toHaveLength(1);
    expect(server.requests.some((request) => request.path === 'GET /orgs/{org}/installation')).toBe(false);
    // GitHub only lets users create repositories in their own account.
    await expect(
      storage.createDataset({ owner: 'metastore-test', name: `by-app-${Date.now()}` }, { files, message: 'c', author }),
    ).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringContaining('Resource not accessible by integration'),
    });
  });

  it('reports an owner the App is not installed on: reads find no dataset, listings are empty, creates say why', async () => {
    const local = await startServer({ apps: [{ id: APP_ID, publicKeyPem: appKey.publicKey, installedOn: ['installed-org'] }] });
    try {
      const storage = appStorage(local);
      const id: DatasetId = { owner: 'elsewhere', name: 'set' };
      await expect(storage.createDataset(id, { files, message: 'c', author })).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
        message: expect.stringContaining('the GitHub App is not installed on elsewhere'),
      });
      await expect(storage.resolveRef(id)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
      await expect(storage.readFile(id, 'a'.repeat(40), 'datapackage.json')).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
      expect(await storage.listDatasets('elsewhere', { limit: 10 })).toEqual({ items: [] });
      await storage.createDataset({ owner: 'installed-org', name: 'set' }, { files, message: 'c', author });
      expect(local.violations).toEqual([]);
    } finally {
      await local.close();
    }
  });

  it('fails with a clear STORAGE_UNAVAILABLE error when the private key is not the App’s, and never shows key material', async () => {
    const wrongKey = rsaKeyPair().privateKey;
    const storage = appStorage(server, {}, wrongKey);
    const id: DatasetId = { owner: uniqueOwner('app'), name: 'wrong-key' };
    const failure = await storage.createDataset(id, { files, message: 'c', author }).then(
      () => undefined,
      (error: unknown) => error as Error & { code: string; cause?: Error & { status?: number } },
    );
    expect(failure).toMatchObject({ code: 'STORAGE_UNAVAILABLE', cause: { name: 'GitHubApiError', status: 401 } });
    expect(failure?.message).toContain('A JSON web token could not be decoded');
    expect(failure?.message).toContain(`does the private key belong to App ${APP_ID}?`);
    await expect(storage.checkReady()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    const keyLines = [...wrongKey.split('\n').slice(1, -2), ...appKey.privateKey.split('\n').slice(1, -2)];
    const shown = [failure?.message, failure?.cause?.message, JSON.stringify(failure, Object.getOwnPropertyNames(failure ?? {}))].join(
      '\n',
    );
    expect(shown).not.toContain('PRIVATE KEY');
    for (const line of keyLines) expect(shown).not.toContain(line);
    expect(await appStorage(server).checkReady()).toBeUndefined();
  });

  it('refreshes an installation token that GitHub expired and carries on with the new one', async () => {
    const shortLived = await startServer({ installationTokenLifetimeSeconds: 5 });
    try {
      const storage = appStorage(shortLived);
      const id: DatasetId = { owner: uniqueOwner('app'), name: 'refresh' };
      const { sha } = await storage.createDataset(id, { files, message: 'c', author });
      expect(shortLived.installationTokens).toHaveLength(1);
      const [first] = shortLived.installationTokens;
      // Past the token's expiry, and past auth-app's 5-second grace for tokens that have not replicated yet.
      await delay(Math.max(0, first!.expiresAt - Date.now()) + 500);
      shortLived.resetRequests();
      const next = await storage.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'after expiry', author });
      expect(next.parents).toEqual([sha]);
      expect(shortLived.installationTokens).toHaveLength(2);
      const second = shortLived.installationTokens[1]!;
      const rejected = shortLived.requests.filter((request) => request.status === 401);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]!.credential).toMatchObject({ type: 'installation', token: first!.token });
      const afterRefresh = shortLived.requests
        .slice(shortLived.requests.indexOf(rejected[0]!) + 1)
        .filter((request) => !isAppEndpoint(request));
      expect(afterRefresh.length).toBeGreaterThan(0);
      expect(new Set(installationTokensUsed(afterRefresh))).toEqual(new Set([second.token]));
      expect(shortLived.violations).toEqual([]);
    } finally {
      await shortLived.close();
    }
  }, 30_000);

  it('lets auth-app replace a token before GitHub’s hour is up, without a single 401', async () => {
    const storage = appStorage(server);
    const id: DatasetId = { owner: uniqueOwner('app'), name: 'hour' };
    const { sha } = await storage.createDataset(id, { files, message: 'c', author });
    const before = server.installationTokens.length;
    // Only Date is faked (auth-app's cache and the server both read it); timers and I/O stay real.
    jest.useFakeTimers({
      advanceTimers: true,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      jest.setSystemTime(Date.now() + 59.5 * 60_000);
      server.resetRequests();
      await storage.commit(id, { parent: sha, changes: [{ path: 'x.txt', content: 'x' }], message: 'an hour later', author });
    } finally {
      jest.useRealTimers();
    }
    expect(server.installationTokens).toHaveLength(before + 1);
    expect(server.requests.some((request) => request.status === 401)).toBe(false);
    expect(new Set(installationTokensUsed(server.requests))).toEqual(new Set([server.installationTokens[before]!.token]));
  });
});
