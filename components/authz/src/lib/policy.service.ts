import { isOwner, parseDatasetId, parseOwner } from '@metastore/datasets';
import {
  AuthenticationError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type ErrorCode,
  type ValidationIssue,
} from '@metastore/errors';
import { IDENTITY_FORBIDDEN, type Author } from '@metastore/storage';
import { OPERATIONS, type OperationId } from './operations.model';
import { actorClaimOf, principalKey, type ActorClaim, type Principal } from './principal.model';
import { ROLE_ACTIONS } from './role.model';
import { ACTIONS, actionsGranted, formatScope, patternCovers, type Action, type DatasetPattern, type Scope } from './scope.model';

/** What an operation acts on: a dataset (`owner` and `name`), or an owner's namespace (`name` absent). */
export interface AccessTarget {
  readonly owner: string;
  readonly name?: string;
}

/**
 * Facts the policy needs besides the caller: whether the dataset is public, and whether this instance lets anonymous callers read public
 * datasets.
 */
export interface AccessContext {
  readonly datasetIsPublic?: boolean;
  readonly anonymousReadOfPublic: boolean;
}

/**
 * Why the policy refuses: no credentials (`UNAUTHENTICATED`), credentials without the right (`FORBIDDEN`), or no right
 * at all on a dataset, answered as if it did not exist (`DATASET_NOT_FOUND`). Stable error codes; the API maps them.
 */
export type DenialCode = Extract<ErrorCode, 'UNAUTHENTICATED' | 'FORBIDDEN' | 'DATASET_NOT_FOUND'>;

/** A refusal: a stable code saying why, and a reason safe to show the caller. */
export interface Denial {
  readonly allowed: false;
  readonly code: DenialCode;
  readonly reason: string;
}

/** The policy's answer for one operation. */
export type Decision = { readonly allowed: true } | Denial;

/** The author a write is recorded under, or why the requested one is refused. */
export type AuthorDecision = { readonly allowed: true; readonly author: Author } | Denial;

/** One thing a principal may do on a set of datasets (from a scope or from a role). */
interface Grant extends DatasetPattern {
  readonly actions: readonly Action[];
}

const ALLOWED: Decision = Object.freeze({ allowed: true });

function isAuthenticated(principal: Principal | undefined): principal is Principal {
  return principal !== undefined && principal.anonymous !== true;
}

function grantsOf(principal: Principal): Grant[] {
  return [
    ...principal.scopes.map((scope) => ({ owner: scope.owner, name: scope.name, actions: actionsGranted(scope.action) })),
    ...Object.entries(principal.roles).map(([owner, role]) => ({ owner, name: '*', actions: ROLE_ACTIONS[role] })),
  ];
}

/** The union of the actions of every grant that covers the whole of `target`. */
function actionsOn(principal: Principal, target: DatasetPattern): Set<Action> {
  return new Set(grantsOf(principal).flatMap((grant) => (patternCovers(grant, target) ? grant.actions : [])));
}

function publiclyReadable(context: AccessContext): boolean {
  return context.anonymousReadOfPublic && context.datasetIsPublic === true;
}

function label(target: DatasetPattern): string {
  return `${target.owner}/${target.name}`;
}

function unauthenticated(operation: OperationId): Denial {
  return { allowed: false, code: 'UNAUTHENTICATED', reason: `authentication is required to ${OPERATIONS[operation].summary}` };
}

function forbidden(operation: OperationId, action: Action, target: DatasetPattern): Denial {
  return { allowed: false, code: 'FORBIDDEN', reason: `${OPERATIONS[operation].summary} needs '${action}' on ${label(target)}` };
}

function notFound(target: DatasetPattern): Denial {
  // Word for word what storage says of a dataset that does not exist, so the two cannot be told apart.
  return { allowed: false, code: 'DATASET_NOT_FOUND', reason: `dataset ${label(target)} does not exist` };
}

/**
 * The refusal as the error the errors brick defines for its code (AuthenticationError, ForbiddenError, NotFoundError), for callers that
 * throw.
 */
export function denialError(denial: Denial): DomainError {
  switch (denial.code) {
    case 'UNAUTHENTICATED':
      return new AuthenticationError(denial.reason);
    case 'FORBIDDEN':
      return new ForbiddenError(denial.reason);
    case 'DATASET_NOT_FOUND':
      return new NotFoundError('DATASET_NOT_FOUND', denial.reason);
  }
}

