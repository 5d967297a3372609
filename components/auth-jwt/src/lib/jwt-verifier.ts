import type { KeyObject } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
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

/** Verifies bearer JWTs against the configured key and pinned algorithms. */
export class JwtVerifier {
  private readonly jwks: JwksClient | undefined;

  constructor(private readonly config: JwtConfig) {
    const verification = config.verification;
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
  }

  /** The verified claims of `token`; any failure is an AuthenticationError (401). */
  async verify(token: string): Promise<VerifiedToken> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw new AuthenticationError('the token is malformed');
    const algorithm = decoded.header.alg;
    // Checked before any key is looked up: `none`, and algorithms outside the configured set, never reach a verifier.
    if (!(this.config.algorithms as readonly string[]).includes(algorithm)) {
      throw new AuthenticationError('the token is signed with an algorithm this service does not accept');
    }
    const key = await this.keyFor(decoded.header.kid);
    let payload: JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [...this.config.algorithms],
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockSkewSeconds,
      }) as JwtPayload;
    } catch (error) {
      throw new AuthenticationError(reasonOf(error), { cause: error });
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthenticationError('the token has no subject (sub)');
    if (typeof payload.exp !== 'number') throw new AuthenticationError('the token has no expiry (exp); tokens must expire');
    return {
      subject: payload.sub,
      ...(typeof payload.jti === 'string' ? { tokenId: payload.jti } : {}),
      expiresAt: new Date(payload.exp * 1000),
      claims: payload,
    };
  }

  private async keyFor(keyId: string | undefined): Promise<Buffer | KeyObject | string> {
    const verification = this.config.verification;
    if (verification.type === 'secret') return verification.secret;
    if (verification.type === 'public-key') return verification.key;
    if (!keyId) throw new AuthenticationError('the token names no key (kid), and keys come from a key set');
    try {
      return (await this.jwks!.getSigningKey(keyId)).getPublicKey();
    } catch (error) {
      const unknown = (error as { name?: string }).name === 'SigningKeyNotFoundError';
      throw new AuthenticationError(unknown ? 'the token is signed with an unknown key' : 'the signing keys cannot be fetched', {
        cause: error,
      });
    }
  }
}
