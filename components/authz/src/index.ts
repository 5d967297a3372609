export { ACTIONS, formatScope, parseScope, parseScopes } from './lib/scope.model';
export type { Action, Scope } from './lib/scope.model';
export { isRole, ROLE_ACTIONS, ROLES } from './lib/role.model';
export type { Role } from './lib/role.model';
export { actorClaimOf, ANONYMOUS, parsePrincipal, principalKey } from './lib/principal.model';
export type { Actor, ActorClaim, Principal } from './lib/principal.model';
export { isOperationId, OPERATION_IDS, OPERATIONS } from './lib/operations.model';
export type { OperationId, OperationPolicy, TargetKind } from './lib/operations.model';
export {
  ACTOR_EMAIL_DOMAIN,
  authorize,
  authorOf,
  canRead,
  DEFAULT_ACTOR,
  denialError,
  holdsTokenOf,
  identityOf,
  mayMint,
  mayRevoke,
  mintedClaims,
  mintScopes,
  mintTargetOf,
  narrowScopes,
  parseMintRequest,
} from './lib/policy.service';
export type {
  AccessContext,
  AccessTarget,
  AuthorDecision,
  Decision,
  Denial,
  DenialCode,
  MintedClaims,
  MintRequest,
} from './lib/policy.service';
export type { RevocationList, RevocationSource } from './lib/revocation.port';
export { CachedRevocations } from './lib/revocation.cache';
export type { CachedRevocationsOptions, RevocationListHealth, RevocationLogger } from './lib/revocation.cache';