function datasetOf(operation: OperationId, target: AccessTarget): DatasetPattern {
  if (target.name === undefined) throw new TypeError(`operation ${operation} acts on a dataset: the target needs a name`);
  return { owner: target.owner, name: target.name };
}

function decideOnDataset(
  principal: Principal,
  operation: OperationId,
  action: Action,
  dataset: DatasetPattern,
  context: AccessContext,
): Decision {
  const held = actionsOn(principal, dataset);
  if (held.has(action) || (action === 'read' && publiclyReadable(context))) return ALLOWED;
  // Any right on the dataset (or its being readable by all) already reveals that it exists; with none, answer as if it did not.
  if (held.size > 0 || publiclyReadable(context)) return forbidden(operation, action, dataset);
  return notFound(dataset);
}

/**
 * Decides whether `principal` (undefined or anonymous: no credentials) may perform `operation` on `target`.
 * Rights are the union of the token's scopes and the principal's roles. Without credentials: UNAUTHENTICATED, except
 * public operations and, when `anonymousReadOfPublic` is on, listings and reads of public datasets. With credentials:
 * no right at all on an existing dataset is DATASET_NOT_FOUND (its existence does not leak), some right but not the one
 * needed is FORBIDDEN.
 */
export function authorize(
  principal: Principal | undefined,
  operation: OperationId,
  target: AccessTarget,
  context: AccessContext,
): Decision {
  const policy = OPERATIONS[operation];
  if (policy.target === 'public') return ALLOWED;
  if (!isAuthenticated(principal)) {
    if (policy.target === 'listing' && context.anonymousReadOfPublic) return ALLOWED;
    if (policy.target === 'dataset' && policy.action === 'read' && publiclyReadable(context)) return ALLOWED;
    return unauthenticated(operation);
  }
  switch (policy.target) {
    case 'listing':
      return ALLOWED;
    case 'owner': {
      const namespace = { owner: target.owner, name: '*' };
      return actionsOn(principal, namespace).has(policy.action) ? ALLOWED : forbidden(operation, policy.action, namespace);
    }
    case 'newDataset': {
      const dataset = datasetOf(operation, target);
      return actionsOn(principal, dataset).has(policy.action) ? ALLOWED : forbidden(operation, policy.action, dataset);
    }
    case 'ownerOrDataset':
      if (target.name === undefined) {
        const namespace = { owner: target.owner, name: '*' };
        return actionsOn(principal, namespace).has(policy.action) ? ALLOWED : forbidden(operation, policy.action, namespace);
      }
      return decideOnDataset(principal, operation, policy.action, datasetOf(operation, target), context);
    case 'dataset':
      return decideOnDataset(principal, operation, policy.action, datasetOf(operation, target), context);
  }
}

/** Whether `principal` may see `dataset` in a listing (read right, or a public dataset with anonymous reads on). */
export function canRead(
  principal: Principal | undefined,
  dataset: { readonly owner: string; readonly name: string },
  context: AccessContext = { anonymousReadOfPublic: false },
): boolean {
  if (publiclyReadable(context)) return true;
  return isAuthenticated(principal) && actionsOn(principal, dataset).has('read');
}

/** The mail domain of delegated tokens' authors (`<actor>@tokens.metastore.invalid`): never the subject's own address. */
export const ACTOR_EMAIL_DOMAIN = 'tokens.metastore.invalid';

function emailLocalPart(text: string, fallback: string): string {
  return text.replace(/[^A-Za-z0-9._+-]/g, '-').slice(0, 64) || fallback;
}

function displayName(text: string): string {
  return text.replace(new RegExp(IDENTITY_FORBIDDEN, 'gu'), '').trim() || 'unknown';
}

/**
 * The principal's git identity: its name and email claims, else its subject and a `noreply.invalid` address. A delegated
 * token writes as its actor, on the subject's behalf: `ci-nightly (on behalf of Alice) <ci-nightly@tokens.metastore.invalid>`.
 */
export function identityOf(principal: Principal): Author {
  const own = principal.name ?? displayName(principal.subject);
  if (principal.actor !== undefined) {
    const actor = displayName(principal.actor.subject);
    return { name: `${actor} (on behalf of ${own})`, email: `${emailLocalPart(principal.actor.subject, 'actor')}@${ACTOR_EMAIL_DOMAIN}` };
  }
  return { name: own, email: principal.email ?? `${emailLocalPart(principal.subject, 'user')}@noreply.invalid` };
}

