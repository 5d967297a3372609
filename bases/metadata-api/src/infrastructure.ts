import type { Logger } from 'pino';
import type { JwtConfig } from '@metastore/auth-jwt';
import type { RevocationSource } from '@metastore/authz';
import type { CatalogStore, WebhookDeliveries } from '@metastore/catalog';
import type { EventStream, Outbox } from '@metastore/events';
import { openCatalog, openEventStream, resolveJwtSettings, type ApiConfig } from '@metastore/runtime';

/** The catalog database and the event stream the API runs on, and how to close them. */
export interface Infrastructure {
  readonly catalog: CatalogStore;
  readonly outbox: Outbox;
  /** Absent without `REDIS_URL`: events then wait in the outbox, readable at /api/v1/events. */
  readonly stream?: EventStream;
  readonly jwt: JwtConfig;
  readonly revocations: RevocationSource;
  readonly webhookDeliveries: WebhookDeliveries;
  /** The installation's generated signing secret, when this start created it (main then says how to get a token). */
  readonly createdSecretFile?: string;
  /** Where the catalog lives, for the start-up log. */
  readonly database: 'server' | 'embedded';
  close(): Promise<void>;
}

/**
 * Asks the runtime for the catalog database (PostgreSQL at DATABASE_URL, or the embedded one under the data directory; migrated),
 * the event stream (with REDIS_URL) and the JWT settings in force.
 */
export async function openInfrastructure(config: ApiConfig, logger: Logger): Promise<Infrastructure> {
  const closers: (() => Promise<void>)[] = [];
  try {
    const database = await openCatalog(config.database);
    closers.unshift(() => database.close());
    const stream = openEventStream(config.events, logger);
    if (stream) closers.unshift(() => stream.close());
    const { jwt, createdSecretFile } = await resolveJwtSettings(config.auth, config.storage.local.dataDir);
    return {
      catalog: database.catalog,
      outbox: database.outbox,
      revocations: database.revocations,
      webhookDeliveries: database.webhookDeliveries,
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
