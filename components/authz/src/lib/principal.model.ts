import { isOwner } from '@metastore/datasets';
import { escapePointerToken, ValidationError, type ValidationIssue } from '@metastore/errors';
import { IDENTITY_FORBIDDEN, isIdentityEmail } from '@metastore/storage';
import { isRole, ROLES, type Role } from './role.model';
import { formatScope, isObjectScope, parseScope, type Scope } from './scope.model';

/**
 * Who acts with a delegated token (RFC 8693 `act` claim): a bot or job acting on behalf of the token's subject;
 * `actor` is the actor before it when the token was itself minted with a delegated token (informational only).
 */
export interface Actor {
  readonly subject: string;
  readonly actor?: Actor;
}

/**
 * The caller, from verified token claims: who it is, the scopes its token carries and its role per owner (`*`: every
 * owner), and for a delegated (minted) token who acts on the subject's behalf.
 */
export interface Principal {
  readonly subject: string;
  readonly name?: string;
  readonly email?: string;
  readonly scopes: readonly Scope[];
  readonly roles: Readonly<Record<string, Role>>;
  readonly actor?: Actor;
  readonly anonymous?: boolean;
}

/** The caller without credentials; `authorize` treats it exactly like no principal at all. */
export const ANONYMOUS: Principal = Object.freeze({
  subject: 'anonymous',
  scopes: Object.freeze([]),
  roles: Object.freeze({}),
  anonymous: true,
});

/** Deeper `act` nesting than this is refused: each level is one more delegation, and claims should stay small. */
const MAX_ACTOR_DEPTH = 8;

function optionalText(claims: Readonly<Record<string, unknown>>, claim: 'name' | 'email', issues: ValidationIssue[]): string | undefined {
  const value = claims[claim];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    issues.push({ pointer: `/${claim}`, message: `claim '${claim}' must be a string` });
    return undefined;
  }
  const text = value.trim();
  if (text.length === 0) return undefined;
  if (IDENTITY_FORBIDDEN.test(text)) {
    issues.push({ pointer: `/${claim}`, message: `claim '${claim}' must not contain '<', '>' or control characters` });
    return undefined;
  }
  if (claim === 'email' && !isIdentityEmail(text)) {
    issues.push({ pointer: '/email', message: "claim 'email' must be an email address" });
    return undefined;
  }
  return text;
}

function collectScope(text: unknown, pointer: string, scopes: Scope[], issues: ValidationIssue[]): void {
  issues.push(...ValidationError.issuesOf(() => scopes.push(parseScope(text, pointer))));
}

function scopesOf(claims: Readonly<Record<string, unknown>>, issues: ValidationIssue[]): Scope[] {
  const scopes: Scope[] = [];
  const scope = claims['scope'];
  if (typeof scope === 'string') {
    // OAuth's scope claim is shared with other services ("openid email ..."): only obj: scopes are ours.
    for (const token of scope.split(/\s+/).filter((part) => part.length > 0 && isObjectScope(part)))
      collectScope(token, '/scope', scopes, issues);
  } else if (scope !== undefined && scope !== null) {
    issues.push({ pointer: '/scope', message: "claim 'scope' must be a space-separated string" });
  }
  const list = claims['scopes'];
  if (Array.isArray(list)) {
    list.forEach((item, index) => {
      if (typeof item === 'string' && !isObjectScope(item)) return;
      collectScope(item, `/scopes/${index}`, scopes, issues);
    });
  } else if (list !== undefined && list !== null) {
    issues.push({ pointer: '/scopes', message: "claim 'scopes' must be an array of strings" });
  }
  const unique = new Map(scopes.map((parsed) => [formatScope(parsed), parsed]));
  return [...unique.values()];
}

