import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ConfigurationError } from '@metastore/errors';

/** The algorithms Metastore accepts; `none` never. */
export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

/** Where verification keys come from. */
export type VerificationKey =
  | { readonly type: 'secret'; readonly secret: Buffer }
  | { readonly type: 'public-key'; readonly key: KeyObject }
  | { readonly type: 'jwks'; readonly url: string; readonly cacheMaxAgeMs: number };

/** How tokens are verified (and, when a signing key is known, issued). */
export interface JwtConfig {
  readonly algorithms: readonly JwtAlgorithm[];
  readonly issuer: string;
  readonly audience: string;
  readonly clockSkewSeconds: number;
  readonly verification: VerificationKey;
  /**
   * Signs tokens this service issues: the shared secret (HS256), or a private key (RS256/ES256). Absent with JWKS without a private key.
   */
  readonly signing?: { readonly algorithm: JwtAlgorithm; readonly key: Buffer | KeyObject; readonly keyId?: string };
  /** True when the secret was generated for this installation (the embedded default), not configured. */
  readonly localSecret: boolean;
}

const ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;

/**
 * The JWT settings' environment variables: parser, default and meaning of each (the runtime documents them in the README; `secret`:
 * a value never echoed, `documentedWith`: listed in another variable's row, `shownDefault`: the default as the README shows it).
 */
export const jwtVariables = z.object({
  METASTORE_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (256 bits)').optional().meta({
    secret: true,
    shownDefault: '(generated)',
    description:
      'HS256 shared secret (32+ characters). Unset, with no other key: a secret generated in `<data dir>/jwt-secret` on first start',
  }),
  METASTORE_JWT_PUBLIC_KEY: z.string().optional().meta({
    shownDefault: '',
    description:
      'RS256/ES256 instead: a PEM public key, or a JWKS URL (keys cached, rotated by `kid`); `METASTORE_JWT_PRIVATE_KEY` (+ `METASTORE_JWT_KEY_ID`) lets the API sign scoped tokens too (without it `POST /tokens` is 501 `TOKEN_MINTING_UNAVAILABLE`)',
  }),
  METASTORE_JWT_JWKS_URL: z.url().optional().meta({ documentedWith: 'METASTORE_JWT_PUBLIC_KEY' }),
  METASTORE_JWT_PRIVATE_KEY: z.string().optional().meta({ secret: true, documentedWith: 'METASTORE_JWT_PUBLIC_KEY' }),
  METASTORE_JWT_KEY_ID: z.string().min(1).max(200).optional().meta({ documentedWith: 'METASTORE_JWT_PUBLIC_KEY' }),
  METASTORE_JWT_JWKS_CACHE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(600)
    .meta({ description: 'how long keys fetched from `METASTORE_JWT_JWKS_URL` are kept before they are fetched again' }),
  METASTORE_JWT_ALGORITHMS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(ALGORITHMS)).min(1))
    .optional()
    .meta({ shownDefault: 'from the key', description: 'the accepted algorithms (HS256 never beside RS256/ES256)' }),
  METASTORE_JWT_ISSUER: z
    .string()
    .min(1)
    .default('metastore')
    .meta({ description: 'checked `iss`, `aud`, and the tolerance on `exp`/`nbf` (tokens must have `exp` and `sub`)' }),
  METASTORE_JWT_AUDIENCE: z.string().min(1).default('metastore').meta({ documentedWith: 'METASTORE_JWT_ISSUER' }),
  METASTORE_JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30).meta({ documentedWith: 'METASTORE_JWT_ISSUER' }),
});

/** Environment variables often carry a PEM on one line with literal `\n` escapes. */
function pem(value: string): string {
  return value.replace(/\\n/g, '\n').trim();
}

/** The algorithm a key can sign or verify with; undefined for keys Metastore does not accept. */
function algorithmOf(key: KeyObject): JwtAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  return undefined;
}

/**
 * Parses the JWT settings; throws a ConfigurationError naming each bad variable (never a value: they are secrets).
 * Without any key configured, `localSecret` (the embedded default's generated secret) makes it HS256.
 * HS256 is never combined with RS256/ES256: a verifier accepting both could be fooled by a token
 * "signed" with the public key as an HMAC secret.
 */