function sameAuthor(a: Author, b: Author): boolean {
  return a.name === b.name && a.email.toLowerCase() === b.email.toLowerCase();
}

/**
 * The author of a write to `dataset`: the caller's own identity, or `requested` if the caller may `setAuthor` there (admin), else
 * FORBIDDEN.
 */
export function authorOf(
  principal: Principal | undefined,
  dataset: { readonly owner: string; readonly name: string },
  requested?: Author,
): AuthorDecision {
  if (!isAuthenticated(principal)) return { ...unauthenticated('setAuthor'), reason: 'authentication is required to write' };
  const own = identityOf(principal);
  if (requested === undefined || sameAuthor(requested, own)) return { allowed: true, author: own };
  if (actionsOn(principal, dataset).has(OPERATIONS.setAuthor.action)) return { allowed: true, author: requested };
  return forbidden('setAuthor', OPERATIONS.setAuthor.action, dataset);
}

/**
 * The scopes a token minted by `principal` may carry: every requested scope must be covered by one of the
 * principal's grants (a token never exceeds its minter) and, when `within` is given, lie inside that dataset or
 * owner. Otherwise a ValidationError lists each scope that is not (pointers `/0`, `/1`, ... into `requested`),
 * as OAuth's `invalid_scope` does. Duplicates are dropped.
 */
export function narrowScopes(principal: Principal | undefined, requested: readonly Scope[], within?: AccessTarget): Scope[] {
  const grants = isAuthenticated(principal) ? grantsOf(principal) : [];
  const bounds: DatasetPattern | undefined = within && { owner: within.owner, name: within.name ?? '*' };
  const problemOf = (scope: Scope): string | undefined => {
    if (bounds && !patternCovers(bounds, scope)) return `reaches beyond ${label(bounds)}`;
    const needed = actionsGranted(scope.action);
    const covered = grants.some((grant) => patternCovers(grant, scope) && needed.every((action) => grant.actions.includes(action)));
    return covered ? undefined : 'exceeds the rights of the caller';
  };
  const issues: ValidationIssue[] = [];
  const refused: string[] = [];
  requested.forEach((scope, index) => {
    const problem = problemOf(scope);
    if (problem === undefined) return;
    issues.push({ pointer: `/${index}`, message: `scope '${formatScope(scope)}' ${problem}` });
    refused.push(formatScope(scope));
  });
  if (issues.length > 0) throw new ValidationError(`requested scopes not allowed: ${refused.join(', ')}`, issues);
  const unique = new Map(requested.map((scope) => [formatScope(scope), scope]));
  return [...unique.values()];
}

/** A validated request for a scoped token: a dataset (or, without `name`, every dataset of an owner), actions, and who acts with it. */
export interface MintRequest {
  readonly owner: string;
  readonly name?: string;
  readonly actions: readonly Action[];
  /** The bot or job that will use the token on the minter's behalf (its RFC 8693 `act.sub`). */
  readonly actor: string;
}

/** The actor of a minted token whose request names none. */
export const DEFAULT_ACTOR = 'minted-token';

/**
 * Validates a mint request body: `owner` and `name` by the dataset-id rules of @metastore/datasets (no patterns, no
 * spaces or colons), `actions` each one of ACTIONS, `actor` named like an owner. Every problem at once, with pointers
 * into the body (`/owner`, `/name`, `/actions/1`, `/actor`).
 */
export function parseMintRequest(body: {
  readonly owner?: unknown;
  readonly name?: unknown;
  readonly actions?: unknown;
  readonly actor?: unknown;
}): MintRequest {
  const issues: ValidationIssue[] = [
    ...ValidationError.issuesOf(() => (body.name === undefined ? parseOwner(body.owner) : parseDatasetId(body.owner, body.name))),
  ];
  const actions = Array.isArray(body.actions) ? (body.actions as unknown[]) : [];
  if (!Array.isArray(body.actions) || actions.length === 0) issues.push({ pointer: '/actions', message: 'must list at least one action' });
  actions.forEach((action, index) => {
    if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
      issues.push({ pointer: `/actions/${index}`, message: `must be one of ${ACTIONS.join(', ')}` });
    }
  });
  if (body.actor !== undefined && !isOwner(body.actor)) {
    issues.push({ pointer: '/actor', message: "may contain only lowercase letters, digits, '-', '_' and '.' (at most 39, like an owner)" });
  }
  if (issues.length > 0) throw new ValidationError('invalid token request', issues);
  return {
    owner: body.owner as string,
    ...(body.name === undefined ? {} : { name: body.name as string }),
    actions: actions as Action[],
    actor: (body.actor as string | undefined) ?? DEFAULT_ACTOR,
  };
}

