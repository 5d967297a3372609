import { mayMint, mayRevoke, mintedClaims, mintScopes, parseMintRequest, parsePrincipal } from '@metastore/authz';
import { AuthenticationError, ValidationError } from '@metastore/errors';
import { accessContext, principalOf, sendDenial } from '../http/auth';
import { defineOperation, type Operation } from '../http/operation';
import { common, json, problem, ref } from '../openapi/parts';
import { mintTokenBody, revokeTokenBody } from '../openapi/schemas';

/**
 * Mints a scoped token: an admin of a dataset (or of an owner) gets a short-lived token restricted to that dataset (or
 * owner) and a subset of actions it holds itself, for a bot that acts on the admin's behalf (the admin stays the
 * subject, the bot is the RFC 8693 actor). The body's owner and name are checked by the dataset-id rules before the
 * policy sees them (400 with pointers).
 */
export const mintScopedToken = defineOperation({
  operationId: 'mintScopedToken',
  method: 'post',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'Mint a short-lived token restricted to one dataset (or owner) and some actions',
  description:
    'For CI jobs and ingestion bots. The caller must be an admin of the dataset (or of the owner, for an owner-wide token) and hold every requested action itself: a token never exceeds its minter. ' +
    '`owner` and `name` follow the dataset-id rules (400 VALIDATION_FAILED with pointers otherwise). The token is delegated (RFC 8693): its subject (`sub`) is the caller, ' +
    'its actor (`act.sub`) the requested `actor`, its scopes a JSON array claim (`scopes`). It writes as `<actor> (on behalf of <caller>)` with the address `<actor>@tokens.metastore.invalid`, ' +
    'has a write rate limit of its own (subject and actor), and may revoke only tokens of the same subject and actor. ' +
    'An installation that verifies tokens with a public key or JWKS only, without METASTORE_JWT_PRIVATE_KEY, cannot sign: 501 TOKEN_MINTING_UNAVAILABLE.',
  body: { schema: mintTokenBody, component: 'MintTokenRequest', mediaType: 'application/json' },
  responses: {
    201: {
      description: 'The token (shown once), its id (for revocation), its scopes, subject and actor.',
      content: json(ref('MintTokenResult')),
    },
    400: common[400],
    404: problem('The caller holds no right on the dataset (worded as a missing dataset).'),
    501: problem(
      'This installation cannot sign tokens (TOKEN_MINTING_UNAVAILABLE): it verifies them with a public key or JWKS only; get tokens from the identity provider.',
    ),
  },
  policy: {
    operation: 'mintScopedToken',
    decide: (body, res, { access }) => {
      const request = parseMintRequest(body);
      return mayMint(principalOf(res), request, accessContext(access, request.owner));
    },
  },
  handler: ({ res, body, dependencies: { issuer } }) => {
    const principal = principalOf(res)!;
    const request = parseMintRequest(body);
    const claims = mintedClaims(principal, request, mintScopes(principal, request));
    const issued = issuer.issue(claims, body.expiresIn ?? 3600);
    res.status(201).json({
      token: issued.token,
      tokenId: issued.tokenId,
      expiresAt: issued.expiresAt.toISOString(),
      scopes: claims.scopes,
      subject: claims.sub,
      actor: claims.act.sub,
    });
  },
});

/** Revokes a token by its value (as RFC 7009). Whoever may mint a token like it may revoke it; so may its holder (authz's `mayRevoke`). */
export const revokeToken = defineOperation({
  operationId: 'revokeToken',
  method: 'post',
  path: '/tokens/revoke',
  tags: ['tokens'],
  summary: 'Revoke a token (as RFC 7009: by its value)',
  description:
    'Its holder (the same subject; for a minted token, the same subject and actor), or an admin over everything it may reach, may revoke it. Revoked tokens are refused from then on.',
  body: { schema: revokeTokenBody, component: 'RevokeTokenRequest', mediaType: 'application/json' },
  responses: {
    204: { description: 'Revoked.' },
    400: common[400],
    404: problem('The token reaches a dataset the caller holds no right on (worded as a missing dataset).'),
  },
  // Who may revoke which token is decided once the token is verified, in the handler.
  policy: { operation: 'revokeToken', inHandler: true },
  handler: async ({ res, body: { token }, dependencies: { verifier, revocations, access } }) => {
    let verified;
    try {
      verified = await verifier.verify(token);
    } catch (error) {
      if (error instanceof AuthenticationError)
        throw new ValidationError('not a token this service accepts', [{ pointer: '/token', message: error.message }]);
      throw error;
    }
    if (verified.tokenId === undefined)
      throw new ValidationError('the token has no id (jti) and cannot be revoked', [{ pointer: '/token', message: 'no jti claim' }]);
    const decision = mayRevoke(principalOf(res), parsePrincipal(verified.claims), (owner) => accessContext(access, owner));
    if (!decision.allowed) {
      sendDenial(res, decision);
      return;
    }
    await revocations.revoke(verified.tokenId, verified.expiresAt);
    res.status(204).end();
  },
});

/** Scoped tokens: mint and revoke. */
export const TOKEN_OPERATIONS: readonly Operation[] = [mintScopedToken, revokeToken];
