import { generateKeyPairSync } from 'node:crypto';
import { parseGitHubStorageConfig } from './github.config';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const TOKEN = 'ghp_secretTokenValue0123456789';
const keyBody = privateKey.split('\n')[1]!;

/** The message of the ConfigurationError `values` raise. */
function problem(values: Record<string, string | undefined>): string {
  try {
    parseGitHubStorageConfig(values);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIGURATION_INVALID' });
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseGitHubStorageConfig: authentication', () => {
  it('takes a personal access token', () => {
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN }).auth).toEqual({ type: 'token', token: TOKEN });
  });

  it('takes a GitHub App ID and private key, with real newlines or with \\n escapes', () => {
    const withNewlines = parseGitHubStorageConfig({ GITHUB_APP_ID: '12345', GITHUB_APP_PRIVATE_KEY: privateKey });
    expect(withNewlines.auth).toEqual({ type: 'app', appId: 12345, privateKey: privateKey.trim() });
    const escaped = parseGitHubStorageConfig({ GITHUB_APP_ID: '12345', GITHUB_APP_PRIVATE_KEY: privateKey.replace(/\n/g, '\\n') });
    expect(escaped.auth).toEqual(withNewlines.auth);
    // An empty variable counts as unset.
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: '', GITHUB_APP_ID: '12345', GITHUB_APP_PRIVATE_KEY: privateKey }).auth.type).toBe(
      'app',
    );
  });

  it('wants exactly one way to authenticate, and never echoes a secret', () => {
    const both = problem({ GITHUB_TOKEN: TOKEN, GITHUB_APP_ID: '12345', GITHUB_APP_PRIVATE_KEY: privateKey });
    expect(both).toMatch(/GITHUB_TOKEN and GITHUB_APP_ID\/GITHUB_APP_PRIVATE_KEY are both set/);
    const none = problem({});
    expect(none).toContain('GITHUB_TOKEN');
    expect(none).toContain('GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY');
    expect(problem({ GITHUB_APP_ID: '12345' })).toBe('GITHUB_APP_PRIVATE_KEY: required with GITHUB_APP_ID');
    expect(problem({ GITHUB_APP_PRIVATE_KEY: privateKey })).toBe('GITHUB_APP_ID: required with GITHUB_APP_PRIVATE_KEY');
    for (const message of [both, problem({ GITHUB_TOKEN: TOKEN, GITHUB_APP_PRIVATE_KEY: privateKey })]) {
      expect(message).not.toContain(TOKEN);
      expect(message).not.toContain(keyBody);
    }
  });

  it('names a malformed App ID or key without showing it', () => {
    const badKey = `-----BEGIN RSA PRIVATE KEY-----\\n${keyBody.slice(0, 40)}\\n-----END RSA PRIVATE KEY-----`;
    const message = problem({ GITHUB_APP_ID: 'my-app', GITHUB_APP_PRIVATE_KEY: badKey, GITHUB_TOPIC: 'Bad Topic' });
    expect(message).toContain("GITHUB_APP_ID: must be the GitHub App's numeric App ID");
    expect(message).toContain('GITHUB_APP_PRIVATE_KEY: not a PEM-encoded RSA private key');
    expect(message).toContain('GITHUB_TOPIC');
    expect(message).not.toContain(keyBody.slice(0, 40));
    expect(message).not.toContain('my-app');
    const { publicKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(problem({ GITHUB_APP_ID: '1', GITHUB_APP_PRIVATE_KEY: publicKey })).toContain('not a PEM-encoded RSA private key');
  });
});

describe('parseGitHubStorageConfig: owners to reconcile', () => {
  it('reads GITHUB_OWNERS as a comma-separated list and adds GITHUB_USER', () => {
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN }).owners).toEqual([]);
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN, GITHUB_OWNERS: ' acme, open-data ,,acme' }).owners).toEqual([
      'acme',
      'open-data',
    ]);
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN, GITHUB_OWNERS: 'acme', GITHUB_USER: 'octocat' }).owners).toEqual([
      'acme',
      'octocat',
    ]);
  });

  it('treats every empty variable as unset (compose files carry NAME=)', () => {
    const config = parseGitHubStorageConfig({
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: '',
      GITHUB_USER: '',
      GITHUB_OWNERS: '',
      GITHUB_TOPIC: '',
      GITHUB_LFS_URL: '',
    });
    expect(config).toMatchObject({ apiUrl: 'https://api.github.com', owners: [], topic: 'metastore-dataset' });
    expect(config).not.toHaveProperty('userLogin');
    expect(config).not.toHaveProperty('lfsUrl');
  });

  it('refuses an owner that is not a GitHub login', () => {
    expect(problem({ GITHUB_TOKEN: TOKEN, GITHUB_OWNERS: 'acme,not/a-login' })).toContain('GITHUB_OWNERS: must be a comma-separated list');
  });
});

describe('parseGitHubStorageConfig: waiting for rate limits', () => {
  it('waits at most 10 s by default, or what the base or GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS says', () => {
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN }).maxRateLimitWaitSeconds).toBe(10);
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN }, { maxRateLimitWaitSeconds: 600 }).maxRateLimitWaitSeconds).toBe(600);
    expect(
      parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN, GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS: '0' }, { maxRateLimitWaitSeconds: 600 })
        .maxRateLimitWaitSeconds,
    ).toBe(0);
    expect(parseGitHubStorageConfig({ GITHUB_TOKEN: TOKEN, GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS: '' }).maxRateLimitWaitSeconds).toBe(10);
  });

  it('refuses a wait that is not a whole number of seconds up to an hour', () => {
    for (const value of ['-1', '1.5', '3601', 'soon']) {
      expect(problem({ GITHUB_TOKEN: TOKEN, GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS: value })).toContain('GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS');
    }
  });
});