/** What a minted token is restricted to (and what its minter must administer): the dataset, or the owner's namespace. */
export function mintTargetOf(request: MintRequest): AccessTarget {
  return request.name === undefined ? { owner: request.owner } : { owner: request.owner, name: request.name };
}

/**
 * Whether `caller` may mint a token for `request`: only an admin of the dataset (or, for `owner/*`, of the whole owner)
 * the token is restricted to; `context` holds the facts about that owner (see `authorize` for the denials).
 */
export function mayMint(caller: Principal | undefined, request: MintRequest, context: AccessContext): Decision {
  return authorize(caller, 'mintScopedToken', mintTargetOf(request), context);
}

/**
 * The scopes of the token `principal` may mint for `request`: one per requested action on the dataset (or `owner/*`),
 * each within the principal's own rights (see `narrowScopes`; refusals point at `/actions/<index>`). Scopes are data:
 * they are never joined into a string and split again.
 */
export function mintScopes(principal: Principal | undefined, request: MintRequest): Scope[] {
  const requested = request.actions.map((action) => ({ owner: request.owner, name: request.name ?? '*', action }));
  try {
    return narrowScopes(principal, requested, mintTargetOf(request));
  } catch (error) {
    throw error instanceof ValidationError ? error.underPointer('/actions') : error;
  }
}

/**
 * The claims of a token minted by `minter`: its subject and name, the actor acting for it (RFC 8693 `act`), and `scopes` as a JSON array.
 */
export interface MintedClaims {
  readonly sub: string;
  readonly name?: string;
  readonly act: ActorClaim;
  readonly scopes: readonly string[];
}

/**
 * The claims of a token minted by `minter` for `request.actor` with `scopes` (from `mintScopes`). The subject stays
 * the minter's (whose authority the token carries; the minter never picks another subject) and the actor is recorded
 * in `act`, nesting the minter's own actor when a minted token mints. No email: the token writes as its actor.
 */
export function mintedClaims(minter: Principal, request: MintRequest, scopes: readonly Scope[]): MintedClaims {
  const prior = minter.actor === undefined ? {} : { act: actorClaimOf(minter.actor) };
  return {
    sub: minter.subject,
    ...(minter.name === undefined ? {} : { name: minter.name }),
    act: { sub: request.actor, ...prior },
    scopes: scopes.map(formatScope),
  };
}

/**
 * Whether `caller` holds the token of `holder` (and may revoke it without admin rights over it): the same subject, and
 * the same actors unless the caller acts for itself. A subject holds the tokens minted on its behalf; a minted token
 * holds only those of its own delegation, never the subject's own tokens nor those of another principal with the actor's name.
 */
export function holdsTokenOf(caller: Principal, holder: Principal): boolean {
  if (caller.subject !== holder.subject) return false;
  return caller.actor === undefined || principalKey(caller) === principalKey(holder);
}

/** What a scope reaches, as an `ownerOrDataset` target: its dataset (a pattern kept as such), or its owner's namespace. */
function scopeTarget(scope: Scope): AccessTarget {
  return scope.name === '*' ? { owner: scope.owner } : { owner: scope.owner, name: scope.name };
}

/**
 * Whether `caller` may revoke the token of `holder`: its holder may (see `holdsTokenOf`), and so may whoever could mint
 * a token like it, that is an admin over everything the token may reach: every dataset or owner of its scopes and, when
 * it carries roles or no scope at all (a token of the identity provider), the whole instance. `contextOf` gives the
 * facts about an owner (`*` for the instance); the first refusal is the answer.
 */
export function mayRevoke(caller: Principal | undefined, holder: Principal, contextOf: (owner: string) => AccessContext): Decision {
  if (!isAuthenticated(caller)) return { ...unauthenticated('mintScopedToken'), reason: 'authentication is required to revoke a token' };
  if (holdsTokenOf(caller, holder)) return ALLOWED;
  for (const scope of holder.scopes) {
    const decision = authorize(caller, 'mintScopedToken', scopeTarget(scope), contextOf(scope.owner));
    if (!decision.allowed) return decision;
  }
  if (holder.scopes.length === 0 || Object.keys(holder.roles).length > 0)
    return authorize(caller, 'mintScopedToken', { owner: '*' }, contextOf('*'));
  return ALLOWED;
}
