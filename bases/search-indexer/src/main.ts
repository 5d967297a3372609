// The search indexer: `npm run build && npm run search-indexer`, or `npx tsx bases/search-indexer/src/main.ts` (settings in the README).
import pino from 'pino';
import { redactRedisUrl } from '@metastore/events-redis';
import { loadIndexerConfig, type IndexerConfig } from '@metastore/runtime';
import { startSearchIndexer } from './indexer';

/** Runs until SIGTERM or SIGINT, then stops after the event in hand. Exit codes: 0 stopped, 1 failed, 2 bad configuration. */
async function main(): Promise<number> {
  let config: IndexerConfig;
  try {
    config = loadIndexerConfig(process.env);
  } catch (error) {
    process.stderr.write(`metastore-search-indexer: ${(error as Error).message}\n`);
    return 2;
  }
  const logger = pino({ name: 'search-indexer', level: config.logLevel });
  const running = await startSearchIndexer(config, { logger });
  logger.info(
    {
      redis: redactRedisUrl(config.redis.url),
      stream: running.consumer.stream,
      consumer: running.consumer.consumer,
      indexFile: running.indexer.file,
      datasets: running.indexer.list().length,
    },
    'search indexer started',
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'stopping after the event in hand');
  try {
    await running.stop();
    logger.info({}, 'search indexer stopped');
    return 0;
  } catch (error) {
    logger.error({ err: error }, 'search indexer did not stop cleanly');
    return 1;
  }
}

// Exit explicitly: a client library's idle timer must not keep a stopped process alive.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`metastore-search-indexer: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
