import type { Logger } from 'pino';
import { ensureLocalSigningSecret, parseJwtConfig, type JwtConfig } from '@metastore/auth-jwt';
import type { CatalogStore } from '@metastore/catalog';
import { openCatalogDatabase } from '@metastore/catalog-postgres';
import type { EventStream, Outbox } from '@metastore/events';
import { RedisEventStream } from '@metastore/events-redis';
import type { ApiConfig } from './config';
import type { RevocationSource } from '@metastore/authz';

/** The catalog database and the event stream the API runs on, and how to close them. */
export interface Infrastructure {
  readonly catalog: CatalogStore;
  readonly outbox: Outbox;
  /** Absent without `REDIS_URL`: events then wait in the outbox, readable at /api/v1/events. */
  readonly stream?: EventStream;
  readonly jwt: JwtConfig;
  readonly revocations: RevocationSource;
  /** The installation's generated signing secret, when this start created it (main then says how to get a token). */
  readonly createdSecretFile?: string;
  /** Where the catalog lives, for the start-up log. */
  readonly database: 'server' | 'embedded';
  close(): Promise<void>;
}

/**
 * Opens the catalog (PostgreSQL at DATABASE_URL, or an embedded PostgreSQL under the data directory),
 * applies the migrations, and connects the Redis stream when REDIS_URL is set.
 */
export async function openInfrastructure(
  config: ApiConfig,
  logger: Logger,
  env: Record<string, string | undefined>,
): Promise<Infrastructure> {
  const closers: (() => Promise<void>)[] = [];
  try {
    const database = await openCatalogDatabase({
      embeddedDir: config.catalog.embeddedDir,
      ...(config.catalog.databaseUrl !== undefined ? { url: config.catalog.databaseUrl } : {}),
      ...(env['METASTORE_PRISMA_CONFIG'] ? { prismaConfigPath: env['METASTORE_PRISMA_CONFIG'] } : {}),
    });
    closers.unshift(() => database.close());
    let stream: RedisEventStream | undefined;
    const redis = config.events.redis;
    if (redis) {
      stream = new RedisEventStream({
        redis: redis.url,
        stream: redis.stream,
        maxLength: redis.maxLength,
        logger: logger.child({ component: 'events-redis' }),
      });
      const opened = stream;
      closers.unshift(() => opened.close());
    }
    let jwt = config.auth.jwt;
    let createdSecretFile: string | undefined;
    if (!jwt) {
      // The embedded default: a signing secret generated for this installation, kept in the data directory.
      const local = await ensureLocalSigningSecret(config.storage.local.dataDir);
      jwt = parseJwtConfig(env, local.secret);
      if (local.created) createdSecretFile = local.file;
    }
    return {
      catalog: database.catalog,
      outbox: database.outbox,
      revocations: database.revocations,
      jwt,
      ...(createdSecretFile ? { createdSecretFile } : {}),
      ...(stream ? { stream } : {}),
      database: database.kind,
      close: async () => {
        for (const close of closers) await close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}
