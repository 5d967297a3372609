export { redisForTests } from './testing/redis-for-tests';
export { freePort, startRedisServer } from './testing/redis-server';
export type { RedisServerProcess, TestRedis } from './testing/redis-server';
export { deleteStreamKeys, uniqueStreamKey } from './testing/stream-keys';
