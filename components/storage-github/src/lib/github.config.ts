import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';

/**
 * How the storage authenticates: a personal access token (classic `repo` scope, or fine-grained:
 * Administration, Contents read/write), or a GitHub App acting through its installation on each owner.
 */
export type GitHubAuthentication =
  { readonly type: 'token'; readonly token: string } | { readonly type: 'app'; readonly appId: number; readonly privateKey: string };

/** Settings of the GitHub storage. */
export interface GitHubStorageConfig {
  /** REST API root: https://api.github.com, a GitHub Enterprise `/api/v3` URL, or a test server. */
  readonly apiUrl: string;
  readonly auth: GitHubAuthentication;
  /**
   * A user whose datasets live in the user's own account (the token's user, or a user the App is installed on); other owners are
   * organisations.
   */
  readonly userLogin?: string;
  /** Owners (organisations, and `userLogin` when set) whose datasets the sync worker reconciles; GitHub cannot list them for us. */
  readonly owners: string[];
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
  /**
   * The longest a request waits, in total, for rate limits to reset (GitHub's seconds, whatever `retryBaseMs`). A limit
   * resetting later fails the request at once with STORAGE_UNAVAILABLE and `retryAfterSeconds`, so that no caller (and no
   * write queued behind it) hangs until a distant reset.
   */
  readonly maxRateLimitWaitSeconds: number;
  /** How many immutable objects (files and commits by sha, tag objects) to keep in memory. */
  readonly cacheEntries: number;
}

const LOGIN = /^[A-Za-z0-9-]{1,39}$/;

/**
 * The GitHub storage's environment variables: parser, default and meaning of each (the runtime documents them in the README).
 * `description` is the README's meaning, `shownDefault` the default as shown there, `secret` marks a value never echoed,
 * `documentedWith` puts a variable in another's row.
 */
export const gitHubStorageVariables = z.object({
  GITHUB_TOKEN: z.string().optional().meta({
    secret: true,
    shownDefault: '(this, or an App)',
    description:
      "a token: classic PAT with the `repo` scope (plus `delete_repo` for deletes); or fine-grained with repository Administration (read/write, to create and delete), Contents (read/write) and Metadata (read) on the owner's repositories",
  }),
  GITHUB_APP_ID: z.string().optional().meta({
    shownDefault: '(or a token)',
    description:
      "a GitHub App instead of a token: its numeric App ID and its private key (PEM, newlines kept or written as `\\n`). Install the App on each owner organisation with repository permissions Administration (read & write), Contents (read & write) and Metadata (read); Metastore finds each owner's installation and mints, caches and refreshes its one-hour tokens. GitHub does not let an App create repositories in a personal account, so `GITHUB_USER` datasets can be read and written but not created with an App",
  }),
  GITHUB_APP_PRIVATE_KEY: z.string().optional().meta({ secret: true, documentedWith: 'GITHUB_APP_ID' }),
  GITHUB_API_URL: z.url().default('https://api.github.com').meta({ description: 'REST root (GitHub Enterprise: `https://HOST/api/v3`)' }),
  GITHUB_USER: z.string().regex(LOGIN).optional().meta({
    description:
      "a user login whose datasets live in that user account rather than an organisation (the token's user, or a user the App is installed on)",
  }),
  GITHUB_OWNERS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((owner) => owner.trim())
        .filter((owner) => owner !== ''),
    )
    .refine((owners) => owners.every((owner) => LOGIN.test(owner)), 'must be a comma-separated list of GitHub organisation or user logins')
    .meta({
      shownDefault: '',
      description:
        'comma-separated organisations (and users) whose datasets the sync worker and `metastore catalog sync` reconcile with the catalog (`GITHUB_USER` is included when set); GitHub offers no listing of "every owner", so datasets of owners named nowhere (here, or already in the catalog) are not found by reconciliation',
    }),
  GITHUB_VISIBILITY: z
    .enum(['private', 'public', 'internal'])
    .default('private')
    .meta({ description: '`private`, `public` or `internal` (Enterprise)' }),
  GITHUB_DEFAULT_BRANCH: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/)
    .default('main')
    .meta({ description: 'branch holding the history' }),
  GITHUB_TOPIC: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'must be a GitHub topic: lowercase letters, digits and -')
    .default('metastore-dataset')
    .meta({ description: 'topic marking dataset repositories' }),
  GITHUB_LFS_URL: z.url().optional().meta({ description: 'if set, each repository gets a `.lfsconfig` pointing Git LFS at this server' }),
  GITHUB_WRITE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1000)
    .meta({ description: 'gap between write requests, as GitHub recommends against secondary rate limits' }),
  GITHUB_RETRY_BASE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1000)
    .meta({ description: 'backoff unit and retries for 5xx and rate limits (`retry-after` and `x-ratelimit-reset` are honoured)' }),
  GITHUB_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3).meta({ documentedWith: 'GITHUB_RETRY_BASE_MS' }),
  GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).optional().meta({
    shownDefault: '`10` (API), `600` (sync worker, CLI)',
    description:
      "the longest one request waits, in total, for GitHub's rate limits to reset (`0`: never wait). A later reset fails the request at once with `503 STORAGE_UNAVAILABLE` and `Retry-After` (seconds until the reset), so no request, and no write to the same dataset queued behind it, hangs until then",
  }),
  GITHUB_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .meta({ description: 'immutable objects (files and commits by sha, tag objects) kept in memory' }),
});

