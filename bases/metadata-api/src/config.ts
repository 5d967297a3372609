import path from 'node:path';
import bytes from 'bytes';
import { z } from 'zod';
import { parseJwtConfig, type JwtConfig } from '@metastore/auth-jwt';
import { ConfigurationError } from '@metastore/errors';
import { DEFAULT_MAX_DESCRIPTOR_BYTES } from '@metastore/events';
import { DEFAULT_EVENTS_STREAM, parseRedisEventsConfig, type RedisEventsConfig } from '@metastore/events-redis';
import { parseGitHubStorageConfig, type GitHubStorageConfig } from '@metastore/storage-github';
import { parseLocalGitStorageConfig, type LocalGitStorageConfig } from '@metastore/storage-local';

/** The API's configuration, read once at start-up from the environment. */
export interface ApiConfig {
  readonly port: number;
  readonly host: string;
  /** Largest accepted request body, in bytes. */
  readonly bodyLimitBytes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * The catalog database: PostgreSQL at `databaseUrl`, or (without one) an embedded PostgreSQL with its data in `embeddedDir`;
   * where changes it could not record wait (`journalDir`); the longest pause between attempts while it fails (`retryMaxSeconds`).
   */
  readonly catalog: {
    readonly databaseUrl?: string;
    readonly embeddedDir: string;
    readonly journalDir: string;
    readonly retryMaxSeconds: number;
  };
  /**
   * Change events: how they are stamped, and the Redis stream they are published to (without Redis they wait in the outbox, readable at
   * /api/v1/events).
   */
  readonly events: {
    readonly publicUrl: string;
    readonly maxDescriptorBytes: number;
    readonly stream: string;
    readonly redis?: RedisEventsConfig;
  };
  /**
   * Authentication and access: JWT verification (absent: the installation's generated secret, HS256), anonymous reads, write rate limit,
   * CORS.
   */
  readonly auth: {
    readonly jwt?: JwtConfig;
    /** Owners whose datasets anonymous callers may read (`*`: every owner); empty: anonymous reads are off. */
    readonly publicOwners: readonly string[];
    /** Writes per caller per minute (its subject; subject and actor for a minted token; 0: unlimited). */
    readonly writeRateLimitPerMinute: number;
    /** Browser origins allowed by CORS (`*`: any); empty: no CORS headers. */
    readonly corsOrigins: readonly string[];
    /** How long the revocation list loaded from the catalog database answers before it is loaded again, in seconds. */
    readonly revocationCacheSeconds: number;
    /** While it cannot be loaded, how long past that the last loaded list still answers, in seconds; then tokens with an id get 503. */
    readonly revocationStaleSeconds: number;
  };
  /** The storage backend and its settings (the data directory is also where local state lives for any backend). */
  readonly storage:
    | { readonly backend: 'local'; readonly local: LocalGitStorageConfig }
    | { readonly backend: 'github'; readonly local: LocalGitStorageConfig; readonly github: GitHubStorageConfig };
}

const byteSize = z.string().transform((value, context) => {
  const parsed = bytes.parse(value);
  if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) {
    context.addIssue({ code: 'custom', message: `'${value}' is not a size such as 1mb or 512kb` });
    return z.NEVER;
  }
  return parsed;
});

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  METASTORE_BODY_LIMIT: byteSize.default(1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STORAGE: z.enum(['local', 'github']).default('local'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  METASTORE_PUBLIC_URL: z.url().optional(),
  METASTORE_EVENT_DESCRIPTOR_LIMIT: byteSize.default(DEFAULT_MAX_DESCRIPTOR_BYTES),
  METASTORE_PUBLIC_OWNERS: list.default([]),
  METASTORE_WRITE_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(120),
  METASTORE_CORS_ORIGINS: list.default([]),
  METASTORE_REVOCATION_CACHE_SECONDS: z.coerce.number().min(0).max(86_400).default(30),
  METASTORE_REVOCATION_STALE_SECONDS: z.coerce.number().min(0).max(86_400).default(300),
  METASTORE_CATALOG_RETRY_MAX_SECONDS: z.coerce.number().min(0.01).max(3600).default(30),
});

/** Parses and validates the environment; throws a ConfigurationError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): ApiConfig {
  const result = schema.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  let jwt: JwtConfig | undefined;
  // Without any METASTORE_JWT_* setting the installation's generated secret is used (read at start-up, see main.ts).
  if (Object.keys(env).some((name) => name.startsWith('METASTORE_JWT_') && env[name])) {
    try {
      jwt = parseJwtConfig(env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  let redis: RedisEventsConfig | undefined;
  if (env['REDIS_URL']) {
    try {
      redis = parseRedisEventsConfig(env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  let local: LocalGitStorageConfig | undefined;
  let github: GitHubStorageConfig | undefined;
  try {
    local = parseLocalGitStorageConfig(env);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (env['STORAGE'] === 'github') {
    try {
      github = parseGitHubStorageConfig(env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (!result.success || !local || problems.length > 0) {
    throw new ConfigurationError(`invalid configuration: ${problems.join('; ')}`);
  }
  const values = result.data;
  return {
    port: values.PORT,
    host: values.HOST,
    bodyLimitBytes: values.METASTORE_BODY_LIMIT,
    logLevel: values.LOG_LEVEL,
    catalog: {
      ...(values.DATABASE_URL ? { databaseUrl: values.DATABASE_URL } : {}),
      embeddedDir: path.join(local.dataDir, 'catalog'),
      journalDir: path.join(local.dataDir, 'catalog-journal'),
      retryMaxSeconds: values.METASTORE_CATALOG_RETRY_MAX_SECONDS,
    },
    events: {
      publicUrl: (values.METASTORE_PUBLIC_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, ''),
      maxDescriptorBytes: values.METASTORE_EVENT_DESCRIPTOR_LIMIT,
      stream: redis?.stream ?? env['METASTORE_EVENTS_STREAM'] ?? DEFAULT_EVENTS_STREAM,
      ...(redis ? { redis } : {}),
    },
    auth: {
      ...(jwt ? { jwt } : {}),
      publicOwners: values.METASTORE_PUBLIC_OWNERS,
      writeRateLimitPerMinute: values.METASTORE_WRITE_RATE_LIMIT,
      corsOrigins: values.METASTORE_CORS_ORIGINS,
      revocationCacheSeconds: values.METASTORE_REVOCATION_CACHE_SECONDS,
      revocationStaleSeconds: values.METASTORE_REVOCATION_STALE_SECONDS,
    },
    storage: values.STORAGE === 'github' && github ? { backend: 'github', local, github } : { backend: 'local', local },
  };
}
