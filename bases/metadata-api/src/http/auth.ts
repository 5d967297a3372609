import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator } from 'express-rate-limit';
import {
  authorize,
  authorOf as policyAuthorOf,
  denialError,
  parsePrincipal,
  principalKey,
  type AccessContext,
  type AccessTarget,
  type Decision,
  type Denial,
  type OperationId,
  type Principal,
  type RevocationList,
} from '@metastore/authz';
import type { JwtVerifier, VerifiedToken } from '@metastore/auth-jwt';
import { AuthenticationError, ValidationError } from '@metastore/errors';
import type { Author, DatasetId } from '@metastore/storage';
import { BEARER_CHALLENGE, sendProblem } from './problem';
import { requestedAuthor } from './context';

/** Which datasets anonymous callers may read: none (the default), or those of the listed owners (`*`: all). */
export interface AnonymousAccess {
  readonly publicOwners: readonly string[];
}

/** The operation a handler serves, attached to the handler so that tests can find routes without a policy. */
export type PolicyHandler = RequestHandler & { readonly operationId: OperationId };

/** The caller, as `authenticate` found it; undefined for anonymous requests. */
export function principalOf(res: Response): Principal | undefined {
  return res.locals['principal'] as Principal | undefined;
}

/** A 401 whose challenge says what was wrong with the credentials (RFC 6750 `error` and `error_description`). */
function sendInvalidCredentials(res: Response, detail: string, error: 'invalid_request' | 'invalid_token'): void {
  res.set('WWW-Authenticate', `${BEARER_CHALLENGE}, error="${error}", error_description="${detail.replace(/["\\]/g, '')}"`);
  sendProblem(res, 'UNAUTHENTICATED', detail);
}

/**
 * Reads `Authorization: Bearer <jwt>`: verifies it (pinned algorithms, times, issuer, audience), turns its claims into
 * a principal and refuses revoked tokens (revocations cached briefly). No header: an anonymous request, which the
 * policy then refuses unless the operation is public or anonymous reads are allowed.
 */
export function authenticate(verifier: JwtVerifier, revocations: RevocationList): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    if (header === undefined) {
      next();
      return;
    }
    const token = bearerToken(header);
    if (token === undefined) {
      sendInvalidCredentials(res, 'the Authorization header must be "Bearer <token>"', 'invalid_request');
      return;
    }
    try {
      const verified = await verifier.verify(token);
      const principal = principalOfToken(verified);
      // Checked on every request, remembered token or not: a revocation is never served from the verifier's memory.
      if (verified.tokenId !== undefined && (await revocations.isRevoked(verified.tokenId)))
        throw new AuthenticationError('the token has been revoked');
      res.locals['principal'] = principal;
      next();
    } catch (error) {
      if (error instanceof AuthenticationError) {
        sendInvalidCredentials(res, error.message, 'invalid_token');
        return;
      }
      next(error);
    }
  };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header is not of that form. */
export function bearerToken(header: string): string | undefined {
  return /^Bearer +([A-Za-z0-9._~+/=-]+)$/i.exec(header)?.[1];
}

// The verifier answers a token it verified recently with the same object: its principal is parsed once (claims are frozen).
const principals = new WeakMap<VerifiedToken, Principal>();

/** The principal a verified token's claims name; AuthenticationError when they are malformed. */
export function principalOfToken(token: VerifiedToken): Principal {
  let principal = principals.get(token);
  if (!principal) {
    try {
      principal = parsePrincipal(token.claims);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      throw new AuthenticationError(
        `the token's claims are malformed: ${error.issues.map((issue) => `${issue.pointer} ${issue.message}`).join('; ')}`,
      );
    }
    principals.set(token, principal);
  }
  return principal;
}

/**
 * The caller of a request when it is known without waiting: anonymous (no Authorization header), or a token the
 * verifier remembers (verified, unexpired) whose id the fresh revocation list does not name. Undefined when
 * `authenticate` must decide (verify, load the list, refuse): then nothing may be answered from memory.
 */
