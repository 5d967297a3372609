// Every operation × role × scope, generated from the tables; the expected answer comes from a deliberately naive
// model written here (ranks and reaches), never from the policy's own helpers.
import { ANONYMOUS, type Principal } from './principal.model';
import { OPERATIONS, type OperationId, type TargetKind } from './operations.model';
import { authorize, type AccessContext, type AccessTarget, type DenialCode } from './policy.service';
import { ROLES, type Role } from './role.model';
import { ACTIONS, parseScope, type Action } from './scope.model';

type Expected = 'allowed' | DenialCode;
/** How much of the instance a grant spans, as seen from the dataset acme/x. */
type Reach = 'none' | 'dataset' | 'owner' | 'global';

const REACH_LEVEL: Record<Reach, number> = { none: 0, dataset: 1, owner: 2, global: 3 };
const ROLE_RANK: Record<Role, number> = { reader: 1, editor: 2, maintainer: 3, admin: 4 };
/** The weakest role that may perform each action (reader reads; editor writes and tags; maintainer deletes; admin administers). */
const WEAKEST_ROLE_FOR: Record<Action, number> = { read: 1, write: 2, tag: 2, delete: 3, admin: 4 };
const ALL_ACTIONS: readonly Action[] = ['read', 'write', 'tag', 'delete', 'admin'];

interface RoleCase {
  readonly label: string;
  readonly role?: { readonly owner: string; readonly role: Role; readonly reach: Reach };
}
interface ScopeCase {
  readonly label: string;
  readonly scope?: { readonly text: string; readonly action: Action | '*'; readonly reach: Reach };
}
interface TargetCase {
  readonly operation: OperationId;
  readonly target: AccessTarget;
}

const ROLE_OWNERS: readonly { owner: string; reach: Reach }[] = [
  { owner: 'acme', reach: 'owner' },
  { owner: 'other', reach: 'none' },
  { owner: '*', reach: 'global' },
];
const ROLE_CASES: readonly RoleCase[] = [
  { label: 'no role' },
  ...ROLES.flatMap((role) => ROLE_OWNERS.map(({ owner, reach }) => ({ label: `${role} on ${owner}`, role: { owner, role, reach } }))),
];

/** Scope shapes with their reach from acme/x, worked out by hand. */
const SCOPE_SHAPES: readonly { pattern: string; reach: Reach }[] = [
  { pattern: 'acme/x', reach: 'dataset' },
  { pattern: 'acme/x*', reach: 'dataset' },
  { pattern: 'acme/*', reach: 'owner' },
  { pattern: 'ac*/*', reach: 'owner' },
  { pattern: 'acme*/*', reach: 'owner' },
  { pattern: '*/*', reach: 'global' },
  { pattern: 'acme/y', reach: 'none' },
  { pattern: 'acme/xy*', reach: 'none' },
  { pattern: 'acmecorp*/*', reach: 'none' },
  { pattern: 'other/*', reach: 'none' },
  { pattern: '*/y', reach: 'none' },
];
const SCOPE_CASES: readonly ScopeCase[] = [
  { label: 'no scope' },
  ...SCOPE_SHAPES.flatMap(({ pattern, reach }) =>
    [...ACTIONS, '*' as const].map((action) => {
      const text = `obj:${pattern}:${action}`;
      return { label: text, scope: { text, action, reach } };
    }),
  ),
];

const DATASET: AccessTarget = { owner: 'acme', name: 'x' };
/** Two targets for the kinds that have two: a dataset or its owner, an owner or every owner. */
const TWO_TARGETS: Partial<Record<TargetKind, readonly AccessTarget[]>> = {
  ownerOrDataset: [DATASET, { owner: 'acme' }],
  owner: [{ owner: 'acme' }, { owner: '*' }],
};
const TARGET_CASES: readonly TargetCase[] = (Object.keys(OPERATIONS) as OperationId[]).flatMap((operation) =>
  (TWO_TARGETS[OPERATIONS[operation].target] ?? [DATASET]).map((target) => ({ operation, target })),
);

const CLOSED: AccessContext = { anonymousReadOfPublic: false, datasetIsPublic: false };

function holds(roleCase: RoleCase, scopeCase: ScopeCase, action: Action, level: Reach): boolean {
  const { role } = roleCase;
  const byRole = role !== undefined && REACH_LEVEL[role.reach] >= REACH_LEVEL[level] && ROLE_RANK[role.role] >= WEAKEST_ROLE_FOR[action];
  const { scope } = scopeCase;
  const byScope =
    scope !== undefined &&
    REACH_LEVEL[scope.reach] >= REACH_LEVEL[level] &&
    (scope.action === '*' || scope.action === 'admin' || scope.action === action);
  return byRole || byScope;
}

function expected({ operation, target }: TargetCase, roleCase: RoleCase, scopeCase: ScopeCase): Expected {
  const policy = OPERATIONS[operation];
  if (policy.target === 'public' || policy.target === 'listing') return 'allowed';
  const may = (level: Reach) => (holds(roleCase, scopeCase, policy.action, level) ? 'allowed' : 'FORBIDDEN');
  if (policy.target === 'owner') return may(target.owner === '*' ? 'global' : 'owner');
  if (policy.target === 'newDataset') return may('dataset');
  if (policy.target === 'ownerOrDataset' && target.name === undefined) return may('owner');
  if (holds(roleCase, scopeCase, policy.action, 'dataset')) return 'allowed';
  return ALL_ACTIONS.some((action) => holds(roleCase, scopeCase, action, 'dataset')) ? 'FORBIDDEN' : 'DATASET_NOT_FOUND';
}

