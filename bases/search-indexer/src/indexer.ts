import { StreamConsumer, type StreamConsumerLogger } from '@metastore/events-redis';
import type { IndexerConfig } from '@metastore/runtime';
import { SearchIndexer, type ApplyOutcome } from '@metastore/search-index';

/** The consumer group every search indexer process joins: each event is indexed by one of them. */
export const INDEXER_GROUP = 'search-indexer';

/** What {@link startSearchIndexer} is given besides the configuration. */
export interface SearchIndexerRuntime {
  readonly logger: StreamConsumerLogger & { debug(object: object, message: string): void };
  /** Reads descriptors an event links to; the global `fetch` by default. */
  readonly fetch?: typeof fetch;
  /** How long one read blocks on the stream (StreamConsumer's default when unset); tests shorten it. */
  readonly blockMs?: number;
  /** Told of every event handled, after it is saved. */
  readonly onApplied?: (outcome: ApplyOutcome, eventId: string) => void;
}

/** A running search indexer: its index, its consumer, and how to stop it after the event in hand. */
export interface RunningSearchIndexer {
  readonly indexer: SearchIndexer;
  readonly consumer: StreamConsumer;
  stop(): Promise<void>;
}

/** Opens the index in `config.dataDir` and starts consuming the event stream into it. */
export async function startSearchIndexer(config: IndexerConfig, runtime: SearchIndexerRuntime): Promise<RunningSearchIndexer> {
  const { logger } = runtime;
  const indexer = await SearchIndexer.open({ dataDir: config.dataDir, ...(runtime.fetch ? { fetch: runtime.fetch } : {}) });
  const consumer = new StreamConsumer({
    redis: config.redis.url,
    stream: config.redis.stream,
    group: INDEXER_GROUP,
    ...(config.consumer ? { consumer: config.consumer } : {}),
    ...(runtime.blockMs !== undefined ? { blockMs: runtime.blockMs } : {}),
    logger,
    handler: async (event, meta) => {
      const outcome = await indexer.apply(event, meta.sequence);
      logger.debug({ eventId: event.id, type: event.type, subject: event.subject, sequence: meta.sequence, outcome }, 'event indexed');
      runtime.onApplied?.(outcome, event.id);
    },
  });
  await consumer.start();
  return { indexer, consumer, stop: () => consumer.stop() };
}