export function rememberedCaller(
  header: string | undefined,
  verifier: JwtVerifier,
  revocations: RevocationList,
): { principal: Principal | undefined } | undefined {
  if (header === undefined) return { principal: undefined };
  const token = bearerToken(header);
  const verified = token === undefined ? undefined : verifier.remembered(token);
  if (verified === undefined) return undefined;
  if (verified.tokenId !== undefined && revocations.revokedNow?.(verified.tokenId) !== false) return undefined;
  try {
    return { principal: principalOfToken(verified) };
  } catch {
    return undefined;
  }
}

/** The policy's facts about a target: whether its owner's datasets are public, and whether anonymous reads are on. */
export function accessContext(anonymous: AnonymousAccess, owner: string): AccessContext {
  const open = anonymous.publicOwners.length > 0;
  return {
    anonymousReadOfPublic: open,
    datasetIsPublic: open && (anonymous.publicOwners.includes('*') || anonymous.publicOwners.includes(owner)),
  };
}

/**
 * Sends the policy's refusal as a problem: its code gets its status from problem.ts's table (401, 403, or 404 worded like a missing
 * dataset).
 */
export function sendDenial(res: Response, denial: Denial): void {
  sendProblem(res, denial.code, denial.reason);
}

/**
 * Limits writes (POST, PUT, PATCH, DELETE) per caller (per client address for anonymous ones, which the policy refuses
 * anyway): 429 with Retry-After and a problem body. Reads are not limited. A caller is its subject, or for a delegated
 * (minted) token its subject and actor: a bot never shares a budget with its minter, nor with a principal named like it.
 */
export function writeRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Webhook deliveries carry no caller: their signature is checked, and their syncs queue bounded and coalesced.
    skip: (req) => req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || req.path.startsWith('/hooks/'),
    keyGenerator: (req, res) => {
      const principal = principalOf(res);
      return principal ? `principal:${principalKey(principal)}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: (req, res) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      res.set('Retry-After', String(resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60));
      sendProblem(res, 'RATE_LIMITED', `too many writes: at most ${perMinute} a minute per caller`);
    },
  });
}

/** Refuses anonymous callers before anything else (for operations no anonymous caller may do, whatever the body says). */
export const requireCaller: RequestHandler = (_req, res, next) => {
  if (principalOf(res) === undefined) sendProblem(res, 'UNAUTHENTICATED', 'this operation needs a bearer token');
  else next();
};

/** Guards a route of `operationId` with a decision of the policy (a rule of @metastore/authz), sending its refusal. */
export function guard(operationId: OperationId, decide: (req: Request, res: Response) => Decision): PolicyHandler {
  const handler: RequestHandler = (req, res, next) => {
    const decision = decide(req, res);
    if (decision.allowed) next();
    else sendDenial(res, decision);
  };
  return Object.assign(handler, { operationId });
}

/** Guards a route with the operation's policy; `target` says which dataset or owner the request is about. */
export function policy(
  operationId: OperationId,
  anonymous: AnonymousAccess,
  target: (req: Request) => AccessTarget = () => ({ owner: '*' }),
): PolicyHandler {
  return guard(operationId, (req, res) => {
    const accessTarget = target(req);
    return authorize(principalOf(res), operationId, accessTarget, accessContext(anonymous, accessTarget.owner));
  });
}

/**
 * The author of a write: the caller's identity from the token, or the author the request names if the caller may
 * write as others (admin on the dataset). Throws FORBIDDEN when a different author is asked for without that right.
 */
export function authorFor(res: Response, id: DatasetId, requested: Author | string | undefined): Author {
  const named = requestedAuthor(requested);
  const decision = policyAuthorOf(principalOf(res), id, named);
  if (decision.allowed) return decision.author;
  throw denialError(decision);
}
