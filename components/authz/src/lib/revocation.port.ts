/** Revoked token ids (`jti`), kept until the tokens would have expired anyway. Implemented by the catalog database. */
export interface RevocationList {
  /** Revokes a token; idempotent. */
  revoke(tokenId: string, expiresAt: Date): Promise<void>;
  /** Whether a token was revoked. */
  isRevoked(tokenId: string): Promise<boolean>;
}
