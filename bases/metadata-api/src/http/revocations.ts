import { LRUCache } from 'lru-cache';
import type { RevocationList } from '@metastore/authz';

/**
 * The revocation list with a short cache in front (every authenticated request asks it). Revocations made through
 * this process take effect at once; those made by another replica within `ttlMs`.
 */
export class CachedRevocations implements RevocationList {
  private readonly cache: LRUCache<string, boolean>;

  constructor(
    private readonly list: RevocationList,
    ttlMs = 30_000,
  ) {
    this.cache = new LRUCache({ max: 10_000, ttl: ttlMs });
  }

  async revoke(tokenId: string, expiresAt: Date): Promise<void> {
    await this.list.revoke(tokenId, expiresAt);
    this.cache.set(tokenId, true);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    let revoked = this.cache.get(tokenId);
    if (revoked === undefined) {
      revoked = await this.list.isRevoked(tokenId);
      this.cache.set(tokenId, revoked);
    }
    return revoked;
  }
}
