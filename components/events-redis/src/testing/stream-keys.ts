import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

/** A stream key no other test uses: `<prefix>:<uuid>`. */
export function uniqueStreamKey(prefix = 'test:events'): string {
  return `${prefix}:${randomUUID()}`;
}

/** Deletes `key` and every key under `key:` (last sequence, dead letters) on the server at `url`. */
export async function deleteStreamKeys(url: string, key: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const keys = [key];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${key.replace(/[*?[\]\\]/g, '\\$&')}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