export function parseJwtConfig(env: Record<string, string | undefined>, localSecret?: string): JwtConfig {
  const values = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const result = jwtVariables.safeParse(values);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  if (!result.success) throw new ConfigurationError(problems.join('; '));
  const config = result.data;
  const sources = [config.METASTORE_JWT_SECRET, config.METASTORE_JWT_PUBLIC_KEY, config.METASTORE_JWT_JWKS_URL].filter(Boolean).length;
  if (sources > 1) problems.push('set exactly one of METASTORE_JWT_SECRET, METASTORE_JWT_PUBLIC_KEY, METASTORE_JWT_JWKS_URL');

  let verification: VerificationKey | undefined;
  let signing: JwtConfig['signing'];
  let natural: JwtAlgorithm[] = [];
  const secret = config.METASTORE_JWT_SECRET ?? (sources === 0 ? localSecret : undefined);
  if (secret !== undefined) {
    verification = { type: 'secret', secret: Buffer.from(secret, 'utf8') };
    signing = { algorithm: 'HS256', key: verification.secret };
    natural = ['HS256'];
  } else {
    let privateKey: KeyObject | undefined;
    if (config.METASTORE_JWT_PRIVATE_KEY) {
      try {
        privateKey = createPrivateKey(pem(config.METASTORE_JWT_PRIVATE_KEY));
      } catch {
        problems.push('METASTORE_JWT_PRIVATE_KEY: not a PEM private key');
      }
    }
    if (config.METASTORE_JWT_PUBLIC_KEY) {
      try {
        const key = createPublicKey(pem(config.METASTORE_JWT_PUBLIC_KEY));
        verification = { type: 'public-key', key };
      } catch {
        problems.push('METASTORE_JWT_PUBLIC_KEY: not a PEM public key (or certificate)');
      }
    } else if (config.METASTORE_JWT_JWKS_URL) {
      verification = { type: 'jwks', url: config.METASTORE_JWT_JWKS_URL, cacheMaxAgeMs: config.METASTORE_JWT_JWKS_CACHE_SECONDS * 1000 };
    } else if (privateKey) {
      verification = { type: 'public-key', key: createPublicKey(privateKey) };
    }
    const keyForAlgorithm = verification?.type === 'public-key' ? verification.key : privateKey;
    const algorithm = keyForAlgorithm ? algorithmOf(keyForAlgorithm) : undefined;
    if (keyForAlgorithm && !algorithm) problems.push('the JWT key must be RSA (RS256) or EC P-256 (ES256)');
    natural = algorithm ? [algorithm] : ['RS256', 'ES256'];
    if (privateKey && algorithm)
      signing = { algorithm, key: privateKey, ...(config.METASTORE_JWT_KEY_ID ? { keyId: config.METASTORE_JWT_KEY_ID } : {}) };
  }
  if (!verification && problems.length === 0) {
    problems.push('no JWT key: set METASTORE_JWT_SECRET (HS256), METASTORE_JWT_PUBLIC_KEY or METASTORE_JWT_JWKS_URL (RS256/ES256)');
  }
  const algorithms = config.METASTORE_JWT_ALGORITHMS ?? natural;
  const symmetric = verification?.type === 'secret';
  if (algorithms.some((algorithm) => (algorithm === 'HS256') !== symmetric)) {
    problems.push(
      `METASTORE_JWT_ALGORITHMS: ${symmetric ? 'a shared secret verifies HS256 only' : 'public keys verify RS256/ES256 only, never HS256'}`,
    );
  }
  if (problems.length > 0 || !verification) throw new ConfigurationError(problems.join('; '));
  return {
    algorithms,
    issuer: config.METASTORE_JWT_ISSUER,
    audience: config.METASTORE_JWT_AUDIENCE,
    clockSkewSeconds: config.METASTORE_JWT_CLOCK_SKEW_SECONDS,
    verification,
    ...(signing ? { signing } : {}),
    localSecret: config.METASTORE_JWT_SECRET === undefined && secret !== undefined,
  };
}
