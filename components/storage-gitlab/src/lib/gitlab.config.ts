import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';

/**
 * How the storage authenticates: a personal, project or group access token (sent as `PRIVATE-TOKEN`), or an OAuth 2
 * access token (sent as `Authorization: Bearer`).
 */
export type GitLabAuthentication = { readonly type: 'token'; readonly token: string } | { readonly type: 'oauth'; readonly token: string };

/** Settings of the GitLab storage. */
export interface GitLabStorageConfig {
  /** The instance's web root (https://gitlab.com, a self-managed URL, or a test server); the API is `<url>/api/v4`. */
  readonly url: string;
  readonly auth: GitLabAuthentication;
  /**
   * The group (full path, may itself be a subgroup: `org/metastore`) holding one subgroup per owner, created on first use.
   * Without it, owners are top-level namespaces (groups, or users) of the instance.
   */
  readonly rootGroup?: string;
  /** Owners whose datasets the sync worker reconciles besides those found under `rootGroup` (without a root group: the only ones). */
  readonly owners: readonly string[];
  readonly visibility: 'private' | 'internal' | 'public';
  /** The branch holding each dataset's history. */
  readonly defaultBranch: string;
  /** The topic that marks a project as a Metastore dataset (listings and deletes only touch these). */
  readonly topic: string;
  /** Multiplier of Retry-After / backoff seconds (1000 in production; tests shrink it). */
  readonly retryBaseMs: number;
  /** How many times a request hit by a rate limit or a 5xx is retried. */
  readonly maxRetries: number;
  /**
   * The longest a request waits, in total, for rate limits (GitLab's seconds, whatever `retryBaseMs`). A limit resetting
   * later fails the request at once with STORAGE_UNAVAILABLE and `retryAfterSeconds`.
   */
  readonly maxRateLimitWaitSeconds: number;
  /** How many immutable objects (files and commits by sha) and revalidated answers to keep in memory. */
  readonly cacheEntries: number;
  /** How long one request may take before it is abandoned. */
  readonly requestTimeoutMs: number;
}

/** A GitLab namespace path segment (group or user path): letters, digits, `_`, `-`, `.`, not starting with `-` or `.`. */
const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
/** What a Metastore owner may be (the dataset-id grammar of @metastore/datasets): one path segment, so never `acme/sub`. */
export const OWNER = /^[a-z0-9](?:[a-z0-9._-]{0,37}[a-z0-9])?$/;

const commaList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

/**
 * The GitLab storage's environment variables: parser, default and meaning of each (the runtime documents them in the README).
 * `description` is the README's meaning, `shownDefault` the default as shown there, `secret` marks a value never echoed,
 * `documentedWith` puts a variable in another's row.
 */
export const gitLabStorageVariables = z.object({
  GITLAB_URL: z
    .url()
    .default('https://gitlab.com')
    .meta({ description: 'the instance (gitlab.com or self-managed; the API is `<url>/api/v4`)' }),
  GITLAB_TOKEN: z.string().optional().meta({
    secret: true,
    shownDefault: '(this, or OAuth)',
    description:
      'a personal, group or project access token (sent as `PRIVATE-TOKEN`): scope `api` and the Owner role on `GITLAB_ROOT_GROUP` (subgroups and project deletion need it) for the API; the sync worker and `metastore catalog` only read, so `read_api` suffices for them (`write_repository` covers git pushes, not API writes)',
  }),
  GITLAB_OAUTH_TOKEN: z.string().optional().meta({
    secret: true,
    shownDefault: '(or a token)',
    description:
      'an OAuth 2 access token with the `api` scope instead (sent as `Authorization: Bearer`); refreshing it is left to whoever sets it',
  }),
  GITLAB_ROOT_GROUP: z
    .string()
    .transform((value) => value.replace(/^\/+|\/+$/g, ''))
    .refine(
      (value) => value.split('/').every((segment) => PATH_SEGMENT.test(segment) && !segment.endsWith('.git') && !segment.endsWith('.atom')),
      'must be the full path of a GitLab group, e.g. metastore or org/metastore',
    )
    .optional()
    .meta({
      shownDefault: '(none: owners are top-level groups)',
      description:
        'the group (full path, itself possibly a subgroup) holding one subgroup per owner, created on first use: dataset `acme/climate` is the project `<root>/acme/climate`. Unset: each owner is a top-level group or user namespace (gitlab.com does not let the API create top-level groups)',
    }),
  GITLAB_OWNERS: commaList
    .refine(
      (owners) => owners.every((owner) => OWNER.test(owner)),
      'must be a comma-separated list of owners (lowercase letters, digits, ., _ and -)',
    )
    .meta({
      shownDefault: '',
      description:
        "owners the sync worker and `metastore catalog sync` reconcile besides the root group's subgroups (without a root group: the only ones)",
    }),
  GITLAB_VISIBILITY: z
    .enum(['private', 'internal', 'public'])
    .default('private')
    .meta({ description: '`private`, `internal` or `public`, for new projects and owner subgroups' }),
  GITLAB_DEFAULT_BRANCH: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/)
    .default('main')
    .meta({ description: 'branch holding the history' }),
  GITLAB_TOPIC: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'must be lowercase letters, digits and -')
    .default('metastore-dataset')
    .meta({ description: 'topic marking dataset projects (listings and deletes only touch these)' }),
  GITLAB_RETRY_BASE_MS: z.coerce.number().int().min(0).max(60_000).default(1000).meta({
    description:
      'backoff unit and retries for 5xx (reads; a lost create is looked up first) and 429s (`Retry-After` and `RateLimit-Reset` are honoured)',
  }),
  GITLAB_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3).meta({ documentedWith: 'GITLAB_RETRY_BASE_MS' }),
  GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).optional().meta({
    shownDefault: '`10` (API), `600` (sync worker, CLI)',
    description:
      "the longest one request waits, in total, for GitLab's rate limits (`0`: never wait); past it the request fails at once with `503 STORAGE_UNAVAILABLE` and `Retry-After`",
  }),
  GITLAB_CACHE_ENTRIES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .meta({ description: 'immutable objects (files and commits by sha) and revalidated answers kept in memory' }),
  GITLAB_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(30_000)
    .meta({ description: 'how long one request to GitLab may take' }),
});

