import { ValidationError } from '@metastore/errors';
import { principalWith } from '../testing';
import { ANONYMOUS } from './principal.model';
import {
  authorize,
  authorOf,
  canRead,
  holdsTokenOf,
  identityOf,
  mintedClaims,
  mintScopes,
  mintTargetOf,
  narrowScopes,
  parseMintRequest,
  type AccessContext,
} from './policy.service';
import { parseScopes } from './scope.model';

const X = { owner: 'acme', name: 'x' };
const CLOSED: AccessContext = { anonymousReadOfPublic: false };
const OPEN_PUBLIC: AccessContext = { anonymousReadOfPublic: true, datasetIsPublic: true };
const ada = { name: 'Ada Lovelace', email: 'ada@example.com' };
const grace = { name: 'Grace Hopper', email: 'grace@example.com' };

describe('authorize', () => {
  it('answers a stranger DATASET_NOT_FOUND on an existing dataset, in the words storage uses for a missing one', () => {
    const stranger = principalWith({ roles: { other: 'admin' } });
    for (const operation of ['readDataset', 'replaceDataset', 'deleteDataset', 'createTag', 'setAuthor', 'mintScopedToken'] as const) {
      expect(authorize(stranger, operation, X, CLOSED)).toEqual({
        allowed: false,
        code: 'DATASET_NOT_FOUND',
        reason: 'dataset acme/x does not exist',
      });
    }
  });

  it('answers a reader FORBIDDEN on a write, naming the missing action', () => {
    expect(authorize(principalWith({ roles: { acme: 'reader' } }), 'patchDataset', X, CLOSED)).toEqual({
      allowed: false,
      code: 'FORBIDDEN',
      reason: "patch a dataset needs 'write' on acme/x",
    });
  });

  it('treats any right on the dataset as knowing it exists: a write-only token may write, not read (FORBIDDEN)', () => {
    const writer = principalWith({ scopes: ['obj:acme/x:write'] });
    expect(authorize(writer, 'replaceDataset', X, CLOSED)).toEqual({ allowed: true });
    expect(authorize(writer, 'readDataset', X, CLOSED)).toMatchObject({ code: 'FORBIDDEN' });
    expect(authorize(writer, 'readDataset', { owner: 'acme', name: 'y' }, CLOSED)).toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });

  it('adds up roles and scopes', () => {
    const caller = principalWith({ roles: { acme: 'reader' }, scopes: ['obj:acme/x:delete'] });
    expect(authorize(caller, 'deleteDataset', X, CLOSED).allowed).toBe(true);
    expect(authorize(caller, 'readDataset', X, CLOSED).allowed).toBe(true);
    expect(authorize(caller, 'createTag', X, CLOSED)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('answers FORBIDDEN, never DATASET_NOT_FOUND, when creating without the right: nothing exists to hide', () => {
    expect(authorize(principalWith({}), 'createDataset', X, CLOSED)).toEqual({
      allowed: false,
      code: 'FORBIDDEN',
      reason: "create a dataset needs 'write' on acme/x",
    });
    expect(
      authorize(principalWith({ scopes: ['obj:acme/new-*:write'] }), 'createDataset', { owner: 'acme', name: 'new-1' }, CLOSED).allowed,
    ).toBe(true);
  });

  it('lets an owner admin mint tokens for the owner, a dataset admin only for the dataset', () => {
    const ownerAdmin = principalWith({ roles: { acme: 'admin' } });
    const datasetAdmin = principalWith({ scopes: ['obj:acme/x:admin'] });
    expect(authorize(ownerAdmin, 'mintScopedToken', { owner: 'acme' }, CLOSED).allowed).toBe(true);
    expect(authorize(datasetAdmin, 'mintScopedToken', X, CLOSED).allowed).toBe(true);
    expect(authorize(datasetAdmin, 'mintScopedToken', { owner: 'acme' }, CLOSED)).toMatchObject({
      code: 'FORBIDDEN',
      reason: "mint a scoped token needs 'admin' on acme/*",
    });
  });

  describe('the event feed: read on every dataset of the owner asked for (`*`: of every owner)', () => {
    // [caller, its grants, answer for owner acme, for an owner without datasets (ghost), for every owner (*)]
    const cases: readonly [string, Parameters<typeof principalWith>[0], string, string, string][] = [
      ['an admin of acme', { roles: { acme: 'admin' } }, 'allowed', 'FORBIDDEN', 'FORBIDDEN'],
      ['a reader of acme', { roles: { acme: 'reader' } }, 'allowed', 'FORBIDDEN', 'FORBIDDEN'],
      ['a reader of every owner', { roles: { '*': 'reader' } }, 'allowed', 'allowed', 'allowed'],
      ['a read scope on acme/*', { scopes: ['obj:acme/*:read'] }, 'allowed', 'FORBIDDEN', 'FORBIDDEN'],
      ['a read scope on ac*/*', { scopes: ['obj:ac*/*:read'] }, 'allowed', 'FORBIDDEN', 'FORBIDDEN'],
      ['a read scope on */*', { scopes: ['obj:*/*:read'] }, 'allowed', 'allowed', 'allowed'],
      ['a write scope on acme/* (no read)', { scopes: ['obj:acme/*:write'] }, 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
      ['an admin scope on one dataset of acme', { scopes: ['obj:acme/x:admin'] }, 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
      ['a read scope on acme/x*', { scopes: ['obj:acme/x*:read'] }, 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
      ['an admin of another owner', { roles: { other: 'admin' } }, 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
      ['no grant', {}, 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    ];
    const answer = (decision: ReturnType<typeof authorize>) => (decision.allowed ? 'allowed' : decision.code);

    it.each(cases)('%s', (_label, grants, acme, ghost, every) => {
      const caller = principalWith(grants);
      expect([
        answer(authorize(caller, 'listEvents', { owner: 'acme' }, CLOSED)),
        answer(authorize(caller, 'listEvents', { owner: 'ghost' }, CLOSED)),
        answer(authorize(caller, 'listEvents', { owner: '*' }, CLOSED)),
      ]).toEqual([acme, ghost, every]);
    });

    it('says what is missing in the same words for an owner that exists and one that does not', () => {
      const stranger = principalWith({ roles: { other: 'admin' } });
      expect(authorize(stranger, 'listEvents', { owner: 'acme' }, CLOSED)).toEqual({
        allowed: false,
        code: 'FORBIDDEN',
        reason: "replay change events needs 'read' on acme/*",
      });
      expect(authorize(stranger, 'listEvents', { owner: 'ghost' }, CLOSED)).toMatchObject({
        code: 'FORBIDDEN',
        reason: "replay change events needs 'read' on ghost/*",
      });
      expect(authorize(principalWith({ roles: { acme: 'admin' } }), 'listEvents', { owner: '*' }, CLOSED)).toMatchObject({
        code: 'FORBIDDEN',
        reason: "replay change events needs 'read' on */*",
      });
    });

    it('asks anonymous callers for credentials, even for an owner whose datasets are public', () => {
      expect(authorize(undefined, 'listEvents', { owner: 'acme' }, OPEN_PUBLIC)).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(authorize(ANONYMOUS, 'listEvents', { owner: '*' }, OPEN_PUBLIC)).toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });

  it('asks for credentials (UNAUTHENTICATED) before anything else', () => {
    expect(authorize(undefined, 'readDataset', X, CLOSED)).toEqual({
      allowed: false,
      code: 'UNAUTHENTICATED',
      reason: 'authentication is required to read a dataset',
    });
    expect(authorize(undefined, 'health', X, CLOSED)).toEqual({ allowed: true });
  });

  describe('anonymous reads of public datasets', () => {
    it('are off by default: a public dataset still needs credentials', () => {
      expect(authorize(undefined, 'readDataset', X, { anonymousReadOfPublic: false, datasetIsPublic: true })).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      expect(authorize(undefined, 'listDatasets', { owner: '*' }, { anonymousReadOfPublic: false })).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    });

    it('when on, open every read of a public dataset and the listing, to everyone', () => {
      for (const operation of [
        'readDataset',
        'readResource',
        'listRevisions',
        'getRevision',
        'diffRevisions',
        'listTags',
        'getTag',
      ] as const) {
        expect(authorize(undefined, operation, X, OPEN_PUBLIC)).toEqual({ allowed: true });
        expect(authorize(ANONYMOUS, operation, X, OPEN_PUBLIC)).toEqual({ allowed: true });
        expect(authorize(principalWith({}), operation, X, OPEN_PUBLIC)).toEqual({ allowed: true });
      }
      expect(authorize(undefined, 'listDatasets', { owner: '*' }, { anonymousReadOfPublic: true })).toEqual({ allowed: true });
    });

    it('never open writes: anonymous UNAUTHENTICATED, signed-in without the right FORBIDDEN', () => {
      expect(authorize(undefined, 'patchDataset', X, OPEN_PUBLIC)).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(authorize(principalWith({}), 'patchDataset', X, OPEN_PUBLIC)).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('do not open private datasets, nor ones whose publicity is unknown (UNAUTHENTICATED for all, so nothing leaks)', () => {
      expect(authorize(undefined, 'readDataset', X, { anonymousReadOfPublic: true, datasetIsPublic: false })).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      expect(authorize(undefined, 'readDataset', X, { anonymousReadOfPublic: true })).toMatchObject({ code: 'UNAUTHENTICATED' });
    });
  });

  it('refuses a dataset operation without a dataset name (a wiring mistake)', () => {
    expect(() => authorize(principalWith({}), 'readDataset', { owner: 'acme' }, CLOSED)).toThrow(TypeError);
    expect(() => authorize(principalWith({}), 'createDataset', { owner: 'acme' }, CLOSED)).toThrow('createDataset acts on a dataset');
  });
});

describe('canRead', () => {
  const datasets = [X, { owner: 'acme', name: 'y' }, { owner: 'acmecorp', name: 'x' }, { owner: 'other', name: 'x' }];

  it('filters a listing by read right', () => {
    const caller = principalWith({ roles: { other: 'reader' }, scopes: ['obj:acme/x:read', 'obj:acme/y:write'] });
    expect(datasets.filter((dataset) => canRead(caller, dataset))).toEqual([X, { owner: 'other', name: 'x' }]);
  });

  it('shows public datasets to everyone when anonymous reads are on, and nothing else to anonymous callers', () => {
    expect(canRead(undefined, X, OPEN_PUBLIC)).toBe(true);
    expect(canRead(ANONYMOUS, X, { anonymousReadOfPublic: true, datasetIsPublic: false })).toBe(false);
    expect(canRead(undefined, X, { anonymousReadOfPublic: false, datasetIsPublic: true })).toBe(false);
    expect(canRead(principalWith({}), X, OPEN_PUBLIC)).toBe(true);
    expect(canRead({ ...ANONYMOUS, roles: { '*': 'admin' } }, X)).toBe(false);
  });
});

describe('authorOf', () => {
  it('is the caller by default', () => {
    expect(authorOf(principalWith({ ...ada }), X)).toEqual({ allowed: true, author: ada });
  });

  it('accepts the caller named explicitly (email case aside), recording the identity of the token', () => {
    expect(authorOf(principalWith({ ...ada }), X, { ...ada, email: 'ADA@example.com' })).toEqual({ allowed: true, author: ada });
  });

  it('refuses another author without admin on the dataset (FORBIDDEN)', () => {
    for (const caller of [principalWith({ ...ada, roles: { acme: 'maintainer' } }), principalWith({ ...ada, roles: { other: 'admin' } })]) {
      expect(authorOf(caller, X, grace)).toEqual({
        allowed: false,
        code: 'FORBIDDEN',
        reason: "write as another author needs 'admin' on acme/x",
      });
    }
    expect(authorOf(principalWith({ ...ada }), X, { ...ada, name: 'Ada King' })).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('accepts another author from an admin of the dataset, by role or by scope', () => {
    expect(authorOf(principalWith({ ...ada, roles: { acme: 'admin' } }), X, grace)).toEqual({ allowed: true, author: grace });
    expect(authorOf(principalWith({ ...ada, scopes: ['obj:acme/x:admin'] }), X, grace)).toEqual({ allowed: true, author: grace });
    expect(authorOf(principalWith({ ...ada, scopes: ['obj:acme/x:*'] }), X, grace)).toEqual({ allowed: true, author: grace });
  });

  it('needs credentials', () => {
    expect(authorOf(undefined, X)).toEqual({ allowed: false, code: 'UNAUTHENTICATED', reason: 'authentication is required to write' });
    expect(authorOf(ANONYMOUS, X)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('identityOf', () => {
  it('falls back to the subject and a noreply.invalid address', () => {
    expect(identityOf(principalWith({ subject: 'auth0|42' }))).toEqual({ name: 'auth0|42', email: 'auth0-42@noreply.invalid' });
    expect(identityOf(principalWith({ subject: '<>' }))).toEqual({ name: 'unknown', email: '--@noreply.invalid' });
    expect(identityOf(principalWith({ subject: 'a<b>\nc' })).name).toBe('abc');
    expect(identityOf(principalWith({ subject: 's', email: 'ada@example.com' }))).toEqual({ name: 's', email: 'ada@example.com' });
  });
});

describe('identityOf a delegated token', () => {
  it('is the actor, on behalf of the subject, at an address that is never the subject’s', () => {
    const delegated = {
      ...principalWith({ subject: 'alice', name: 'Alice Example', email: 'alice@example.com' }),
      actor: { subject: 'ci-nightly' },
    };
    expect(identityOf(delegated)).toEqual({
      name: 'ci-nightly (on behalf of Alice Example)',
      email: 'ci-nightly@tokens.metastore.invalid',
    });
    expect(identityOf({ ...principalWith({ subject: 'auth0|42' }), actor: { subject: 'svc:a<b>' } })).toEqual({
      name: 'svc:ab (on behalf of auth0|42)',
      email: 'svc-a-b-@tokens.metastore.invalid',
    });
  });

  it('makes naming the subject as author a request for another author (admin only)', () => {
    const delegated = { ...principalWith({ subject: 'alice', ...ada, scopes: ['obj:acme/x:write'] }), actor: { subject: 'ci' } };
    expect(authorOf(delegated, X)).toEqual({
      allowed: true,
      author: { name: 'ci (on behalf of Ada Lovelace)', email: 'ci@tokens.metastore.invalid' },
    });
    expect(authorOf(delegated, X, ada)).toMatchObject({ allowed: false, code: 'FORBIDDEN' });
  });
});

describe('minting scoped tokens', () => {
  const ownerAdmin = principalWith({ subject: 'alice', name: 'Alice', roles: { acme: 'admin' } });

  function issuesOf(action: () => unknown) {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).issues;
    }
    throw new Error('expected a ValidationError');
  }

  it('refuses the issue-9 attack: scope syntax in a name is a bad dataset name, not more scopes', () => {
    const issues = issuesOf(() => parseMintRequest({ owner: 'acme', name: 'x:read obj:*/*:admin obj:acme/y', actions: ['read'] }));
    expect(issues.map((issue) => issue.pointer)).toEqual(['/name']);
  });

  it.each([
    [{ owner: 'acme*', actions: ['read'] }, ['/owner']],
    [{ owner: '*', name: '*', actions: ['read'] }, ['/owner', '/name']],
    [{ owner: 'acme', name: 'x y', actions: ['read'] }, ['/name']],
    [{ owner: 'Acme', name: 'é', actions: ['read'] }, ['/owner', '/name']],
    [{ owner: 'acme', name: 'x.git', actions: ['read'] }, ['/name']],
    [{ owner: 'acme', actions: [] }, ['/actions']],
    [{ owner: 'acme', actions: ['read', '*', 'read obj:*/*:admin'] }, ['/actions/1', '/actions/2']],
    [{ owner: 'acme', actions: 'read' }, ['/actions']],
    [{ owner: 'acme', actions: ['read'], actor: 'ci nightly' }, ['/actor']],
    [{ owner: 'acme', actions: ['read'], actor: 'CI' }, ['/actor']],
  ])('refuses %j at %j', (body, pointers) => {
    expect(issuesOf(() => parseMintRequest(body)).map((issue) => issue.pointer)).toEqual(pointers);
  });

  it('names the default actor when the request does not', () => {
    expect(parseMintRequest({ owner: 'acme', actions: ['read'] })).toEqual({ owner: 'acme', actions: ['read'], actor: 'minted-token' });
  });

  it('mints one structured scope per action on the dataset or owner, within the minter’s rights', () => {
    const dataset = parseMintRequest({ owner: 'acme', name: 'x', actions: ['read', 'tag', 'read'], actor: 'ci-nightly' });
    expect(mintTargetOf(dataset)).toEqual(X);
    expect(mintScopes(ownerAdmin, dataset)).toEqual(parseScopes(['obj:acme/x:read', 'obj:acme/x:tag']));
    expect(mintScopes(ownerAdmin, parseMintRequest({ owner: 'acme', actions: ['admin'] }))).toEqual(parseScopes(['obj:acme/*:admin']));
    const editor = principalWith({ roles: { acme: 'editor' } });
    expect(issuesOf(() => mintScopes(editor, parseMintRequest({ owner: 'acme', actions: ['read', 'delete'] })))).toEqual([
      { pointer: '/actions/1', message: "scope 'obj:acme/*:delete' exceeds the rights of the caller" },
    ]);
  });

  it('keeps the minter as subject and records the actor, nesting the minter’s own actor', () => {
    const request = parseMintRequest({ owner: 'acme', name: 'x', actions: ['read'], actor: 'ci-nightly' });
    const scopes = mintScopes(ownerAdmin, request);
    expect(mintedClaims(ownerAdmin, request, scopes)).toEqual({
      sub: 'alice',
      name: 'Alice',
      act: { sub: 'ci-nightly' },
      scopes: ['obj:acme/x:read'],
    });
    const delegated = { ...ownerAdmin, actor: { subject: 'deployer' } };
    expect(mintedClaims(delegated, request, scopes).act).toEqual({ sub: 'ci-nightly', act: { sub: 'deployer' } });
    expect(mintedClaims(principalWith({ subject: 'svc', email: 'svc@example.com' }), request, scopes)).not.toHaveProperty('email');
  });
});

describe('holdsTokenOf', () => {
  const alice = principalWith({ subject: 'alice' });
  const aliceBot = { ...alice, actor: { subject: 'ci-nightly' } };
  const realBot = principalWith({ subject: 'ci-nightly' });

  it('lets a subject hold its own tokens and those minted on its behalf', () => {
    expect(holdsTokenOf(alice, alice)).toBe(true);
    expect(holdsTokenOf(alice, aliceBot)).toBe(true);
  });

  it('lets a minted token hold only the tokens of its own delegation', () => {
    expect(holdsTokenOf(aliceBot, { ...alice, actor: { subject: 'ci-nightly' }, scopes: parseScopes(['obj:acme/x:read']) })).toBe(true);
    expect(holdsTokenOf(aliceBot, alice)).toBe(false);
    expect(holdsTokenOf(aliceBot, realBot)).toBe(false);
    expect(holdsTokenOf(aliceBot, { ...alice, actor: { subject: 'other-bot' } })).toBe(false);
    expect(holdsTokenOf(realBot, aliceBot)).toBe(false);
  });
});

describe('narrowScopes', () => {
  const ownerEditor = principalWith({ roles: { acme: 'editor' }, scopes: ['obj:other/x:admin'] });

  function refusal(action: () => unknown): ValidationError {
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return error as ValidationError;
    }
    throw new Error('expected a ValidationError');
  }

  it('keeps requested scopes the caller holds, dropping duplicates', () => {
    const requested = parseScopes(['obj:acme/x:read', 'obj:acme/*:tag', 'obj:acme/x:read', 'obj:acme/data-*:write', 'obj:other/x:*']);
    expect(narrowScopes(ownerEditor, requested)).toEqual(
      parseScopes(['obj:acme/x:read', 'obj:acme/*:tag', 'obj:acme/data-*:write', 'obj:other/x:*']),
    );
  });

  it('refuses every scope beyond the caller, naming each', () => {
    const error = refusal(() =>
      narrowScopes(
        ownerEditor,
        parseScopes(['obj:acme/x:read', 'obj:acme/x:delete', 'obj:acme*/*:read', 'obj:acme/x:*', 'obj:other/y:read']),
      ),
    );
    expect(error.message).toBe('requested scopes not allowed: obj:acme/x:delete, obj:acme*/*:read, obj:acme/x:*, obj:other/y:read');
    expect(error.issues).toEqual([
      { pointer: '/1', message: "scope 'obj:acme/x:delete' exceeds the rights of the caller" },
      { pointer: '/2', message: "scope 'obj:acme*/*:read' exceeds the rights of the caller" },
      { pointer: '/3', message: "scope 'obj:acme/x:*' exceeds the rights of the caller" },
      { pointer: '/4', message: "scope 'obj:other/y:read' exceeds the rights of the caller" },
    ]);
  });

  it('does not add up partial grants: each requested scope needs one grant covering it whole', () => {
    const caller = principalWith({ scopes: ['obj:acme/a*:read', 'obj:acme/b*:read', 'obj:acme/x:read', 'obj:acme/x:write'] });
    expect(() => narrowScopes(caller, parseScopes(['obj:acme/*:read']))).toThrow(ValidationError);
    expect(() => narrowScopes(caller, parseScopes(['obj:acme/x:*']))).toThrow(ValidationError);
    expect(narrowScopes(caller, parseScopes(['obj:acme/ab:read', 'obj:acme/b*:read']))).toHaveLength(2);
  });

  it('keeps a token inside the dataset or owner it is minted for', () => {
    const admin = principalWith({ roles: { '*': 'admin' } });
    expect(narrowScopes(admin, parseScopes(['obj:acme/x:read']), X)).toHaveLength(1);
    expect(narrowScopes(admin, parseScopes(['obj:acme/x:read', 'obj:acme/y*:write']), { owner: 'acme' })).toHaveLength(2);
    expect(refusal(() => narrowScopes(admin, parseScopes(['obj:acme/*:read', 'obj:acmecorp/x:read']), { owner: 'acme' })).issues).toEqual([
      { pointer: '/1', message: "scope 'obj:acmecorp/x:read' reaches beyond acme/*" },
    ]);
    expect(refusal(() => narrowScopes(admin, parseScopes(['obj:acme/x*:read']), X)).issues).toEqual([
      { pointer: '/0', message: "scope 'obj:acme/x*:read' reaches beyond acme/x" },
    ]);
  });

  it('grants nothing to an anonymous caller', () => {
    expect(() => narrowScopes(undefined, parseScopes(['obj:acme/x:read']))).toThrow(ValidationError);
    expect(() => narrowScopes({ ...ANONYMOUS, roles: { '*': 'admin' } }, parseScopes(['obj:acme/x:read']))).toThrow(ValidationError);
  });

  it('returns nothing for nothing', () => {
    expect(narrowScopes(ownerEditor, [])).toEqual([]);
  });
});