function actorOf(value: unknown, pointer: string, depth: number, issues: ValidationIssue[]): Actor | undefined {
  if (depth > MAX_ACTOR_DEPTH) {
    issues.push({ pointer, message: `claim 'act': at most ${MAX_ACTOR_DEPTH} nested actors` });
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push({ pointer, message: "claim 'act' must be an object with a 'sub'" });
    return undefined;
  }
  const record = value as Readonly<Record<string, unknown>>;
  const subject = record['sub'];
  if (typeof subject !== 'string' || subject.trim().length === 0 || IDENTITY_FORBIDDEN.test(subject)) {
    issues.push({
      pointer: `${pointer}/sub`,
      message: "claim 'act': 'sub' must be a non-empty string without '<', '>' or control characters",
    });
    return undefined;
  }
  const prior =
    record['act'] === undefined || record['act'] === null ? undefined : actorOf(record['act'], `${pointer}/act`, depth + 1, issues);
  return { subject, ...(prior === undefined ? {} : { actor: prior }) };
}

function rolesOf(claims: Readonly<Record<string, unknown>>, issues: ValidationIssue[]): Record<string, Role> {
  const value = claims['roles'];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ pointer: '/roles', message: "claim 'roles' must be an object mapping an owner (or '*') to a role" });
    return {};
  }
  const roles: Record<string, Role> = {};
  for (const [owner, role] of Object.entries(value as Record<string, unknown>)) {
    const pointer = `/roles/${escapePointerToken(owner)}`;
    if (owner !== '*' && !isOwner(owner)) {
      issues.push({ pointer, message: `claim 'roles': '${owner}' is not an owner (lowercase letters, digits, '.', '_', '-') or '*'` });
    } else if (!isRole(role)) {
      issues.push({ pointer, message: `claim 'roles': the role of '${owner}' must be one of ${ROLES.join(', ')}` });
    } else {
      roles[owner] = role;
    }
  }
  return roles;
}

/**
 * The principal of already-verified JWT claims: `sub`, `name`, `email`, `scope` (space-separated), `scopes` (array),
 * `roles` (owner → role), `act` (RFC 8693 actor, possibly nested). Scopes without the `obj:` prefix belong to other services and are
 * ignored; every malformed
 * claim is reported in one ValidationError (pointer `/<claim>`).
 */
export function parsePrincipal(claims: unknown): Principal {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new ValidationError('invalid token claims', [{ pointer: '', message: 'claims must be a JSON object' }]);
  }
  const record = claims as Readonly<Record<string, unknown>>;
  const issues: ValidationIssue[] = [];
  const subject = record['sub'];
  if (typeof subject !== 'string' || subject.trim().length === 0) {
    issues.push({ pointer: '/sub', message: "claim 'sub' must be a non-empty string" });
  }
  const name = optionalText(record, 'name', issues);
  const email = optionalText(record, 'email', issues);
  const scopes = scopesOf(record, issues);
  const roles = rolesOf(record, issues);
  const actor = record['act'] === undefined || record['act'] === null ? undefined : actorOf(record['act'], '/act', 1, issues);
  if (issues.length > 0) {
    const named = [...new Set(issues.map((issue) => issue.pointer.split('/')[1] ?? ''))].join(', ');
    throw new ValidationError(`invalid token claims: ${named}`, issues);
  }
  return {
    subject: subject as string,
    ...(name === undefined ? {} : { name }),
    ...(email === undefined ? {} : { email }),
    scopes,
    roles,
    ...(actor === undefined ? {} : { actor }),
  };
}

/** The claim form of an actor (RFC 8693 `act`: `{ sub, act? }`), the inverse of how `parsePrincipal` reads it. */
export interface ActorClaim {
  readonly sub: string;
  readonly act?: ActorClaim;
}

/** An actor as its `act` claim. */
export function actorClaimOf(actor: Actor): ActorClaim {
  return { sub: actor.subject, ...(actor.actor === undefined ? {} : { act: actorClaimOf(actor.actor) }) };
}

/**
 * The key a caller is counted and recognised by (rate limits, holding a token): its subject alone, or for a delegated
 * token its subject and chain of actors. JSON keeps the parts apart, so no subject can spell another caller's key.
 */
export function principalKey(principal: Principal): string {
  const actors: string[] = [];
  for (let actor = principal.actor; actor !== undefined; actor = actor.actor) actors.push(actor.subject);
  return JSON.stringify(actors.length === 0 ? [principal.subject] : [principal.subject, actors]);
}
