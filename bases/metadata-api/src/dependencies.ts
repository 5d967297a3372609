import type { Logger } from 'pino';
import { JwtIssuer, JwtVerifier, type JwtConfig } from '@metastore/auth-jwt';
import {
  CatalogedStorage,
  DatasetReconciler,
  JournalDrainer,
  type CatalogStore,
  type ChangeJournal,
  type WebhookDeliveries,
} from '@metastore/catalog';
import { DatasetService } from '@metastore/datasets';
import { eventOptionsForApi, OutboxRelay, type EventStream, type Outbox } from '@metastore/events';
import { RevisionService } from '@metastore/revisions';
import type { DatasetStorage } from '@metastore/storage';
import { createLogger, openChangeJournal, openStorage, type ApiConfig } from '@metastore/runtime';
import { TagService } from '@metastore/tags';
import { CatalogCircuit, catalogThroughCircuit, outboxThroughCircuit, revocationsThroughCircuit } from './catalog-circuit';
import { DatasetSyncQueue } from './hooks/dataset-sync-queue';
import type { AnonymousAccess } from './http/auth';
import { CachedRevocations, type RevocationSource } from '@metastore/authz';

/** Everything the HTTP layer needs, built once from configuration. */
export interface Dependencies {
  readonly config: ApiConfig;
  readonly logger: Logger;
  /** The configured storage, wrapped so that every write is recorded in the catalog with its event. */
  readonly storage: DatasetStorage;
  /** The configured storage itself (for its backend metrics). */
  readonly backendStorage: DatasetStorage;
  readonly datasets: DatasetService;
  readonly revisions: RevisionService;
  readonly tags: TagService;
  /** The catalog database's store and outbox, behind `catalogCircuit`. */
  readonly catalog: CatalogStore;
  readonly outbox: Outbox;
  /** The circuit breaker in front of the catalog database: skipped at once for a while after repeated failures. */
  readonly catalogCircuit: CatalogCircuit;
  /** Records in the catalog what was journaled while it did not answer. Started by `main`, not here. */
  readonly journal: JournalDrainer;
  /** Publishes the outbox to the stream; absent without a stream. Started by `main`, not here. */
  readonly relay?: OutboxRelay;
  /** Which datasets anonymous callers may read. */
  readonly access: AnonymousAccess;
  readonly verifier: JwtVerifier;
  readonly issuer: JwtIssuer;
  /** The revocation list as every request asks it: cached, and served stale for a bounded time while it cannot be read. */
  readonly revocations: CachedRevocations;
  /** The webhook deliveries accepted, kept for a while (a delivery seen again is a replay). */
  readonly webhookDeliveries: WebhookDeliveries;
  /** Syncs the datasets webhooks name, in the background (`DatasetReconciler` over the backend and the catalog). */
  readonly webhookSync: DatasetSyncQueue;
}

/** The catalog database and (optionally) the event stream the services are built on. */
export interface DependencyInfrastructure {
  readonly catalog: CatalogStore;
  readonly outbox: Outbox;
  readonly stream?: EventStream;
  /** The JWT settings in force (configured, or from the installation's generated secret). */
  readonly jwt: JwtConfig;
  readonly revocations: RevocationSource;
  readonly webhookDeliveries: WebhookDeliveries;
  /** Where changes the catalog could not record wait; default: files in the configured journal directory. */
  readonly journal?: ChangeJournal;
}

/** The service's logger at the configured level, credentials redacted: JSON lines, or human-readable on a terminal. */
export function buildLogger(config: ApiConfig): Logger {
  return createLogger(
    {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    { terminal: process.stdout.isTTY === true },
  );
}

/** Builds the services over the configured storage (or over `storage` when given, e.g. in tests), recording writes in the catalog. */
export function buildDependencies(
  config: ApiConfig,
  infrastructure: DependencyInfrastructure,
  overrides: { storage?: DatasetStorage; logger?: Logger } = {},
): Dependencies {
  const logger = overrides.logger ?? buildLogger(config);
  const { stream, jwt } = infrastructure;
  const retryMaxMs = config.catalog.retryMaxSeconds * 1000;
  const retryMs = Math.min(1000, retryMaxMs);
  const catalogCircuit = new CatalogCircuit({
    initialBackoffMs: retryMs,
    maxBackoffMs: retryMaxMs,
    logger: logger.child({ component: 'catalog-circuit' }),
  });
  const catalog = catalogThroughCircuit(infrastructure.catalog, catalogCircuit);
  const outbox = outboxThroughCircuit(infrastructure.outbox, catalogCircuit);
  const revocations = revocationsThroughCircuit(infrastructure.revocations, catalogCircuit);
  const relay = stream
    ? new OutboxRelay(infrastructure.outbox, stream, { logger: logger.child({ component: 'outbox-relay' }) })
    : undefined;
  const { publicUrl, maxDescriptorBytes } = config.events;
  const events = eventOptionsForApi(publicUrl, maxDescriptorBytes);
  const changeJournal = infrastructure.journal ?? openChangeJournal(config.catalog);
  const backendStorage = overrides.storage ?? openStorage(config.storage, { logger });
  const journal = new JournalDrainer(backendStorage, catalog, changeJournal, {
    events,
    logger: logger.child({ component: 'catalog-journal' }),
    retryMs,
    maxRetryMs: retryMaxMs,
    ...(relay ? { onRecorded: () => relay.nudge() } : {}),
  });
  catalogCircuit.onAnswered(() => journal.catalogAnswered());
  const storage = new CatalogedStorage(backendStorage, catalog, {
    events,
    logger: logger.child({ component: 'catalog' }),
    journal: changeJournal,
    onJournaled: () => journal.nudge(),
    ...(relay ? { onRecorded: () => relay.nudge() } : {}),
  });
  const datasets = new DatasetService({ storage });
  // A webhook names a dataset changed on the git host: reconciled as the sync worker would (events with the author from
  // git, exactly once by expectation), over the backend itself and the catalog behind its circuit.
  const reconciler = new DatasetReconciler(backendStorage, catalog, { events, logger: logger.child({ component: 'webhook-sync' }) });
  const webhookSync = new DatasetSyncQueue(
    async (id) => {
      const result = await reconciler.reconcile(id);
      if (result.created + result.updated + result.deleted + result.tagChanges > 0) relay?.nudge();
    },
    { logger: logger.child({ component: 'webhook-sync' }) },
  );
  return {
    config,
    logger,
    storage,
    backendStorage,
    datasets,
    revisions: new RevisionService(storage, datasets),
    tags: new TagService(storage),
    catalog,
    outbox,
    catalogCircuit,
    journal,
    ...(relay ? { relay } : {}),
    access: { publicOwners: config.auth.publicOwners },
    verifier: new JwtVerifier(jwt),
    issuer: new JwtIssuer(jwt),
    revocations: new CachedRevocations(revocations, {
      ttlMs: config.auth.revocationCacheSeconds * 1000,
      staleMs: config.auth.revocationStaleSeconds * 1000,
      logger: logger.child({ component: 'revocations' }),
    }),
    webhookDeliveries: infrastructure.webhookDeliveries,
    webhookSync,
  };
}
