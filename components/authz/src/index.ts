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
  holdsTokenOf,
  identityOf,
  mintedClaims,
  mintScopes,
  mintTargetOf,
  narrowScopes,
  parseMintRequest,
} from './lib/policy.service';
export type { AccessContext, AccessTarget, AuthorDecision, Decision, Denial, MintedClaims, MintRequest } from './lib/policy.service';
export type { RevocationList } from './lib/revocation.port';
