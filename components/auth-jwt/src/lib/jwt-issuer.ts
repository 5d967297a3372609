import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TokenMintingUnavailableError } from '@metastore/errors';
import type { ActorClaim } from '@metastore/authz';
import type { JwtConfig } from './jwt.config';

/** What an issued token says: its subject, display claims, scopes, roles and, for a delegated token, its actor. */
export interface TokenClaims {
  readonly sub: string;
  readonly name?: string;
  readonly email?: string;
  /** Scopes as a JSON array, one `obj:{owner}/{name}:{action}` per item: what Metastore issues. */
  readonly scopes?: readonly string[];
  /** OAuth-style space-separated scopes, as identity providers issue them (`obj:acme/*:read obj:acme/rain:write`). */
  readonly scope?: string;
  readonly roles?: Readonly<Record<string, string>>;
  /** RFC 8693: who acts with the token on its subject's behalf (authz's `ActorClaim`, the one definition). */
  readonly act?: ActorClaim;
}

/** A token and what identifies it (for revocation). */
export interface IssuedToken {
  readonly token: string;
  readonly tokenId: string;
  readonly expiresAt: Date;
}

/** Signs tokens with the configured signing key (development tokens, scoped tokens minted by admins). */
export class JwtIssuer {
  constructor(
    private readonly config: JwtConfig,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** True when this service holds a key to sign with. */
  get canIssue(): boolean {
    return this.config.signing !== undefined;
  }

  /** A token for `claims`, valid for `lifetimeSeconds`, with a fresh `jti`; TOKEN_MINTING_UNAVAILABLE without a signing key. */
  issue(claims: TokenClaims, lifetimeSeconds: number): IssuedToken {
    const signing = this.config.signing;
    if (!signing) {
      throw new TokenMintingUnavailableError(
        'this installation verifies tokens with public keys only and cannot sign any (no METASTORE_JWT_SECRET or METASTORE_JWT_PRIVATE_KEY): get tokens from the identity provider',
      );
    }
    const now = Math.floor(this.clock().getTime() / 1000);
    const tokenId = randomUUID();
    const token = jwt.sign({ ...claims, iat: now, nbf: now, exp: now + lifetimeSeconds }, signing.key, {
      algorithm: signing.algorithm,
      issuer: this.config.issuer,
      audience: this.config.audience,
      jwtid: tokenId,
      ...(signing.keyId ? { keyid: signing.keyId } : {}),
    });
    return { token, tokenId, expiresAt: new Date((now + lifetimeSeconds) * 1000) };
  }
}
