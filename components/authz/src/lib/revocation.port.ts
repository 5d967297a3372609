/** Revoked token ids (`jti`), kept until the tokens would have expired anyway. Implemented by the catalog database. */
export interface RevocationList {
  /** Revokes a token; idempotent. */
  revoke(tokenId: string, expiresAt: Date): Promise<void>;
  /** Whether a token was revoked. */
  isRevoked(tokenId: string): Promise<boolean>;
  /** Optional: what `isRevoked` would answer, when it is known without waiting (a fresh copy of the list); else undefined. */
  revokedNow?(tokenId: string): boolean | undefined;
}

/** A revocation list that can also be read whole (the catalog database's), so that a copy can answer for any token. */
export interface RevocationSource extends RevocationList {
  /** Every revoked token id that has not expired. */
  revokedTokenIds(): Promise<readonly string[]>;
}
