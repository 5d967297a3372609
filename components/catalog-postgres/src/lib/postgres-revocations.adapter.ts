import type { RevocationList } from '@metastore/authz';
import type { PrismaClient } from '../generated/prisma/client';
import { guarded } from './database-errors';

/** Revoked token ids in the catalog database's `revoked_tokens` table; expired entries are pruned as new ones arrive. */
export class PostgresRevocationList implements RevocationList {
  constructor(
    private readonly prisma: PrismaClient,
    /** The connection URL, only to keep its password out of error messages. */
    private readonly url: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async revoke(tokenId: string, expiresAt: Date): Promise<void> {
    await guarded(this.url, 'revoke a token', async () => {
      await this.prisma
        .$executeRaw`INSERT INTO revoked_tokens (token_id, expires_at) VALUES (${tokenId}, ${expiresAt}) ON CONFLICT (token_id) DO NOTHING`;
      // A token past its expiry is refused anyway: its revocation need not be kept.
      await this.prisma.$executeRaw`DELETE FROM revoked_tokens WHERE expires_at < ${this.clock()}`;
    });
  }

  /** Every revoked token id not yet past its expiry: the whole list, for a cache that must answer while the database is down. */
  async revokedTokenIds(): Promise<string[]> {
    const rows = await guarded(
      this.url,
      'read the revocation list',
      () =>
        this.prisma.$queryRaw<{ tokenId: string }[]>`SELECT token_id AS "tokenId" FROM revoked_tokens WHERE expires_at >= ${this.clock()}`,
    );
    return rows.map((row) => row.tokenId);
  }

  async isRevoked(tokenId: string): Promise<boolean> {
    const rows = await guarded(
      this.url,
      'check a token',
      () => this.prisma.$queryRaw<{ found: number }[]>`SELECT 1 AS found FROM revoked_tokens WHERE token_id = ${tokenId}`,
    );
    return rows.length > 0;
  }
}
