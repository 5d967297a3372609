import { StorageUnavailableError } from '@metastore/errors';
import { CachedRevocations, type RevocationLogger } from './revocation.cache';
import type { RevocationSource } from './revocation.port';

/** A revocation list in memory that can be taken down, or made to hang, counting loads. */
class SwitchableList implements RevocationSource {
  readonly ids = new Set<string>();
  down = false;
  hang = false;
  loads = 0;
  async revoke(tokenId: string): Promise<void> {
    if (this.down) throw new StorageUnavailableError('the catalog database is down');
    this.ids.add(tokenId);
  }
  async isRevoked(tokenId: string): Promise<boolean> {
    return this.ids.has(tokenId);
  }
  async revokedTokenIds(): Promise<readonly string[]> {
    this.loads += 1;
    if (this.hang) return new Promise(() => undefined);
    if (this.down) throw new StorageUnavailableError('the catalog database is down');
    return [...this.ids];
  }
}

function setup(options: { ttlMs?: number; staleMs?: number; loadTimeoutMs?: number } = {}) {
  const list = new SwitchableList();
  let now = 1_000_000;
  const logged: { level: string; message: string }[] = [];
  const logger: RevocationLogger = {
    info: (_object, message) => logged.push({ level: 'info', message }),
    warn: (_object, message) => logged.push({ level: 'warn', message }),
    error: (_object, message) => logged.push({ level: 'error', message }),
  };
  const cache = new CachedRevocations(list, { ttlMs: 30_000, staleMs: 300_000, ...options, clock: () => now, logger });
  return { list, cache, logged, advance: (ms: number) => (now += ms) };
}

