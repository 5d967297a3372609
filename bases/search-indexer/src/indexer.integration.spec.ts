import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import Redis from 'ioredis';
import { storedEventForTests, type TestEventOptions } from '@metastore/events/testing';
import { RedisEventStream } from '@metastore/events-redis';
import { deleteStreamKeys, redisForTests, uniqueStreamKey, type TestRedis } from '@metastore/events-redis/testing';
import { loadIndexerConfig } from '@metastore/runtime';
import type { ApplyOutcome } from '@metastore/search-index';
import { startSearchIndexer } from './indexer';

// Real Redis (redisForTests: REDIS_URL, a container or redis-server), real files.
jest.setTimeout(60_000);

const root = path.resolve(__dirname, '../../..');
const weather = {
  name: 'weather',
  title: 'Weather observations',
  description: 'Hourly temperature and rain',
  keywords: ['climate', 'rain'],
};
const event = (sequence: number, options: TestEventOptions = {}) => storedEventForTests(sequence, options);

let redis: TestRedis;
let dataDir: string;
let stream: string;

beforeAll(async () => {
  redis = await redisForTests();
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'search-indexer-'));
  stream = uniqueStreamKey('test:search-indexer');
});
afterEach(async () => {
  await deleteStreamKeys(redis.url, stream).catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

async function waitUntil(condition: () => boolean, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('search indexer, against Redis', () => {
  it('follows the stream into the index and ignores an entry replayed into it', async () => {
    const publisher = new RedisEventStream({ redis: redis.url, stream });
    const outcomes: ApplyOutcome[] = [];
    const config = loadIndexerConfig({ REDIS_URL: redis.url, METASTORE_EVENTS_STREAM: stream, INDEXER_DATA_DIR: dataDir });
    const running = await startSearchIndexer(config, {
      logger: pino({ level: 'silent' }),
      blockMs: 200,
      onApplied: (outcome) => outcomes.push(outcome),
    });
    const client = new Redis(redis.url);
    try {
      await publisher.publish([
        event(1, { type: 'dataset.created', descriptor: weather }),
        event(2, { type: 'dataset.created', subject: 'acme/rivers', descriptor: { name: 'rivers', title: 'River levels' } }),
        event(3, { type: 'dataset.updated', descriptor: { ...weather, title: 'Weather v2' } }),
        event(4, { type: 'dataset.deleted', subject: 'acme/rivers' }),
      ]);
      await waitUntil(() => outcomes.length === 4);
      expect(running.indexer.list().map((dataset) => [dataset.id, dataset.title])).toEqual([['acme/weather', 'Weather v2']]);
      expect(running.consumer.group).toBe('search-indexer');
      // An entry copied into the stream again (at-least-once delivery upstream): same event, same sequence.
      const [, fields] = (await client.xrange(stream, '-', '+', 'COUNT', 1))[0]!;
      await client.xadd(stream, '*', ...fields);
      await waitUntil(() => outcomes.length === 5);
      expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied', 'duplicate']);
      expect(running.indexer.get('acme/weather')?.title).toBe('Weather v2');
      expect(running.indexer.file).toBe(path.join(dataDir, 'search-index.json'));
    } finally {
      await running.stop();
      await publisher.close();
      client.disconnect();
    }
  });

  it('runs as a process: indexes what is published, stops on SIGTERM with 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bases/search-indexer/src/main.ts'], {
      cwd: root,
      env: {
        PATH: process.env['PATH'],
        REDIS_URL: redis.url,
        METASTORE_EVENTS_STREAM: stream,
        INDEXER_DATA_DIR: dataDir,
        LOG_LEVEL: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const publisher = new RedisEventStream({ redis: redis.url, stream });
    try {
      await waitUntil(() => output.includes('search indexer started'), 30_000);
      await publisher.publish([event(1, { type: 'dataset.created', descriptor: weather })]);
      await waitUntil(() => output.includes('event indexed'), 30_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('search indexer stopped');
    } finally {
      child.kill('SIGKILL');
      await publisher.close();
    }
  });

  it('exits 2 naming a bad variable', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', 'bases/search-indexer/src/main.ts'],
        { cwd: root, env: { PATH: process.env['PATH'], INDEXER_CONSUMER: 'has space' } },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
      ),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^metastore-search-indexer: invalid configuration: INDEXER_CONSUMER/);
  });
});
