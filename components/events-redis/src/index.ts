export {
  parseRedisEventsConfig,
  redisEventsVariables,
  DEFAULT_EVENTS_MAX_LENGTH,
  DEFAULT_EVENTS_STREAM,
  DEFAULT_REDIS_URL,
} from './lib/redis-events.config';
export type { RedisEventsConfig } from './lib/redis-events.config';
export { createRedisClient, redactRedisUrl } from './lib/redis-connection';
export type { RedisConnectionLogger, RedisConnectionOptions } from './lib/redis-connection';
export { lastSequenceKey, RedisEventStream } from './lib/redis-event-stream.adapter';
export type { RedisEventStreamOptions } from './lib/redis-event-stream.adapter';
export { asyncApiDocument } from './lib/redis-asyncapi';
export type { AsyncApiDocument, AsyncApiMessage, AsyncApiMessageExample, AsyncApiOptions } from './lib/redis-asyncapi';
export { StreamConsumer } from './lib/stream-consumer.service';
export type {
  DeliveryMeta,
  StreamConsumerConnectionRole,
  StreamConsumerLogger,
  StreamConsumerOptions,
  StreamEventHandler,
} from './lib/stream-consumer.service';
