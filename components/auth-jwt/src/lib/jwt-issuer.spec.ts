import { generateKeyPairSync } from 'node:crypto';
import { TokenMintingUnavailableError } from '@metastore/errors';
import { JwtIssuer } from './jwt-issuer';
import { parseJwtConfig } from './jwt.config';
import { JwtVerifier } from './jwt-verifier';

describe('JwtIssuer', () => {
  it('signs scopes as a JSON array and the actor as a nested act claim, as the verifier returns them', async () => {
    const config = parseJwtConfig({ METASTORE_JWT_SECRET: 's'.repeat(48) });
    const claims = { sub: 'alice', scopes: ['obj:acme/x:read', 'obj:acme/x:tag'], act: { sub: 'ci-nightly', act: { sub: 'deployer' } } };
    const issued = new JwtIssuer(config).issue(claims, 600);
    expect((await new JwtVerifier(config).verify(issued.token)).claims).toMatchObject(claims);
  });

  it.each([
    ['a JWKS URL', { METASTORE_JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' }],
    [
      'a public key',
      {
        METASTORE_JWT_PUBLIC_KEY: generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString(),
      },
    ],
  ])('cannot sign when it verifies with %s only: TOKEN_MINTING_UNAVAILABLE, not a configuration error', (_label, env) => {
    const issuer = new JwtIssuer(parseJwtConfig(env));
    expect(issuer.canIssue).toBe(false);
    expect(() => issuer.issue({ sub: 'alice' }, 60)).toThrow(TokenMintingUnavailableError);
    expect(() => issuer.issue({ sub: 'alice' }, 60)).toThrow(expect.objectContaining({ code: 'TOKEN_MINTING_UNAVAILABLE' }));
  });
});
