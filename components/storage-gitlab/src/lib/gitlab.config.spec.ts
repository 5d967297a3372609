import { parseGitLabStorageConfig } from './gitlab.config';

const TOKEN = 'glpat-secretTokenValue0123456789';

/** The message of the ConfigurationError `values` raise. */
function problem(values: Record<string, string | undefined>): string {
  try {
    parseGitLabStorageConfig(values);
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIGURATION_INVALID' });
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseGitLabStorageConfig', () => {
  it('defaults to gitlab.com, private projects on main, the metastore-dataset topic and the API wait of 10 s', () => {
    expect(parseGitLabStorageConfig({ GITLAB_TOKEN: TOKEN })).toEqual({
      url: 'https://gitlab.com',
      auth: { type: 'token', token: TOKEN },
      owners: [],
      visibility: 'private',
      defaultBranch: 'main',
      topic: 'metastore-dataset',
      retryBaseMs: 1000,
      maxRetries: 3,
      maxRateLimitWaitSeconds: 10,
      cacheEntries: 10_000,
      requestTimeoutMs: 30_000,
    });
  });

  it('takes an access token (PRIVATE-TOKEN) or an OAuth token (Bearer), exactly one, and never echoes either', () => {
    expect(parseGitLabStorageConfig({ GITLAB_OAUTH_TOKEN: TOKEN }).auth).toEqual({ type: 'oauth', token: TOKEN });
    // An empty variable counts as unset.
    expect(parseGitLabStorageConfig({ GITLAB_TOKEN: '', GITLAB_OAUTH_TOKEN: TOKEN }).auth.type).toBe('oauth');
    const both = problem({ GITLAB_TOKEN: TOKEN, GITLAB_OAUTH_TOKEN: TOKEN });
    expect(both).toContain('GITLAB_TOKEN and GITLAB_OAUTH_TOKEN are both set');
    expect(both).not.toContain(TOKEN);
    expect(problem({})).toContain('STORAGE=gitlab needs credentials');
    const bad = problem({ GITLAB_TOKEN: TOKEN, GITLAB_URL: 'not a url', GITLAB_VISIBILITY: 'secret' });
    expect(bad).toContain('GITLAB_URL');
    expect(bad).toContain('GITLAB_VISIBILITY');
    expect(bad).not.toContain(TOKEN);
  });

  it('takes a nested root group and a list of owners, which are single path segments (never acme/sub)', () => {
    const config = parseGitLabStorageConfig({
      GITLAB_TOKEN: TOKEN,
      GITLAB_URL: 'https://gitlab.example.com/',
      GITLAB_ROOT_GROUP: '/org/metastore/',
      GITLAB_OWNERS: ' zeta, acme ,acme',
    });
    expect(config).toMatchObject({ url: 'https://gitlab.example.com', rootGroup: 'org/metastore', owners: ['acme', 'zeta'] });
    expect(problem({ GITLAB_TOKEN: TOKEN, GITLAB_OWNERS: 'acme/sub' })).toContain('GITLAB_OWNERS');
    expect(problem({ GITLAB_TOKEN: TOKEN, GITLAB_ROOT_GROUP: 'org/-bad' })).toContain('GITLAB_ROOT_GROUP');
    expect(problem({ GITLAB_TOKEN: TOKEN, GITLAB_ROOT_GROUP: 'org/x.git' })).toContain('GITLAB_ROOT_GROUP');
  });

  it('lets a base choose the rate-limit wait, and the variable override it', () => {
    expect(parseGitLabStorageConfig({ GITLAB_TOKEN: TOKEN }, { maxRateLimitWaitSeconds: 600 }).maxRateLimitWaitSeconds).toBe(600);
    const explicit = parseGitLabStorageConfig(
      { GITLAB_TOKEN: TOKEN, GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS: '5' },
      { maxRateLimitWaitSeconds: 600 },
    );
    expect(explicit.maxRateLimitWaitSeconds).toBe(5);
    expect(problem({ GITLAB_TOKEN: TOKEN, GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS: '-1' })).toContain('GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS');
  });
});
