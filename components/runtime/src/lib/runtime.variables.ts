import bytes from 'bytes';
import { z } from 'zod';
import { DEFAULT_MAX_DESCRIPTOR_BYTES } from '@metastore/events';

/** Log levels pino knows. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

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

/** The HTTP port: the API listens on it, and every process builds the default public URL from it. */
export const portVariables = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).meta({ description: 'HTTP port' }),
});

/** The API's own server settings. */
export const apiServerVariables = z.object({
  HOST: z.string().min(1).default('0.0.0.0').meta({ description: 'interface to listen on' }),
  METASTORE_BODY_LIMIT: byteSize.default(1024 * 1024).meta({ shownDefault: '`1mb`', description: 'largest request body (`413` above it)' }),
  METASTORE_STRICT_VALIDATION: z.stringbool().default(false).meta({
    shownDefault: '`false`',
    description:
      'refuse the common v1 forms of descriptors otherwise accepted with a warning (the `lenient` codes: `url` instead of `path`, sources without `title`, ...) on every write and validation; `?strict=true` asks for it per request',
  }),
});

/** Who may call the API, and how often. */
export const apiAccessVariables = z.object({
  METASTORE_PUBLIC_OWNERS: list.default([]).meta({
    shownDefault: '(none)',
    description: 'owners whose datasets anonymous callers may read (`*`: all); unset: no anonymous access',
  }),
  METASTORE_WRITE_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(120).meta({
    description:
      "writes per caller per minute (the token's subject; subject and actor for a minted token) (`0`: unlimited); over it: 429 with `Retry-After`",
  }),
  METASTORE_CORS_ORIGINS: list.default([]).meta({ shownDefault: '(none)', description: 'browser origins allowed by CORS (`*`: any)' }),
  METASTORE_REVOCATION_CACHE_SECONDS: z.coerce.number().min(0).max(86_400).default(30).meta({
    description:
      'the revocation list (revoked token ids) is loaded whole from the catalog database and answers this long before it is loaded again: a token revoked through another replica is refused within this time',
  }),
  METASTORE_REVOCATION_STALE_SECONDS: z.coerce.number().min(0).max(86_400).default(300).meta({
    description:
      'while the list cannot be loaded (catalog database down), the last copy keeps answering this much longer (logged; `metastore_revocation_list_stale_seconds` and `_degraded` at `/metrics`, `revocations` in `/readyz`); after that, and with no copy at all, tokens carrying a `jti` get 503 (`0`: at once)',
  }),
});

/**
 * The git hosts' push webhooks (`POST /api/v1/hooks/github`, `/hooks/gitlab`): one secret per host; unset, that host's
 * deliveries are refused.
 */
export const webhookVariables = z.object({
  METASTORE_WEBHOOK_GITHUB_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters (a random secret, e.g. `openssl rand -hex 32`)')
    .optional()
    .meta({
      secret: true,
      shownDefault: '(none)',
      description:
        'the secret of the GitHub webhook (its `X-Hub-Signature-256` is checked with it); unset: `/api/v1/hooks/github` refuses every delivery with 401',
    }),
  METASTORE_WEBHOOK_GITLAB_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters (a random secret, e.g. `openssl rand -hex 32`)')
    .optional()
    .meta({
      secret: true,
      shownDefault: '(none)',
      description:
        'the secret token of the GitLab webhook (compared with its `X-Gitlab-Token`); unset: `/api/v1/hooks/gitlab` refuses every delivery with 401',
    }),
});

/** How the API rides out an outage of the catalog database. */
export const apiCatalogVariables = z.object({
  METASTORE_CATALOG_RETRY_MAX_SECONDS: z.coerce.number().min(0.01).max(3600).default(30).meta({
    description:
      "after 5 failed calls in a row the API stops asking the catalog database (a circuit breaker: reads go to git, changes to the journal at once) and probes it after 1 s, doubling up to this; also the journal's longest retry pause",
  }),
});

/** How events are stamped, in every process that builds them. */
export const eventVariables = z.object({
  METASTORE_PUBLIC_URL: z.url().optional().meta({
    shownDefault: '`http://localhost:$PORT`',
    description:
      "this service's address: the events' CloudEvents `source` and the link to a descriptor too large to embed (the same default in the API, the sync worker and the command line)",
  }),
  METASTORE_EVENT_DESCRIPTOR_LIMIT: byteSize.default(DEFAULT_MAX_DESCRIPTOR_BYTES).meta({
    shownDefault: '`256kb`',
    description: 'largest descriptor carried inside an event (larger: `descriptorTruncated` and `descriptorUrl`)',
  }),
});

/** The log level; its default differs by process (the command line's logs go to stderr beside its output). */
export const logVariables = z.object({
  LOG_LEVEL: z.enum(LOG_LEVELS).optional().meta({
    shownDefault: '`info` (CLI: `warn`)',
    description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent` (JSON logs with a request id)',
  }),
});

/** The sync worker's schedule. */
export const workerVariables = z.object({
  SYNC_MODE: z.enum(['once', 'loop']).default('once').meta({
    description:
      '`once`: one reconcile and one drain of the outbox, then exit (a Kubernetes CronJob); `loop`: every `SYNC_INTERVAL_SECONDS` until SIGTERM',
  }),
  SYNC_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(300)
    .meta({ description: 'the pause between runs with `SYNC_MODE=loop`' }),
  SYNC_FULL_EVERY_HOURS: z.coerce.number().min(0).max(8760).default(168).meta({
    description:
      'on a storage that lists changes (GitHub), a run compares only the datasets pushed to since the watermark kept in the catalog database; an owner last compared in full longer ago than this is compared in full again, the safety net for what a watermark cannot see (renames, topic changes, tags moved without a push) (`0`: only `metastore catalog sync --full`)',
  }),
  SYNC_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional().meta({
    shownDefault: '(none)',
    description: 'with `SYNC_MODE=loop`, serve Prometheus metrics of the runs (`metastore_sync_*`) at `GET /metrics` on this port',
  }),
  SYNC_METRICS_FILE: z.string().min(1).optional().meta({
    shownDefault: '(none)',
    description:
      "after each run, write the same metrics to this file in Prometheus' text format (atomically), for node_exporter's textfile collector beside a CronJob",
  }),
});

/** The search indexer's own settings. */
export const indexerVariables = z.object({
  INDEXER_DATA_DIR: z.string().min(1).default('./data/indexer').meta({ description: 'where the search index file lives' }),
  INDEXER_CONSUMER: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1 to 100 letters, digits, ., _, : or -')
    .optional()
    .meta({ shownDefault: '`<host>-<pid>`', description: "this process's name in the stream's `search-indexer` consumer group" }),
});

/** The one public URL of the installation: `METASTORE_PUBLIC_URL` without trailing slashes, else `http://localhost:$PORT`. */
export function publicUrlOf(configured: string | undefined, port: number): string {
  return (configured ?? `http://localhost:${port}`).replace(/\/+$/, '');
}