describe('CachedRevocations', () => {
  it('answers from the list loaded whole for its TTL, then loads it again; its own revocations count at once', async () => {
    const { list, cache, advance } = setup();
    list.ids.add('old');
    expect(await cache.isRevoked('old')).toBe(true);
    expect(await cache.isRevoked('other')).toBe(false);
    expect(list.loads).toBe(1);
    // Revoked by another replica: seen once the TTL has passed.
    list.ids.add('elsewhere');
    expect(await cache.isRevoked('elsewhere')).toBe(false);
    advance(30_000);
    expect(await cache.isRevoked('elsewhere')).toBe(true);
    expect(list.loads).toBe(2);
    await cache.revoke('here', new Date());
    expect(await cache.isRevoked('here')).toBe(true);
    expect(list.loads).toBe(2);
    expect(cache.health()).toMatchObject({ state: 'fresh', staleSeconds: 0 });
  });

  it('keeps its own revocation when a load that read the list before the revocation committed lands after it', async () => {
    const { list, cache, advance } = setup();
    expect(await cache.isRevoked('x')).toBe(false);
    advance(30_000);
    // The reload reads the list (without `late`), then the revocation commits, then the reload's answer lands.
    let release: () => void = () => undefined;
    const read = list.revokedTokenIds.bind(list);
    list.revokedTokenIds = async () => {
      const snapshot = await read();
      await new Promise<void>((resolve) => (release = resolve));
      return snapshot;
    };
    const reloading = cache.isRevoked('x');
    await new Promise((resolve) => setImmediate(resolve));
    await cache.revoke('late', new Date(Date.now() + 60_000));
    release();
    await reloading;
    expect(cache.revokedNow('late')).toBe(true);
    expect(await cache.isRevoked('late')).toBe(true);
  });

  it('keeps answering from the last list while it cannot be loaded, for at most the stale bound past its TTL, then fails closed with 503', async () => {
    const { list, cache, logged, advance } = setup();
    list.ids.add('revoked');
    await cache.isRevoked('x');
    list.down = true;
    advance(31_000);
    expect(await cache.isRevoked('revoked')).toBe(true);
    expect(await cache.isRevoked('fine')).toBe(false);
    expect(cache.health()).toMatchObject({ state: 'stale', staleSeconds: 31 });
    expect(logged).toEqual([{ level: 'warn', message: 'the revocation list cannot be read: the last one loaded answers meanwhile' }]);
    advance(299_000);
    expect(await cache.isRevoked('fine')).toBe(false);
    expect(cache.health()).toMatchObject({ state: 'stale', staleSeconds: 330 });
    advance(1);
    await expect(cache.isRevoked('fine')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await expect(cache.isRevoked('revoked')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(cache.health()).toMatchObject({ state: 'unavailable' });
    expect(logged.filter((entry) => entry.level === 'error')).toHaveLength(1);

    list.down = false;
    advance(1_000);
    expect(await cache.isRevoked('revoked')).toBe(true);
    expect(cache.health()).toEqual({ state: 'fresh', staleSeconds: 0, loadedAt: expect.any(Date) });
    expect(logged.at(-1)).toEqual({ level: 'info', message: 'the revocation list can be read again' });
  });

  it('tries to load a failing list at most once a second, not on every request', async () => {
    const { list, cache, advance } = setup();
    await cache.isRevoked('x');
    list.down = true;
    advance(30_000);
    for (let i = 0; i < 10; i++) await cache.isRevoked('x');
    expect(list.loads).toBe(2);
    advance(1_000);
    await cache.isRevoked('x');
    expect(list.loads).toBe(3);
  });

  it('refuses at once when no list was ever loaded (a revocation is never guessed)', async () => {
    const { list, cache } = setup();
    list.down = true;
    await expect(cache.isRevoked('x')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(cache.health()).toMatchObject({ state: 'unavailable', staleSeconds: 0 });
  });

  it('answers from the last list when a load hangs, after the load timeout', async () => {
    const { list, cache, advance } = setup({ loadTimeoutMs: 20 });
    list.ids.add('revoked');
    await cache.isRevoked('x');
    list.hang = true;
    advance(30_000);
    expect(await cache.isRevoked('revoked')).toBe(true);
    expect(cache.health().state).toBe('stale');
  });

  it('with no stale bound, fails closed as soon as a load fails past the TTL', async () => {
    const { list, cache, advance } = setup({ ttlMs: 0, staleMs: 0 });
    await cache.isRevoked('x');
    list.down = true;
    advance(1);
    await expect(cache.isRevoked('x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});

describe('CachedRevocations.revokedNow (what isRevoked answers, known without waiting)', () => {
  it('is undefined before the first load and once the list is past its TTL; true or false while it is fresh', async () => {
    const { list, cache, advance } = setup();
    list.ids.add('old');
    expect(cache.revokedNow('old')).toBeUndefined();
    expect(cache.revokedNow('other')).toBeUndefined();
    expect(await cache.isRevoked('other')).toBe(false);
    expect(cache.revokedNow('old')).toBe(true);
    expect(cache.revokedNow('other')).toBe(false);
    advance(29_999);
    expect(cache.revokedNow('old')).toBe(true);
    // Stale (still usable by isRevoked while the database is down), never answered without loading.
    advance(1);
    expect(cache.revokedNow('old')).toBeUndefined();
    list.down = true;
    expect(await cache.isRevoked('old')).toBe(true);
    expect(cache.revokedNow('old')).toBeUndefined();
    list.down = false;
    advance(60_000);
    expect(await cache.isRevoked('old')).toBe(true);
    expect(cache.revokedNow('old')).toBe(true);
  });

  it("counts this process's revocation at once, and another replica's only after a reload", async () => {
    const { list, cache, advance } = setup();
    expect(await cache.isRevoked('mine')).toBe(false);
    await cache.revoke('mine', new Date(2_000_000));
    expect(cache.revokedNow('mine')).toBe(true);
    list.ids.add('elsewhere');
    expect(cache.revokedNow('elsewhere')).toBe(false);
    advance(30_000);
    expect(cache.revokedNow('elsewhere')).toBeUndefined();
    expect(await cache.isRevoked('elsewhere')).toBe(true);
    expect(cache.revokedNow('elsewhere')).toBe(true);
  });
});
