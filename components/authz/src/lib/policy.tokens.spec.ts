// Who may mint and revoke scoped tokens, and how requested scopes are narrowed: one table per rule, each row a caller,
// what it asks for, and the whole answer (allowed, or the denial's code and reason, or the refused scopes).
import { AuthenticationError, ForbiddenError, NotFoundError, ValidationError } from '@metastore/errors';
import { principalWith } from '../testing';
import { ANONYMOUS, type Principal } from './principal.model';
import {
  denialError,
  mayMint,
  mayRevoke,
  mintScopes,
  narrowScopes,
  parseMintRequest,
  type AccessContext,
  type AccessTarget,
  type Decision,
  type Denial,
} from './policy.service';
import { formatScope, parseScopes } from './scope.model';

/** The facts `accessContext` gives for an owner when anonymous reads are on for `publicOwners` (none: off). */
function contextFor(publicOwners: readonly string[]): (owner: string) => AccessContext {
  const open = publicOwners.length > 0;
  return (owner) => ({
    anonymousReadOfPublic: open,
    datasetIsPublic: open && (publicOwners.includes('*') || publicOwners.includes(owner)),
  });
}

/** A denial as the table writes it. */
function denied(code: Denial['code'], reason: string): Denial {
  return { allowed: false, code, reason };
}

const ALLOWED: Decision = { allowed: true };

const callers: Readonly<Record<string, Principal | undefined>> = {
  anonymous: undefined,
  'ANONYMOUS with roles': { ...ANONYMOUS, roles: { '*': 'admin' } },
  'owner admin': principalWith({ subject: 'erin', roles: { acme: 'admin' } }),
  'owner editor': principalWith({ subject: 'erin', roles: { acme: 'editor' } }),
  'dataset admin': principalWith({ subject: 'dave', scopes: ['obj:acme/x:admin'] }),
  'dataset all-actions': principalWith({ subject: 'dave', scopes: ['obj:acme/x:*'] }),
  'dataset writer and reader': principalWith({ subject: 'dave', scopes: ['obj:acme/x:read', 'obj:acme/x:write'] }),
  'pattern admin': principalWith({ subject: 'dave', scopes: ['obj:acme/data-*:admin'] }),
  'admin elsewhere': principalWith({ subject: 'olga', roles: { other: 'admin' } }),
  'global admin': principalWith({ subject: 'root', roles: { '*': 'admin' } }),
};

