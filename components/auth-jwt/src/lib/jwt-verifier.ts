import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { LRUCache } from 'lru-cache';
import { AuthenticationError } from '@metastore/errors';
import type { JwtConfig } from './jwt.config';

/** The claims of a token whose signature, algorithm, times, issuer and audience were checked. */
export interface VerifiedToken {
  readonly subject: string;
  /** Unique token id (`jti`), when the token has one: what revocation lists name. */
  readonly tokenId?: string;
  readonly expiresAt: Date;
  readonly claims: Readonly<JwtPayload>;
}

/** Messages that say what was wrong without repeating anything from the token. */
function reasonOf(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return 'the token has expired';
  if (error instanceof jwt.NotBeforeError) return 'the token is not valid yet';
  if (error instanceof jwt.JsonWebTokenError) {
    if (/signature/.test(error.message)) return 'the token signature is invalid';
    if (/algorithm/.test(error.message)) return 'the token is signed with an algorithm this service does not accept';
    if (/audience/.test(error.message)) return 'the token is meant for another audience';
    if (/issuer/.test(error.message)) return 'the token comes from another issuer';
    if (/malformed|invalid token|Unexpected token/.test(error.message)) return 'the token is malformed';
  }
  return 'the token cannot be verified';
}

/** How many verified tokens a verifier remembers, and for how long at most (each also only until its `exp`). */
export interface VerifiedTokenCacheOptions {
  readonly maxTokens: number;
  readonly maxAgeMs: number;
}

/** The default: 10,000 tokens (a few MB), each at most 60 s. */
export const DEFAULT_VERIFIED_TOKEN_CACHE: VerifiedTokenCacheOptions = { maxTokens: 10_000, maxAgeMs: 60_000 };

/** Options of a verifier: its clock (for tests) and its verified-token cache (`false`: none). */
export interface JwtVerifierOptions {
  readonly clock?: () => number;
  readonly cache?: VerifiedTokenCacheOptions | false;
}

/**
 * Verifies bearer JWTs against the configured key and pinned algorithms.
 *
 * The key is a `KeyObject` made once: given a string or Buffer, jsonwebtoken builds one on every verification (and for a
 * secret first tries, and fails, to read it as a public key), which was a third of the API's CPU on reads. A token that
 * verified is remembered by its exact string (a changed signature or payload is another string: never a hit) until its
 * `exp`, and at most `maxAgeMs` (a rotated key set is thus seen within that bound). Only successful verifications are
 * remembered, so the algorithm, issuer, audience and `nbf` checks are not skipped for anything new. Revocation is not the
 * verifier's business: the caller checks it on every request, cached or not.
 */
export class JwtVerifier {
  private readonly jwks: JwksClient | undefined;
  /** The secret or public key, made once; undefined with a key set (keys by `kid`, see `jwksKeys`). */
  private readonly key: KeyObject | undefined;
  /** Public keys of the key set by their PEM, so that jsonwebtoken is never handed a string to parse again. */
  private readonly jwksKeys = new LRUCache<string, KeyObject>({ max: 64 });
  private readonly verified: LRUCache<string, VerifiedToken> | undefined;
  private readonly clock: () => number;

  constructor(
    private readonly config: JwtConfig,
    options: JwtVerifierOptions = {},
  ) {
    const verification = config.verification;
    this.clock = options.clock ?? Date.now;
    this.key =
      verification.type === 'secret'
        ? createSecretKey(verification.secret)
        : verification.type === 'public-key'
          ? verification.key
          : undefined;
    this.jwks =
      verification.type === 'jwks'
        ? new JwksClient({
            jwksUri: verification.url,
            cache: true,
            cacheMaxAge: verification.cacheMaxAgeMs,
            rateLimit: true,
            jwksRequestsPerMinute: 10,
            timeout: 5000,
          })
        : undefined;
    const cache = options.cache ?? DEFAULT_VERIFIED_TOKEN_CACHE;
    this.verified = cache
      ? new LRUCache<string, VerifiedToken>({
          max: cache.maxTokens,
          ttl: cache.maxAgeMs,
          // Ages read from the verifier's clock, each time (no cached 'now').
          ttlResolution: 0,
          perf: { now: () => this.clock() },
        })
      : undefined;
  }

  /** The verified claims of `token`; any failure is an AuthenticationError (401). */
  async verify(token: string): Promise<VerifiedToken> {
    const now = this.clock();
    const remembered = this.remembered(token, now);
    if (remembered !== undefined) return remembered;
    const verified = await this.verifyFully(token, now);
    const lifetimeMs = verified.expiresAt.getTime() - now;
    if (this.verified && lifetimeMs > 0) this.verified.set(token, verified, { ttl: Math.min(lifetimeMs, this.verified.ttl) });
    return verified;
  }

  /**
   * The claims of `token` when it was verified recently and has not expired (what `verify` answers without verifying
   * again), else undefined: for a caller that answers synchronously when it can and calls `verify` otherwise.
   */
  remembered(token: string, now = this.clock()): VerifiedToken | undefined {
    const remembered = this.verified?.get(token);
    // The expiry is checked here too: the cache's own age limit is not the token's.
    return remembered !== undefined && remembered.expiresAt.getTime() > now ? remembered : undefined;
  }

  private async verifyFully(token: string, now: number): Promise<VerifiedToken> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new AuthenticationError('the token is malformed');
    const algorithm = decoded.header.alg;
    // Checked before any key is looked up: `none`, and algorithms outside the configured set, never reach a verifier.
    if (!(this.config.algorithms as readonly string[]).includes(algorithm)) {
      throw new AuthenticationError('the token is signed with an algorithm this service does not accept');
    }
    const key = this.key ?? (await this.jwksKeyFor(decoded.header.kid));
    let payload: JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [...this.config.algorithms],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockSkewSeconds,
        clockTimestamp: Math.floor(now / 1000),
      }) as JwtPayload;
    } catch (error) {
      throw new AuthenticationError(reasonOf(error), { cause: error });
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthenticationError('the token has no subject (sub)');
    if (typeof payload.exp !== 'number') throw new AuthenticationError('the token has no expiry (exp); tokens must expire');
    return Object.freeze({
      subject: payload.sub,
      ...(typeof payload.jti === 'string' ? { tokenId: payload.jti } : {}),
      expiresAt: new Date(payload.exp * 1000),
      claims: Object.freeze(payload),
    });
  }

  private async jwksKeyFor(keyId: string | undefined): Promise<KeyObject> {
    if (!keyId) throw new AuthenticationError('the token names no key (kid), and keys come from a key set');
    let pem: string;
    try {
      pem = (await this.jwks!.getSigningKey(keyId)).getPublicKey();
    } catch (error) {
      const unknown = (error as { name?: string }).name === 'SigningKeyNotFoundError';
      throw new AuthenticationError(unknown ? 'the token is signed with an unknown key' : 'the signing keys cannot be fetched', {
        cause: error,
      });
    }
    let key = this.jwksKeys.get(pem);
    if (!key) this.jwksKeys.set(pem, (key = createPublicKey(pem)));
    return key;
  }
}
