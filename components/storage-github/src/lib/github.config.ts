import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';

/** Settings of the GitHub storage. */
export interface GitHubStorageConfig {
  /** REST API root: https://api.github.com, a GitHub Enterprise `/api/v3` URL, or a test server. */
  readonly apiUrl: string;
  /** A personal access token (classic `repo` scope, or fine-grained: Administration, Contents read/write). */
  readonly token: string;
  /** The login of the token's user, if datasets of that owner live in the user's own account (else owners are organisations). */
  readonly userLogin?: string;
  readonly visibility: 'private' | 'public' | 'internal';
  /** The branch holding each dataset's history. */
  readonly defaultBranch: string;
  /** The topic that marks a repository as a Metastore dataset (listings and deletes only touch these). */
  readonly topic: string;
  /** When set, every dataset repository gets a `.lfsconfig` pointing Git LFS at this server. */
  readonly lfsUrl?: string;
  /** Gap between write requests (GitHub asks for about one second to avoid secondary rate limits). */
  readonly writeIntervalMs: number;
  /** Multiplier of retry-after / backoff seconds (1000 in production; tests shrink it). */
  readonly retryBaseMs: number;
  /** How many times a request hit by a rate limit or a 5xx is retried. */
  readonly maxRetries: number;
  /** How many immutable objects (files and commits by sha, tag objects) to keep in memory. */
  readonly cacheEntries: number;
}

const schema = z.object({
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  GITHUB_TOKEN: z.string().min(1, 'a token is required for STORAGE=github'),
  GITHUB_USER: z.string().regex(/^[A-Za-z0-9-]{1,39}$/).optional(),
  GITHUB_VISIBILITY: z.enum(['private', 'public', 'internal']).default('private'),
  GITHUB_DEFAULT_BRANCH: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).default('main'),
  GITHUB_TOPIC: z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'must be a GitHub topic: lowercase letters, digits and -').default('metastore-dataset'),
  GITHUB_LFS_URL: z.url().optional(),
  GITHUB_WRITE_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  GITHUB_RETRY_BASE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  GITHUB_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  GITHUB_CACHE_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
});

/** Parses the GitHub storage settings from environment-style values; throws a ConfigurationError naming each bad one. */
export function parseGitHubStorageConfig(values: Record<string, string | undefined>): GitHubStorageConfig {
  const result = schema.safeParse(values);
  if (!result.success) {
    // Never echo values: one of them is a token.
    throw new ConfigurationError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  }
  const values_ = result.data;
  return {
    apiUrl: values_.GITHUB_API_URL.replace(/\/+$/, ''),
    token: values_.GITHUB_TOKEN,
    ...(values_.GITHUB_USER ? { userLogin: values_.GITHUB_USER } : {}),
    visibility: values_.GITHUB_VISIBILITY,
    defaultBranch: values_.GITHUB_DEFAULT_BRANCH,
    topic: values_.GITHUB_TOPIC,
    ...(values_.GITHUB_LFS_URL ? { lfsUrl: values_.GITHUB_LFS_URL } : {}),
    writeIntervalMs: values_.GITHUB_WRITE_INTERVAL_MS,
    retryBaseMs: values_.GITHUB_RETRY_BASE_MS,
    maxRetries: values_.GITHUB_MAX_RETRIES,
    cacheEntries: values_.GITHUB_CACHE_ENTRIES,
  };
}