const APP_ID = /^[1-9][0-9]{0,15}$/;

/** Environment variables often carry a PEM on one line with literal `\n` escapes. */
function normalisePem(value: string): string {
  return value.replace(/\\n/g, '\n').replace(/\r\n/g, '\n').trim();
}

/** Whether `pem` is an RSA private key GitHub could have issued (never echoed: it is a secret). */
function isRsaPrivateKey(pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}

/** Exactly one way to authenticate: a token, or an App ID with its private key. */
function authenticationOf(values: Record<string, string>, problems: string[]): GitHubAuthentication | undefined {
  const token = values['GITHUB_TOKEN'];
  const appId = values['GITHUB_APP_ID'];
  const privateKey = values['GITHUB_APP_PRIVATE_KEY'];
  if (token && (appId || privateKey)) {
    problems.push('GITHUB_TOKEN and GITHUB_APP_ID/GITHUB_APP_PRIVATE_KEY are both set: configure either a token or a GitHub App, not both');
    return undefined;
  }
  if (token) return { type: 'token', token };
  if (!appId && !privateKey) {
    problems.push(
      'STORAGE=github needs credentials: GITHUB_TOKEN (a personal access token), or GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY (a GitHub App)',
    );
    return undefined;
  }
  if (!appId) problems.push('GITHUB_APP_ID: required with GITHUB_APP_PRIVATE_KEY');
  else if (!APP_ID.test(appId)) problems.push("GITHUB_APP_ID: must be the GitHub App's numeric App ID");
  const pem = privateKey === undefined ? undefined : normalisePem(privateKey);
  const validKey = pem !== undefined && isRsaPrivateKey(pem);
  if (pem === undefined) problems.push('GITHUB_APP_PRIVATE_KEY: required with GITHUB_APP_ID');
  else if (!validKey)
    problems.push("GITHUB_APP_PRIVATE_KEY: not a PEM-encoded RSA private key (the App's .pem file, with newlines kept or written as \\n)");
  if (!appId || !APP_ID.test(appId) || !validKey) return undefined;
  return { type: 'app', appId: Number(appId), privateKey: pem };
}

/** What a base may choose about the GitHub storage's defaults. */
export interface GitHubConfigDefaults {
  /** `GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS` when unset: short for an API answering callers (10 s), longer for a background job. */
  readonly maxRateLimitWaitSeconds?: number;
}

/** The default wait for a rate limit's reset in a process that answers callers. */
const DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS = 10;

/**
 * Parses the GitHub storage settings from environment-style values (unset and empty are alike); throws a ConfigurationError naming each bad
 * one.
 */
export function parseGitHubStorageConfig(
  env: Record<string, string | undefined>,
  defaults: GitHubConfigDefaults = {},
): GitHubStorageConfig {
  // Compose files and Secrets often carry `NAME=`: an empty variable takes its default, like an unset one.
  const values = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const result = gitHubStorageVariables.safeParse(values);
  // Never echo values: they include a token or a private key.
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const auth = authenticationOf(values, problems);
  if (!result.success || !auth || problems.length > 0) throw new ConfigurationError(problems.join('; '));
  const settings = result.data;
  return {
    apiUrl: settings.GITHUB_API_URL.replace(/\/+$/, ''),
    auth,
    ...(settings.GITHUB_USER ? { userLogin: settings.GITHUB_USER } : {}),
    owners: [...new Set([...settings.GITHUB_OWNERS, ...(settings.GITHUB_USER ? [settings.GITHUB_USER] : [])])],
    visibility: settings.GITHUB_VISIBILITY,
    defaultBranch: settings.GITHUB_DEFAULT_BRANCH,
    topic: settings.GITHUB_TOPIC,
    ...(settings.GITHUB_LFS_URL ? { lfsUrl: settings.GITHUB_LFS_URL } : {}),
    writeIntervalMs: settings.GITHUB_WRITE_INTERVAL_MS,
    retryBaseMs: settings.GITHUB_RETRY_BASE_MS,
    maxRetries: settings.GITHUB_MAX_RETRIES,
    maxRateLimitWaitSeconds:
      settings.GITHUB_MAX_RATE_LIMIT_WAIT_SECONDS ?? defaults.maxRateLimitWaitSeconds ?? DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS,
    cacheEntries: settings.GITHUB_CACHE_ENTRIES,
  };
}
