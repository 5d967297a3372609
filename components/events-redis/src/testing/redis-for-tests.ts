import { startRedisServer, type TestRedis } from './redis-server';

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A Redis for tests: `REDIS_URL` when set (CI's shared server; never stopped here); else a container from
 * `@testcontainers/redis` when a container runtime works; else `redis-server` from PATH on a free port.
 */
export async function redisForTests(): Promise<TestRedis> {
  const fromEnvironment = process.env['REDIS_URL'];
  if (fromEnvironment) return { url: fromEnvironment, stop: async () => undefined };
  const reasons: string[] = [];
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer(process.env['REDIS_TEST_IMAGE'] ?? 'redis:7-alpine').start();
    return {
      url: container.getConnectionUrl(),
      stop: async () => {
        await container.stop();
      },
    };
  } catch (error) {
    reasons.push(`testcontainers: ${reason(error)}`);
  }
  try {
    return await startRedisServer();
  } catch (error) {
    reasons.push(`redis-server: ${reason(error)}`);
  }
  throw new Error(
    `no Redis for tests: set REDIS_URL (such as redis://127.0.0.1:6379), start a container runtime for testcontainers, or install redis-server on PATH (${reasons.join('; ')})`,
  );
}