function principalOf(roleCase: RoleCase, scopeCase: ScopeCase): Principal {
  return {
    subject: 'user-1',
    scopes: scopeCase.scope ? [parseScope(scopeCase.scope.text)] : [],
    roles: roleCase.role ? { [roleCase.role.owner]: roleCase.role.role } : {},
  };
}

function outcome(principal: Principal | undefined, { operation, target }: TargetCase, context: AccessContext): Expected {
  const decision = authorize(principal, operation, target, context);
  return decision.allowed ? 'allowed' : decision.code;
}

function describeTarget({ operation, target }: TargetCase): string {
  return `${operation} on ${target.owner}${target.name === undefined ? '' : `/${target.name}`}`;
}

describe('authorize: every operation × role × scope (authenticated, private dataset)', () => {
  describe.each(TARGET_CASES.map((targetCase) => [describeTarget(targetCase), targetCase] as const))('%s', (_label, targetCase) => {
    it.each(ROLE_CASES.map((roleCase) => [roleCase.label, roleCase] as const))('%s, with each scope', (_role, roleCase) => {
      const actual = Object.fromEntries(
        SCOPE_CASES.map((scopeCase) => [scopeCase.label, outcome(principalOf(roleCase, scopeCase), targetCase, CLOSED)]),
      );
      const wanted = Object.fromEntries(SCOPE_CASES.map((scopeCase) => [scopeCase.label, expected(targetCase, roleCase, scopeCase)]));
      expect(actual).toEqual(wanted);
    });
  });

  it('covers every operation, 13 role cases and 67 scope cases', () => {
    expect(new Set(TARGET_CASES.map(({ operation }) => operation))).toEqual(new Set(Object.keys(OPERATIONS)));
    const twoTargets = Object.values(OPERATIONS).filter((policy) => policy.target in TWO_TARGETS).length;
    expect([TARGET_CASES.length, ROLE_CASES.length, SCOPE_CASES.length]).toEqual([Object.keys(OPERATIONS).length + twoTargets, 13, 67]);
  });
});

describe('authorize: every operation without credentials, and with a public dataset', () => {
  const contexts: readonly { label: string; context: AccessContext }[] = [
    { label: 'private, anonymous reads off', context: { datasetIsPublic: false, anonymousReadOfPublic: false } },
    { label: 'private, anonymous reads on', context: { datasetIsPublic: false, anonymousReadOfPublic: true } },
    { label: 'public, anonymous reads off', context: { datasetIsPublic: true, anonymousReadOfPublic: false } },
    { label: 'public, anonymous reads on', context: { datasetIsPublic: true, anonymousReadOfPublic: true } },
    { label: 'publicity unknown, anonymous reads on', context: { anonymousReadOfPublic: true } },
  ];
  const openToAll = (context: AccessContext) => context.anonymousReadOfPublic && context.datasetIsPublic === true;

  function expectedAnonymous({ operation }: TargetCase, context: AccessContext): Expected {
    const policy = OPERATIONS[operation];
    if (policy.target === 'public') return 'allowed';
    if (policy.target === 'listing') return context.anonymousReadOfPublic ? 'allowed' : 'UNAUTHENTICATED';
    if (policy.target === 'dataset' && policy.action === 'read' && openToAll(context)) return 'allowed';
    return 'UNAUTHENTICATED';
  }

  /** A caller with no right on acme/x: a dataset open to all is readable, so it exists for them (FORBIDDEN, not DATASET_NOT_FOUND). */
  function expectedStranger(targetCase: TargetCase, context: AccessContext): Expected {
    const policy = OPERATIONS[targetCase.operation];
    const onDataset = policy.target === 'dataset' || (policy.target === 'ownerOrDataset' && targetCase.target.name !== undefined);
    if (!onDataset || !openToAll(context)) return expected(targetCase, { label: 'no role' }, { label: 'no scope' });
    return policy.action === 'read' ? 'allowed' : 'FORBIDDEN';
  }

  describe.each(TARGET_CASES.map((targetCase) => [describeTarget(targetCase), targetCase] as const))('%s', (_label, targetCase) => {
    it.each(contexts.map(({ label, context }) => [label, context] as const))('%s', (_context, context) => {
      const wanted = expectedAnonymous(targetCase, context);
      expect(outcome(undefined, targetCase, context)).toBe(wanted);
      expect(outcome(ANONYMOUS, targetCase, context)).toBe(wanted);
      // A signed-in caller with rights only elsewhere: a dataset open to all is readable by them too.
      expect(
        outcome(
          principalOf({ label: 'reader on other', role: { owner: 'other', role: 'reader', reach: 'none' } }, { label: 'no scope' }),
          targetCase,
          context,
        ),
      ).toBe(expectedStranger(targetCase, context));
      // A principal that says it is anonymous gets nothing from the roles it carries.
      expect(outcome({ ...ANONYMOUS, roles: { '*': 'admin' } }, targetCase, context)).toBe(wanted);
    });
  });
});
