import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ConfigurationError } from '@metastore/errors';
import type { JwtConfig } from './jwt.config';

/** What an issued token says: its subject, display claims, scopes and roles. */
export interface TokenClaims {
  readonly sub: string;
  readonly name?: string;
  readonly email?: string;
  /** OAuth-style space-separated scopes, e.g. `obj:acme/*:read obj:acme/rain:write`. */
  readonly scope?: string;
  readonly roles?: Readonly<Record<string, string>>;
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

  /** A token for `claims`, valid for `lifetimeSeconds`, with a fresh `jti`. */
  issue(claims: TokenClaims, lifetimeSeconds: number): IssuedToken {
    const signing = this.config.signing;
    if (!signing) throw new ConfigurationError('this service has no JWT signing key (METASTORE_JWT_SECRET or METASTORE_JWT_PRIVATE_KEY)');
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
