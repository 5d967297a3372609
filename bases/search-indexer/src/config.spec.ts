import path from 'node:path';
import { parseIndexerConfig } from './config';

describe('parseIndexerConfig', () => {
  it('has defaults and reads the stream settings too', () => {
    expect(parseIndexerConfig({})).toEqual({
      redis: { url: 'redis://127.0.0.1:6379', stream: 'metastore:events', maxLength: 100_000 },
      dataDir: path.resolve('data/indexer'),
      logLevel: 'info',
    });
    expect(
      parseIndexerConfig({ INDEXER_DATA_DIR: '/var/lib/indexer', INDEXER_CONSUMER: 'indexer-0', METASTORE_EVENTS_STREAM: 'x' }),
    ).toMatchObject({
      dataDir: '/var/lib/indexer',
      consumer: 'indexer-0',
      redis: { stream: 'x' },
    });
  });

  it('names every bad variable, its own and the stream settings', () => {
    expect(() => parseIndexerConfig({ INDEXER_CONSUMER: 'has space', LOG_LEVEL: 'loud', REDIS_URL: 'http://:pw@x' })).toThrow(
      /INDEXER_CONSUMER.*LOG_LEVEL.*REDIS_URL/,
    );
  });
});
