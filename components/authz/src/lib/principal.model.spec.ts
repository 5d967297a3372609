import { ValidationError } from '@metastore/errors';
import { actorClaimOf, ANONYMOUS, parsePrincipal, principalKey } from './principal.model';

function errorOf(claims: unknown): ValidationError {
  try {
    parsePrincipal(claims);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parsePrincipal', () => {
  it('reads subject, identity, scopes and roles', () => {
    expect(
      parsePrincipal({
        sub: 'auth0|42',
        name: ' Ada Lovelace ',
        email: 'ada@example.com',
        scope: 'openid obj:acme/x:read  obj:acme/*:tag email',
        scopes: ['obj:*/*:read', 'profile'],
        roles: { acme: 'editor', '*': 'reader' },
        iat: 1700000000,
      }),
    ).toEqual({
      subject: 'auth0|42',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      scopes: [
        { owner: 'acme', name: 'x', action: 'read' },
        { owner: 'acme', name: '*', action: 'tag' },
        { owner: '*', name: '*', action: 'read' },
      ],
      roles: { acme: 'editor', '*': 'reader' },
    });
  });

  it('needs only a subject', () => {
    expect(parsePrincipal({ sub: 'svc' })).toEqual({ subject: 'svc', scopes: [], roles: {} });
  });

  it('drops duplicate scopes given in both claims', () => {
    expect(parsePrincipal({ sub: 's', scope: 'obj:acme/x:read', scopes: ['obj:acme/x:read'] }).scopes).toHaveLength(1);
  });

  it('treats empty name and email as absent', () => {
    expect(parsePrincipal({ sub: 's', name: '  ', email: '', scope: '' })).toEqual({ subject: 's', scopes: [], roles: {} });
  });

  it.each([
    [{}, '/sub', "claim 'sub' must be a non-empty string"],
    [{ sub: '' }, '/sub', "claim 'sub' must be a non-empty string"],
    [{ sub: 7 }, '/sub', "claim 'sub' must be a non-empty string"],
    [{ sub: 's', name: 5 }, '/name', "claim 'name' must be a string"],
    [{ sub: 's', name: 'Eve <eve@example.com>' }, '/name', "claim 'name' must not contain '<', '>' or control characters"],
    [{ sub: 's', name: 'Eve\nMallory' }, '/name', "claim 'name' must not contain '<', '>' or control characters"],
    [{ sub: 's', email: 'not-an-email' }, '/email', "claim 'email' must be an email address"],
    [{ sub: 's', email: ['a@b'] }, '/email', "claim 'email' must be a string"],
    [{ sub: 's', scope: ['obj:acme/x:read'] }, '/scope', "claim 'scope' must be a space-separated string"],
    [{ sub: 's', scope: 'obj:acme/x:fly' }, '/scope', "scope 'obj:acme/x:fly': action 'fly' must be one of"],
    [{ sub: 's', scopes: 'obj:acme/x:read' }, '/scopes', "claim 'scopes' must be an array of strings"],
    [{ sub: 's', scopes: [3] }, '/scopes/0', 'a scope must be a string'],
    [{ sub: 's', scopes: ['obj:acme/x:read', 'obj:acme:read'] }, '/scopes/1', "'obj:acme:read' is not a scope"],
    [{ sub: 's', roles: ['acme'] }, '/roles', "claim 'roles' must be an object"],
    [{ sub: 's', roles: 'admin' }, '/roles', "claim 'roles' must be an object"],
    [{ sub: 's', roles: { acme: 'owner' } }, '/roles/acme', "the role of 'acme' must be one of reader, editor, maintainer, admin"],
    [{ sub: 's', roles: { 'acme*': 'reader' } }, '/roles/acme*', "'acme*' is not an owner"],
    [{ sub: 's', roles: { 'a/b': 'reader' } }, '/roles/a~1b', "'a/b' is not an owner"],
    // The dataset owner rules of @metastore/datasets, not just its alphabet.
    [{ sub: 's', roles: { 'a..b': 'reader' } }, '/roles/a..b', "'a..b' is not an owner"],
    [{ sub: 's', roles: { 'acme.git': 'reader' } }, '/roles/acme.git', "'acme.git' is not an owner"],
    [{ sub: 's', roles: { ['o'.repeat(40)]: 'reader' } }, `/roles/${'o'.repeat(40)}`, 'is not an owner'],
  ])('rejects %j', (claims, pointer, message) => {
    const error = errorOf(claims);
    expect(error.issues).toEqual([{ pointer, message: expect.stringContaining(message) }]);
    expect(error.message).toBe(`invalid token claims: ${pointer.split('/')[1]}`);
  });

  it('reports every bad claim at once, naming each', () => {
    const error = errorOf({ sub: 1, email: 'x', scopes: ['obj:a/b:c'], roles: { acme: 'boss' } });
    expect(error.message).toBe('invalid token claims: sub, email, scopes, roles');
    expect(error.issues.map((issue) => issue.pointer)).toEqual(['/sub', '/email', '/scopes/0', '/roles/acme']);
  });

  it('rejects claims that are not an object', () => {
    expect(errorOf(null).issues).toEqual([{ pointer: '', message: 'claims must be a JSON object' }]);
    expect(errorOf(['sub']).issues).toEqual([{ pointer: '', message: 'claims must be a JSON object' }]);
  });

  it('reads the RFC 8693 actor of a delegated token, nested actors included, and writes it back the same', () => {
    const act = { sub: 'ci-nightly', act: { sub: 'deployer' } };
    const principal = parsePrincipal({ sub: 'alice', act });
    expect(principal.actor).toEqual({ subject: 'ci-nightly', actor: { subject: 'deployer' } });
    expect(actorClaimOf(principal.actor!)).toEqual(act);
  });

  it.each([
    [{ sub: 's', act: 'ci' }, '/act', "claim 'act' must be an object with a 'sub'"],
    [{ sub: 's', act: {} }, '/act/sub', "'sub' must be a non-empty string"],
    [{ sub: 's', act: { sub: 'ci <x@y>' } }, '/act/sub', "without '<', '>' or control characters"],
    [{ sub: 's', act: { sub: 'ci', act: [] } }, '/act/act', "claim 'act' must be an object"],
    [
      { sub: 's', act: Array.from({ length: 9 }).reduce<object>((inner) => ({ sub: 'a', act: inner }), { sub: 'a' }) },
      '/act/act/act/act/act/act/act/act/act',
      'at most 8 nested actors',
    ],
  ])('rejects the actor claim of %j', (claims, pointer, message) => {
    expect(errorOf(claims).issues).toEqual([{ pointer, message: expect.stringContaining(message) }]);
  });

  it('keys a delegated token apart from its subject and from any subject named like its actor', () => {
    const alice = parsePrincipal({ sub: 'alice' });
    const delegated = parsePrincipal({ sub: 'alice', act: { sub: 'ci-nightly' } });
    const keys = [alice, delegated, parsePrincipal({ sub: 'ci-nightly' }), parsePrincipal({ sub: '["alice",["ci-nightly"]]' })].map(
      principalKey,
    );
    expect(new Set(keys).size).toBe(4);
    expect(principalKey(parsePrincipal({ sub: 'alice', act: { sub: 'ci-nightly' }, scope: 'obj:acme/x:read' }))).toBe(
      principalKey(delegated),
    );
  });

  it('never makes an anonymous principal from claims', () => {
    expect(parsePrincipal({ sub: 's', anonymous: true }).anonymous).toBeUndefined();
    expect(ANONYMOUS).toEqual({ subject: 'anonymous', scopes: [], roles: {}, anonymous: true });
    expect(Object.isFrozen(ANONYMOUS)).toBe(true);
  });
});
