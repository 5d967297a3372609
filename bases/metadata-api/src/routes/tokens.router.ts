import { Router, type NextFunction, type Request, type Response } from 'express';
import { mayMint, mayRevoke, mintedClaims, mintScopes, parseMintRequest, parsePrincipal } from '@metastore/authz';
import { AuthenticationError, ValidationError } from '@metastore/errors';
import type { Dependencies } from '../dependencies';
import { accessContext, guard, principalOf, requireCaller, sendDenial, type PolicyHandler } from '../http/auth';
import { requireContentType } from '../http/content-type';
import { validateBody } from '../http/validation';
import { mintTokenBody, revokeTokenBody } from '../openapi/schemas';

/** Revoking needs a caller; who may revoke which token (authz's `mayRevoke`) is decided in the handler, once the token is verified. */
const revokePolicy: PolicyHandler = Object.assign((req: Request, res: Response, next: NextFunction) => requireCaller(req, res, next), {
  operationId: 'mintScopedToken' as const,
});

/**
 * Scoped tokens: an admin of a dataset (or of an owner) mints a short-lived token restricted to that dataset (or
 * owner) and a subset of actions it holds itself, for a bot that acts on the admin's behalf (the admin stays the
 * subject, the bot is the RFC 8693 actor); such tokens can be revoked by their value (as RFC 7009 does).
 */
export function tokensRouter({ issuer, verifier, revocations, access }: Dependencies): Router {
  const router = Router();

  // The body's owner and name are checked by the dataset-id rules before the policy sees them (400 with pointers).
  router.post(
    '/tokens',
    requireCaller,
    requireContentType('application/json'),
    validateBody(mintTokenBody),
    guard('mintScopedToken', (req, res) => {
      const request = parseMintRequest(req.body);
      return mayMint(principalOf(res), request, accessContext(access, request.owner));
    }),
    (req, res) => {
      const principal = principalOf(res)!;
      const request = parseMintRequest(req.body);
      const claims = mintedClaims(principal, request, mintScopes(principal, request));
      const issued = issuer.issue(claims, (req.body as { expiresIn?: number }).expiresIn ?? 3600);
      res.status(201).json({
        token: issued.token,
        tokenId: issued.tokenId,
        expiresAt: issued.expiresAt.toISOString(),
        scopes: claims.scopes,
        subject: claims.sub,
        actor: claims.act.sub,
      });
    },
  );

  // Whoever may mint a token like it may revoke it; so may the token's holder (authz's `mayRevoke`).
  router.post('/tokens/revoke', revokePolicy, requireContentType('application/json'), validateBody(revokeTokenBody), async (req, res) => {
    const { token } = req.body as { token: string };
    let verified;
    try {
      verified = await verifier.verify(token);
    } catch (error) {
      if (error instanceof AuthenticationError) throw new ValidationError('not a token this service accepts', [{ pointer: '/token', message: error.message }]);
      throw error;
    }
    if (verified.tokenId === undefined) throw new ValidationError('the token has no id (jti) and cannot be revoked', [{ pointer: '/token', message: 'no jti claim' }]);
    const decision = mayRevoke(principalOf(res), parsePrincipal(verified.claims), (owner) => accessContext(access, owner));
    if (!decision.allowed) {
      sendDenial(res, decision);
      return;
    }
    await revocations.revoke(verified.tokenId, verified.expiresAt);
    res.status(204).end();
  });

  return router;
}
