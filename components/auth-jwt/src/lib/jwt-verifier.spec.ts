import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import { JwtIssuer } from './jwt-issuer';
import { parseJwtConfig } from './jwt.config';
import { JwtVerifier } from './jwt-verifier';

const SECRET = 's'.repeat(48);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pemOf = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const privatePemOf = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
const base64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) =>
  Object.fromEntries(
    Object.entries({ sub: 'alice', iss: 'metastore', aud: 'metastore', iat: now(), exp: now() + 600, ...extra }).filter(
      ([, value]) => value !== undefined,
    ),
  );

/** A token assembled by hand: any header, any payload, any signature. */
function forge(header: Record<string, unknown>, payload: Record<string, unknown>, sign: (input: string) => string = () => ''): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${sign(input)}`;
}

async function rejection(verifier: JwtVerifier, token: string): Promise<{ code: string; message: string }> {
  try {
    await verifier.verify(token);
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('the token was accepted');
}

describe('JwtVerifier: HS256 with a shared secret', () => {
  const config = parseJwtConfig({ METASTORE_JWT_SECRET: SECRET });
  const verifier = new JwtVerifier(config);

  it('accepts a token it issued, with subject, jti and expiry', async () => {
    const issued = new JwtIssuer(config).issue({ sub: 'alice', name: 'Alice', email: 'alice@example.com', scope: 'obj:acme/*:read' }, 600);
    const verified = await verifier.verify(issued.token);
    expect(verified).toMatchObject({ subject: 'alice', tokenId: issued.tokenId, claims: { name: 'Alice', scope: 'obj:acme/*:read' } });
  });

  it.each([
    ['alg none', forge({ alg: 'none', typ: 'JWT' }, claims()), /algorithm/],
    [
      'a tampered payload',
      (() => {
        const [header, , signature] = jwt.sign(claims(), SECRET, { algorithm: 'HS256' }).split('.');
        return `${header}.${base64url(claims({ sub: 'mallory' }))}.${signature}`;
      })(),
      /signature/,
    ],
    ['an expired token', jwt.sign(claims({ exp: now() - 120 }), SECRET, { algorithm: 'HS256' }), /expired/],
    ['a token not valid yet', jwt.sign(claims({ nbf: now() + 600 }), SECRET, { algorithm: 'HS256' }), /not valid yet/],
    ['another issuer', jwt.sign(claims({ iss: 'elsewhere' }), SECRET, { algorithm: 'HS256' }), /issuer/],
    ['another audience', jwt.sign(claims({ aud: 'other-service' }), SECRET, { algorithm: 'HS256' }), /audience/],
    ['a token without expiry', jwt.sign(claims({ exp: undefined }), SECRET, { algorithm: 'HS256' }), /expiry/],
    ['a token without subject', jwt.sign(claims({ sub: undefined }), SECRET, { algorithm: 'HS256' }), /subject/],
    ['another secret', jwt.sign(claims(), 'x'.repeat(48), { algorithm: 'HS256' }), /signature/],
    ['an RS256 token', jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' }), /algorithm/],
    ['garbage', 'not.a.jwt', /malformed/],
  ])('rejects %s with UNAUTHENTICATED and a message that repeats nothing of it', async (_label, token, reason) => {
    const { code, message } = await rejection(verifier, token);
    expect(code).toBe('UNAUTHENTICATED');
    expect(message).toMatch(reason);
    for (const part of token.split('.')) if (part.length > 8) expect(message).not.toContain(part);
  });

  it('allows the configured clock skew, and no more', async () => {
    expect((await verifier.verify(jwt.sign(claims({ exp: now() - 10 }), SECRET, { algorithm: 'HS256' }))).subject).toBe('alice');
    await expect(verifier.verify(jwt.sign(claims({ exp: now() - 31 }), SECRET, { algorithm: 'HS256' }))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
  });
});

describe('JwtVerifier: RS256 / ES256 with a public key', () => {
  it('accepts RS256 and refuses an HS256 token "signed" with the RSA public key as the secret (algorithm confusion)', async () => {
    const verifier = new JwtVerifier(parseJwtConfig({ METASTORE_JWT_PUBLIC_KEY: pemOf(rsa.publicKey) }));
    expect((await verifier.verify(jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' }))).subject).toBe('alice');
    const confused = forge({ alg: 'HS256', typ: 'JWT' }, claims(), (input) =>
      createHmac('sha256', pemOf(rsa.publicKey)).update(input).digest('base64url'),
    );
    expect(await rejection(verifier, confused)).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/algorithm/) });
  });

  it('accepts ES256 with an EC P-256 key, with PEM newlines written as \\n', async () => {
    const verifier = new JwtVerifier(parseJwtConfig({ METASTORE_JWT_PUBLIC_KEY: pemOf(ec.publicKey).replace(/\n/g, '\\n') }));
    expect((await verifier.verify(jwt.sign(claims(), ec.privateKey, { algorithm: 'ES256' }))).subject).toBe('alice');
    expect((await rejection(verifier, jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' }))).code).toBe('UNAUTHENTICATED');
  });

  it('issues with a private key (the verifier then uses its public half)', async () => {
    const config = parseJwtConfig({ METASTORE_JWT_PRIVATE_KEY: privatePemOf(ec.privateKey) });
    const token = new JwtIssuer(config).issue({ sub: 'bot' }, 60).token;
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('ES256');
    expect((await new JwtVerifier(config).verify(token)).subject).toBe('bot');
  });
});

describe('JwtVerifier: keys from a JWKS URL', () => {
  let server: Server;
  let keys: Record<string, unknown>[] = [];
  let fetches = 0;
  let url = '';
  const second = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' });

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('picks the key by kid, caches it, follows a rotation, and rejects an unknown kid', async () => {
    keys = [jwk(rsa.publicKey, 'k1')];
    const verifier = new JwtVerifier(parseJwtConfig({ METASTORE_JWT_JWKS_URL: url }));
    const first = jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256', keyid: 'k1' });
    expect((await verifier.verify(first)).subject).toBe('alice');
    expect((await verifier.verify(first)).subject).toBe('alice');
    expect(fetches).toBe(1);
    // Rotation: the issuer publishes k2 beside k1; a token signed with k2 makes the verifier refetch.
    keys = [jwk(rsa.publicKey, 'k1'), jwk(second.publicKey, 'k2')];
    expect((await verifier.verify(jwt.sign(claims(), second.privateKey, { algorithm: 'RS256', keyid: 'k2' }))).subject).toBe('alice');
    expect(await rejection(verifier, jwt.sign(claims(), second.privateKey, { algorithm: 'RS256', keyid: 'k9' }))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'the token is signed with an unknown key',
    });
    expect(await rejection(verifier, jwt.sign(claims(), second.privateKey, { algorithm: 'RS256', keyid: 'k1' }))).toMatchObject({
      message: expect.stringMatching(/signature/),
    });
    expect(await rejection(verifier, jwt.sign(claims(), rsa.privateKey, { algorithm: 'RS256' }))).toMatchObject({
      message: expect.stringMatching(/no key/),
    });
  });
});

describe('parseJwtConfig', () => {
  const message = (env: Record<string, string>) => {
    try {
      parseJwtConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    return '';
  };

  it('refuses HS256 beside public keys, short secrets, two key sources, and never echoes a secret', () => {
    expect(message({ METASTORE_JWT_PUBLIC_KEY: pemOf(rsa.publicKey), METASTORE_JWT_ALGORITHMS: 'RS256,HS256' })).toMatch(/never HS256/);
    expect(message({ METASTORE_JWT_SECRET: SECRET, METASTORE_JWT_ALGORITHMS: 'HS256,RS256' })).toMatch(/HS256 only/);
    expect(message({ METASTORE_JWT_SECRET: 'short-secret' })).toMatch(/at least 32/);
    expect(message({ METASTORE_JWT_SECRET: SECRET, METASTORE_JWT_JWKS_URL: 'https://id.example/jwks' })).toMatch(/exactly one/);
    expect(message({ METASTORE_JWT_ALGORITHMS: 'none', METASTORE_JWT_SECRET: SECRET })).toContain('METASTORE_JWT_ALGORITHMS');
    expect(message({})).toMatch(/no JWT key/);
    expect(message({ METASTORE_JWT_SECRET: 'short-secret' })).not.toContain('short-secret');
  });

  it('falls back to the installation’s generated secret when nothing is configured', () => {
    expect(parseJwtConfig({}, SECRET)).toMatchObject({ algorithms: ['HS256'], localSecret: true });
    expect(parseJwtConfig({ METASTORE_JWT_PUBLIC_KEY: pemOf(rsa.publicKey) }, SECRET)).toMatchObject({
      algorithms: ['RS256'],
      localSecret: false,
    });
  });
});

describe('JwtVerifier: the verified-token cache', () => {
  const config = parseJwtConfig({ METASTORE_JWT_SECRET: SECRET });
  const start = Date.now();
  /** A verifier whose clock the test moves, with its cache (or none). */
  const verifierAt = (cache: boolean) => {
    const clock = { now: start };
    return { clock, verifier: new JwtVerifier(config, { clock: () => clock.now, ...(cache ? {} : { cache: false as const }) }) };
  };
  const at = (seconds: number) => Math.floor(start / 1000) + seconds;
  const sign = (extra: Record<string, unknown>) => jwt.sign(claims({ iat: at(0), exp: at(600), ...extra }), SECRET, { algorithm: 'HS256' });
  const outcome = async (verifier: JwtVerifier, token: string) => {
    try {
      return { accepted: (await verifier.verify(token)).claims };
    } catch (error) {
      return { refused: (error as Error).message };
    }
  };

  it.each([
    ['expired since (past exp and the clock skew)', sign({ exp: at(60) }), 60 + 31, /expired/],
    ['expired right at exp, within the skew: verified again, still accepted', sign({ exp: at(60) }), 60 + 10, undefined],
    ['cached before its nbf? never: it was refused then, and is accepted once valid', sign({ nbf: at(120) }), 121, undefined],
  ])('a token %s', async (_label, token, laterSeconds, reason) => {
    const { clock, verifier } = verifierAt(true);
    const first = await outcome(verifier, token);
    clock.now = start + laterSeconds * 1000;
    const later = await outcome(verifier, token);
    if (reason) {
      expect(first).toHaveProperty('accepted');
      expect(later).toEqual({ refused: expect.stringMatching(reason) });
    } else {
      expect(later).toHaveProperty('accepted');
    }
  });

  it('never answers for a token whose signature or payload changed: each is verified, and refused', async () => {
    const { verifier } = verifierAt(true);
    const token = sign({});
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const middle = Math.floor(signature.length / 2);
    const flipped = `${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`;
    const variants = [
      `${header}.${payload}.${flipped}`,
      `${header}.${base64url(claims({ sub: 'mallory', exp: at(600) }))}.${signature}`,
      `${header}.${payload}.`,
      `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`,
    ];
    for (const variant of variants) expect((await rejection(verifier, variant)).code).toBe('UNAUTHENTICATED');
    expect((await verifier.verify(token)).subject).toBe('alice');
  });

  it('forgets a token after at most its maximum age, even before its exp', async () => {
    const clock = { now: start };
    const verifier = new JwtVerifier(config, { clock: () => clock.now, cache: { maxTokens: 10, maxAgeMs: 5_000 } });
    // jsonwebtoken's verify runs only on a miss: count its calls (it still runs for real).
    const signatureChecks = jest.spyOn(jwt, 'verify');
    try {
      const token = sign({});
      await verifier.verify(token);
      await verifier.verify(token);
      expect(signatureChecks).toHaveBeenCalledTimes(1);
      clock.now += 5_001;
      await verifier.verify(token);
      expect(signatureChecks).toHaveBeenCalledTimes(2);
    } finally {
      signatureChecks.mockRestore();
    }
  });

  it('answers as a verifier without a cache would, for any tokens verified in any order as time passes (property)', async () => {
    const kinds = [
      () => sign({}),
      () => sign({ exp: at(20) }),
      () => sign({ exp: at(90) }),
      () => sign({ nbf: at(45) }),
      () => sign({ iss: 'elsewhere' }),
      () => jwt.sign(claims({ iat: at(0), exp: at(600) }), 'x'.repeat(48), { algorithm: 'HS256' }),
      () => sign({ sub: 'bob', jti: 'token-1' }),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ kind: fc.integer({ min: 0, max: kinds.length - 1 }), advanceSeconds: fc.integer({ min: 0, max: 40 }) }), {
          maxLength: 30,
        }),
        async (steps) => {
          const tokens = kinds.map((make) => make());
          const cached = verifierAt(true);
          const uncached = verifierAt(false);
          for (const step of steps) {
            cached.clock.now += step.advanceSeconds * 1000;
            uncached.clock.now = cached.clock.now;
            const token = tokens[step.kind]!;
            expect(await outcome(cached.verifier, token)).toEqual(await outcome(uncached.verifier, token));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('JwtVerifier.remembered (what verify answers, known without waiting)', () => {
  const config = parseJwtConfig({ METASTORE_JWT_SECRET: SECRET });
  const start = Date.now();
  const at = (seconds: number) => Math.floor(start / 1000) + seconds;
  const sign = (extra: Record<string, unknown>) => jwt.sign(claims({ iat: at(0), exp: at(60), ...extra }), SECRET, { algorithm: 'HS256' });

  it('is undefined before verify, the verified token after, and undefined from its exp on (on the verifier clock)', async () => {
    const clock = { now: start };
    const verifier = new JwtVerifier(config, { clock: () => clock.now });
    const token = sign({});
    expect(verifier.remembered(token)).toBeUndefined();
    const verified = await verifier.verify(token);
    expect(verifier.remembered(token)).toBe(verified);
    expect(verifier.remembered(sign({ sub: 'mallory' }))).toBeUndefined();
    clock.now = at(60) * 1000 - 1;
    expect(verifier.remembered(token)).toBe(verified);
    // At exp the token is no longer remembered (verify checks it again, within the clock skew).
    clock.now = at(60) * 1000;
    expect(verifier.remembered(token)).toBeUndefined();
    expect(verifier.remembered(token, at(30) * 1000)).toBe(verified);
  });

  it('remembers nothing refused, nor anything without a cache', async () => {
    const clock = { now: start };
    const verifier = new JwtVerifier(config, { clock: () => clock.now });
    const early = sign({ nbf: at(120) });
    await expect(verifier.verify(early)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(verifier.remembered(early)).toBeUndefined();
    const uncached = new JwtVerifier(config, { clock: () => clock.now, cache: false });
    const token = sign({});
    await uncached.verify(token);
    expect(uncached.remembered(token)).toBeUndefined();
  });
});