describe('mayMint: only an admin of the dataset or owner a token is restricted to may mint it', () => {
  it.each<[caller: string, body: { owner: string; name?: string; actions: string[] }, publicOwners: string[], expected: string[] | Denial]>(
    [
      ['owner admin', { owner: 'acme', name: 'x', actions: ['read'] }, [], ['obj:acme/x:read']],
      ['owner admin', { owner: 'acme', actions: ['admin', 'read'] }, [], ['obj:acme/*:admin', 'obj:acme/*:read']],
      ['dataset admin', { owner: 'acme', name: 'x', actions: ['read', 'write', 'read'] }, [], ['obj:acme/x:read', 'obj:acme/x:write']],
      ['dataset all-actions', { owner: 'acme', name: 'x', actions: ['delete'] }, [], ['obj:acme/x:delete']],
      ['pattern admin', { owner: 'acme', name: 'data-2024', actions: ['write'] }, [], ['obj:acme/data-2024:write']],
      ['global admin', { owner: 'other', actions: ['delete'] }, [], ['obj:other/*:delete']],
      ['dataset admin', { owner: 'acme', actions: ['read'] }, [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/*")],
      ['pattern admin', { owner: 'acme', actions: ['read'] }, [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/*")],
      ['dataset admin', { owner: 'acme', name: 'y', actions: ['read'] }, [], denied('DATASET_NOT_FOUND', 'dataset acme/y does not exist')],
      [
        'dataset admin',
        { owner: 'acme', name: 'y', actions: ['read'] },
        ['acme'],
        denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/y"),
      ],
      [
        'owner editor',
        { owner: 'acme', name: 'x', actions: ['read'] },
        [],
        denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/x"),
      ],
      [
        'dataset writer and reader',
        { owner: 'acme', name: 'x', actions: ['read'] },
        [],
        denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/x"),
      ],
      [
        'admin elsewhere',
        { owner: 'acme', name: 'x', actions: ['read'] },
        [],
        denied('DATASET_NOT_FOUND', 'dataset acme/x does not exist'),
      ],
      ['admin elsewhere', { owner: 'acme', actions: ['read'] }, [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/*")],
      [
        'anonymous',
        { owner: 'acme', name: 'x', actions: ['read'] },
        ['*'],
        denied('UNAUTHENTICATED', 'authentication is required to mint a scoped token'),
      ],
      [
        'ANONYMOUS with roles',
        { owner: 'acme', actions: ['read'] },
        [],
        denied('UNAUTHENTICATED', 'authentication is required to mint a scoped token'),
      ],
    ],
  )('%s minting %j (public owners %j)', (callerLabel, body, publicOwners, expected) => {
    const caller = callers[callerLabel];
    const request = parseMintRequest(body);
    const decision = mayMint(caller, request, contextFor(publicOwners)(request.owner));
    if (!Array.isArray(expected)) {
      expect(decision).toEqual(expected);
      return;
    }
    expect(decision).toEqual(ALLOWED);
    // Whoever may mint gets every requested action: an admin of the target holds them all there.
    expect(mintScopes(caller, request).map(formatScope)).toEqual(expected);
  });
});

/** Tokens as `parsePrincipal` makes them from verified claims: minted ones carry an actor and scopes, the identity provider's roles. */
const tokens: Readonly<Record<string, Principal>> = {
  "alice's own (roles only)": principalWith({ subject: 'alice', roles: { acme: 'admin' } }),
  "alice's bot on acme/x": { ...principalWith({ subject: 'alice', scopes: ['obj:acme/x:read'] }), actor: { subject: 'ci-nightly' } },
  "alice's bot on acme/*": { ...principalWith({ subject: 'alice', scopes: ['obj:acme/*:write'] }), actor: { subject: 'deployer' } },
  "bob's bot on acme/x": { ...principalWith({ subject: 'bob', scopes: ['obj:acme/x:read'] }), actor: { subject: 'ci-nightly' } },
  "carol's scopes on acme/x and acme/data-*": principalWith({ subject: 'carol', scopes: ['obj:acme/x:read', 'obj:acme/data-*:write'] }),
  "carol's scopes and a role": principalWith({ subject: 'carol', scopes: ['obj:acme/x:read'], roles: { other: 'reader' } }),
  "carol's token with neither": principalWith({ subject: 'carol' }),
};

const revokers: Readonly<Record<string, Principal | undefined>> = {
  ...callers,
  alice: principalWith({ subject: 'alice', roles: { acme: 'reader' } }),
  "alice's bot ci-nightly": { ...principalWith({ subject: 'alice', scopes: ['obj:acme/x:read'] }), actor: { subject: 'ci-nightly' } },
  'the real ci-nightly': principalWith({ subject: 'ci-nightly' }),
};

describe('mayRevoke: a token’s holder may revoke it, and so may whoever could mint a token like it', () => {
  const everything = "mint a scoped token needs 'admin' on */*";
  it.each<[caller: string, token: string, publicOwners: string[], expected: Decision]>([
    // The holder: its subject (with or without admin rights over the token), or a token of the same delegation.
    ['alice', "alice's own (roles only)", [], ALLOWED],
    ['alice', "alice's bot on acme/x", [], ALLOWED],
    ['alice', "alice's bot on acme/*", [], ALLOWED],
    ["alice's bot ci-nightly", "alice's bot on acme/x", [], ALLOWED],
    ["alice's bot ci-nightly", "alice's bot on acme/*", [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/*")],
    ["alice's bot ci-nightly", "alice's own (roles only)", [], denied('FORBIDDEN', everything)],
    ["alice's bot ci-nightly", "bob's bot on acme/x", [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/x")],
    ['the real ci-nightly', "alice's bot on acme/x", [], denied('DATASET_NOT_FOUND', 'dataset acme/x does not exist')],
    ['the real ci-nightly', "alice's bot on acme/x", ['acme'], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/x")],
    ['alice', "bob's bot on acme/x", [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/x")],
    // Admins over everything the token may reach: each of its scopes' datasets or owners, the instance for roles or no scope.
    ['dataset admin', "bob's bot on acme/x", [], ALLOWED],
    ['dataset all-actions', "bob's bot on acme/x", [], ALLOWED],
    ['dataset admin', "alice's bot on acme/*", [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/*")],
    ['dataset admin', "carol's scopes on acme/x and acme/data-*", [], denied('DATASET_NOT_FOUND', 'dataset acme/data-* does not exist')],
    ['pattern admin', "carol's scopes on acme/x and acme/data-*", [], denied('DATASET_NOT_FOUND', 'dataset acme/x does not exist')],
    ['owner admin', "carol's scopes on acme/x and acme/data-*", [], ALLOWED],
    ['owner admin', "alice's bot on acme/*", [], ALLOWED],
    ['owner admin', "carol's scopes and a role", [], denied('FORBIDDEN', everything)],
    ['owner admin', "carol's token with neither", [], denied('FORBIDDEN', everything)],
    ['owner admin', "alice's own (roles only)", [], denied('FORBIDDEN', everything)],
    ['owner editor', "bob's bot on acme/x", [], denied('FORBIDDEN', "mint a scoped token needs 'admin' on acme/x")],
    ['admin elsewhere', "bob's bot on acme/x", [], denied('DATASET_NOT_FOUND', 'dataset acme/x does not exist')],
    ['global admin', "carol's scopes and a role", [], ALLOWED],
    ['global admin', "carol's token with neither", [], ALLOWED],
    ['global admin', "alice's own (roles only)", [], ALLOWED],
    // Without credentials nobody revokes anything, not even with a principal that says it is anonymous and holds roles.
    ['anonymous', "carol's token with neither", ['*'], denied('UNAUTHENTICATED', 'authentication is required to revoke a token')],
    ['ANONYMOUS with roles', "bob's bot on acme/x", [], denied('UNAUTHENTICATED', 'authentication is required to revoke a token')],
  ])('%s revoking %s (public owners %j)', (callerLabel, tokenLabel, publicOwners, expected) => {
    expect(mayRevoke(revokers[callerLabel], tokens[tokenLabel]!, contextFor(publicOwners))).toEqual(expected);
  });

  it('asks for the facts of each owner the token reaches, and of the instance (`*`) for a token with roles', () => {
    const asked: string[] = [];
    const contextOf = (owner: string) => {
      asked.push(owner);
      return contextFor([])(owner);
    };
    mayRevoke(
      callers['global admin'],
      principalWith({ subject: 'carol', scopes: ['obj:acme/x:read', 'obj:other/*:tag'], roles: { acme: 'reader' } }),
      contextOf,
    );
    expect(asked).toEqual(['acme', 'other', '*']);
  });
});

describe('narrowScopes: a token never exceeds its minter, nor the dataset or owner it is minted for', () => {
  const editor = principalWith({ roles: { acme: 'editor' }, scopes: ['obj:other/x:admin'] });
  const partial = principalWith({ scopes: ['obj:acme/a*:read', 'obj:acme/b*:read', 'obj:acme/x:read', 'obj:acme/x:write'] });
  const admin = principalWith({ roles: { '*': 'admin' } });
  const narrowers: Readonly<Record<string, Principal | undefined>> = {
    editor,
    partial,
    admin,
    anonymous: undefined,
    'ANONYMOUS with roles': { ...ANONYMOUS, roles: { '*': 'admin' } },
  };

  it.each<
    [caller: string, requested: string[], within: AccessTarget | undefined, expected: string[] | { pointer: string; message: string }[]]
  >([
    [
      'editor',
      ['obj:acme/x:read', 'obj:acme/*:tag', 'obj:acme/x:read', 'obj:acme/data-*:write', 'obj:other/x:*'],
      undefined,
      ['obj:acme/x:read', 'obj:acme/*:tag', 'obj:acme/data-*:write', 'obj:other/x:*'],
    ],
    ['editor', [], undefined, []],
    [
      'editor',
      ['obj:acme/x:read', 'obj:acme/x:delete', 'obj:acme*/*:read', 'obj:acme/x:*', 'obj:other/y:read'],
      undefined,
      [
        { pointer: '/1', message: "scope 'obj:acme/x:delete' exceeds the rights of the caller" },
        { pointer: '/2', message: "scope 'obj:acme*/*:read' exceeds the rights of the caller" },
        { pointer: '/3', message: "scope 'obj:acme/x:*' exceeds the rights of the caller" },
        { pointer: '/4', message: "scope 'obj:other/y:read' exceeds the rights of the caller" },
      ],
    ],
    // Partial grants do not add up: each requested scope needs one grant covering it whole.
    ['partial', ['obj:acme/ab:read', 'obj:acme/b*:read'], undefined, ['obj:acme/ab:read', 'obj:acme/b*:read']],
    ['partial', ['obj:acme/*:read'], undefined, [{ pointer: '/0', message: "scope 'obj:acme/*:read' exceeds the rights of the caller" }]],
    ['partial', ['obj:acme/x:*'], undefined, [{ pointer: '/0', message: "scope 'obj:acme/x:*' exceeds the rights of the caller" }]],
    // Bounds: the dataset or owner the token is minted for, checked before the caller's rights.
    ['admin', ['obj:acme/x:read'], { owner: 'acme', name: 'x' }, ['obj:acme/x:read']],
    ['admin', ['obj:acme/x:read', 'obj:acme/y*:write'], { owner: 'acme' }, ['obj:acme/x:read', 'obj:acme/y*:write']],
    [
      'admin',
      ['obj:acme/*:read', 'obj:acmecorp/x:read'],
      { owner: 'acme' },
      [{ pointer: '/1', message: "scope 'obj:acmecorp/x:read' reaches beyond acme/*" }],
    ],
    [
      'admin',
      ['obj:acme/x*:read'],
      { owner: 'acme', name: 'x' },
      [{ pointer: '/0', message: "scope 'obj:acme/x*:read' reaches beyond acme/x" }],
    ],
    ['editor', ['obj:other/x:read'], { owner: 'acme' }, [{ pointer: '/0', message: "scope 'obj:other/x:read' reaches beyond acme/*" }]],
    // No credentials, no rights: whatever roles a principal that says it is anonymous carries.
    ['anonymous', ['obj:acme/x:read'], undefined, [{ pointer: '/0', message: "scope 'obj:acme/x:read' exceeds the rights of the caller" }]],
    [
      'ANONYMOUS with roles',
      ['obj:acme/x:read'],
      undefined,
      [{ pointer: '/0', message: "scope 'obj:acme/x:read' exceeds the rights of the caller" }],
    ],
  ])('%s asking for %j within %j', (callerLabel, requested, within, expected) => {
    const narrow = () => narrowScopes(narrowers[callerLabel], parseScopes(requested), within);
    if (expected.every((entry) => typeof entry === 'string')) {
      expect(narrow().map(formatScope)).toEqual(expected);
      return;
    }
    let refusal: unknown;
    try {
      narrow();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).issues).toEqual(expected);
    expect((refusal as ValidationError).message).toBe(
      `requested scopes not allowed: ${expected.map((issue) => /'([^']+)'/.exec((issue as { message: string }).message)![1]).join(', ')}`,
    );
  });
});

describe('denialError: a denial as the error its code names', () => {
  it.each([
    [denied('UNAUTHENTICATED', 'authentication is required to write'), AuthenticationError],
    [denied('FORBIDDEN', "write as another author needs 'admin' on acme/x"), ForbiddenError],
    [denied('DATASET_NOT_FOUND', 'dataset acme/x does not exist'), NotFoundError],
  ])('%j', (denial, type) => {
    const error = denialError(denial);
    expect(error).toBeInstanceOf(type);
    expect({ code: error.code, message: error.message }).toEqual({ code: denial.code, message: denial.reason });
  });
});
