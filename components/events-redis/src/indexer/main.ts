// The reference search indexer: `npx tsx components/events-redis/src/indexer/main.ts` (settings in the README).
import pino from 'pino';
import { redactRedisUrl } from '../lib/redis-connection';
import { StreamConsumer } from '../lib/stream-consumer.service';
import { parseIndexerConfig } from './indexer.config';
import { SearchIndexer } from './search-indexer';

async function main(): Promise<void> {
  const config = parseIndexerConfig(process.env);
  const logger = pino({ name: 'search-indexer', level: config.logLevel });
  const indexer = await SearchIndexer.open({ dataDir: config.dataDir });
  const consumer = new StreamConsumer({
    redis: config.redis.url,
    stream: config.redis.stream,
    group: 'search-indexer',
    ...(config.consumer ? { consumer: config.consumer } : {}),
    logger,
    handler: async (event, meta) => {
      const outcome = await indexer.apply(event, meta.sequence);
      logger.debug({ eventId: event.id, type: event.type, subject: event.subject, sequence: meta.sequence, outcome }, 'event indexed');
    },
  });
  await consumer.start();
  logger.info(
    { redis: redactRedisUrl(config.redis.url), stream: consumer.stream, consumer: consumer.consumer, indexFile: indexer.file, datasets: indexer.list().length },
    'search indexer started',
  );

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping after the event in hand');
    consumer.stop().then(
      () => {
        logger.info({}, 'search indexer stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'search indexer did not stop cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  // pino may not exist yet (a configuration error): plain stderr.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