/** Exactly one credential: an access token or an OAuth token. */
function authenticationOf(values: Record<string, string>, problems: string[]): GitLabAuthentication | undefined {
  const token = values['GITLAB_TOKEN'];
  const oauth = values['GITLAB_OAUTH_TOKEN'];
  if (token && oauth) {
    problems.push('GITLAB_TOKEN and GITLAB_OAUTH_TOKEN are both set: configure one credential');
    return undefined;
  }
  if (token) return { type: 'token', token };
  if (oauth) return { type: 'oauth', token: oauth };
  problems.push(
    'STORAGE=gitlab needs credentials: GITLAB_TOKEN (a personal, project or group access token) or GITLAB_OAUTH_TOKEN (an OAuth access token)',
  );
  return undefined;
}

/** What a base may choose about the GitLab storage's defaults. */
export interface GitLabConfigDefaults {
  /** `GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS` when unset: short for an API answering callers (10 s), longer for a background job. */
  readonly maxRateLimitWaitSeconds?: number;
}

/** The default wait for a rate limit's reset in a process that answers callers (as for GitHub). */
const DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS = 10;

/**
 * Parses the GitLab storage settings from environment-style values (unset and empty are alike); throws a ConfigurationError
 * naming each bad one, never echoing a value (they include the token).
 */
export function parseGitLabStorageConfig(
  env: Record<string, string | undefined>,
  defaults: GitLabConfigDefaults = {},
): GitLabStorageConfig {
  const values = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const result = gitLabStorageVariables.safeParse(values);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  const auth = authenticationOf(values, problems);
  if (!result.success || !auth || problems.length > 0) throw new ConfigurationError(problems.join('; '));
  const settings = result.data;
  return {
    url: settings.GITLAB_URL.replace(/\/+$/, ''),
    auth,
    ...(settings.GITLAB_ROOT_GROUP ? { rootGroup: settings.GITLAB_ROOT_GROUP } : {}),
    owners: [...new Set(settings.GITLAB_OWNERS)].sort(),
    visibility: settings.GITLAB_VISIBILITY,
    defaultBranch: settings.GITLAB_DEFAULT_BRANCH,
    topic: settings.GITLAB_TOPIC,
    retryBaseMs: settings.GITLAB_RETRY_BASE_MS,
    maxRetries: settings.GITLAB_MAX_RETRIES,
    maxRateLimitWaitSeconds:
      settings.GITLAB_MAX_RATE_LIMIT_WAIT_SECONDS ?? defaults.maxRateLimitWaitSeconds ?? DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS,
    cacheEntries: settings.GITLAB_CACHE_ENTRIES,
    requestTimeoutMs: settings.GITLAB_REQUEST_TIMEOUT_MS,
  };
}
