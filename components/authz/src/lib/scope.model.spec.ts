import { ValidationError, type ValidationIssue } from '@metastore/errors';
import { actionsGranted, formatScope, parseScope, parseScopes, patternCovers, segmentCovers } from './scope.model';

function issuesOf(action: () => unknown): readonly ValidationIssue[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('parseScope', () => {
  it.each([
    ['obj:acme/x:read', { owner: 'acme', name: 'x', action: 'read' }],
    ['obj:acme/air-quality.v2_final:write', { owner: 'acme', name: 'air-quality.v2_final', action: 'write' }],
    ['obj:acme/*:tag', { owner: 'acme', name: '*', action: 'tag' }],
    ['obj:acme*/*:delete', { owner: 'acme*', name: '*', action: 'delete' }],
    ['obj:acme/2024-*:admin', { owner: 'acme', name: '2024-*', action: 'admin' }],
    ['obj:*/*:*', { owner: '*', name: '*', action: '*' }],
    ['obj:*/x:read', { owner: '*', name: 'x', action: 'read' }],
  ])('%s', (text, scope) => {
    expect(parseScope(text)).toEqual(scope);
    expect(formatScope(parseScope(text))).toBe(text);
  });

  it.each([
    ['acme/x:read', 'expected obj:{owner}/{name}:{action}'],
    ['obj:acme:read', 'expected obj:{owner}/{name}:{action}'],
    ['obj:acme/x', 'expected obj:{owner}/{name}:{action}'],
    ['obj:acme/x/y:read', 'expected obj:{owner}/{name}:{action}'],
    ['obj:acme/x:read:write', 'expected obj:{owner}/{name}:{action}'],
    ['obj:acme/x:read ', 'expected obj:{owner}/{name}:{action}'],
    ['OBJ:acme/x:read', 'expected obj:{owner}/{name}:{action}'],
    ['obj:/x:read', 'owner is empty'],
    ['obj:acme/:read', 'name is empty'],
    ['obj:acme/x:', "action '' must be one of read, write, tag, delete, admin or *"],
    ['obj:acme/x:owner', "action 'owner' must be one of"],
    ['obj:acme/x:READ', "action 'READ' must be one of"],
    ['obj:Acme/x:read', "owner 'Acme' may be '*'"],
    ['obj:*acme/x:read', "owner '*acme' may be '*'"],
    ['obj:ac*me/x:read', "owner 'ac*me' may be '*'"],
    ['obj:acme**/x:read', "owner 'acme**' may be '*'"],
    ['obj:acme/**:read', "name '**' may be '*'"],
    ['obj:acme/x?:read', "name 'x?' may be '*'"],
    [`obj:acme/${'n'.repeat(101)}:read`, 'name must be at most 100 characters'],
  ])('rejects %j', (text, message) => {
    const issues = issuesOf(() => parseScope(text, '/scope'));
    expect(issues).toEqual([{ pointer: '/scope', message: expect.stringContaining(message) }]);
    expect(issues[0]!.message).toContain(`'${text}'`);
  });

  it('reports every problem of one scope', () => {
    expect(issuesOf(() => parseScope('obj:A/b c:x')).length).toBe(1);
    expect(issuesOf(() => parseScope('obj:A/B:x')).map((issue) => issue.message)).toEqual([
      expect.stringContaining("owner 'A'"),
      expect.stringContaining("name 'B'"),
      expect.stringContaining("action 'x'"),
    ]);
  });

  it('rejects what is not a string', () => {
    expect(issuesOf(() => parseScope(42))).toEqual([{ pointer: '', message: 'a scope must be a string' }]);
  });
});

describe('parseScopes', () => {
  it('parses a list', () => {
    expect(parseScopes(['obj:acme/x:read', 'obj:acme/*:tag'])).toEqual([
      { owner: 'acme', name: 'x', action: 'read' },
      { owner: 'acme', name: '*', action: 'tag' },
    ]);
  });

  it('names every bad scope, each at its index', () => {
    try {
      parseScopes(['obj:acme/x:read', 'obj:acme/x:fly', 7, 'obj:acme/x:write'], '/scopes');
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toBe('invalid scopes: "obj:acme/x:fly", 7');
      expect((error as ValidationError).issues.map((issue) => issue.pointer)).toEqual(['/scopes/1', '/scopes/2']);
    }
  });
});

describe('segmentCovers', () => {
  it.each([
    // pattern, target, covered
    ['acme', 'acme', true],
    ['acme', 'acmecorp', false],
    ['acme', 'acm', false],
    ['acme*', 'acmecorp', true],
    ['acme*', 'acme-labs', true],
    ['acme*', 'acme', true],
    ['acme*', 'acm', false],
    ['acme*', 'xacme', false],
    ['acme-*', 'acme', false],
    ['*', 'anything', true],
    ['*', '', false],
    ['acme*', '', false],
    ['', '', false],
    // Pattern targets: covered only when every value they stand for is.
    ['*', '*', true],
    ['*', 'acme*', true],
    ['acme*', '*', false],
    ['ac*', 'acme*', true],
    ['acme*', 'ac*', false],
    ['acme*', 'acme*', true],
    ['acme', 'acme*', false],
    ['acme', '*', false],
  ])('%j covers %j: %s', (pattern, target, covered) => {
    expect(segmentCovers(pattern, target)).toBe(covered);
  });
});

describe('patternCovers', () => {
  it('needs both segments covered', () => {
    expect(patternCovers({ owner: 'acme', name: '*' }, { owner: 'acme', name: 'x' })).toBe(true);
    expect(patternCovers({ owner: 'acme', name: '*' }, { owner: 'acmecorp', name: 'x' })).toBe(false);
    expect(patternCovers({ owner: '*', name: 'x' }, { owner: 'acme', name: 'y' })).toBe(false);
    expect(patternCovers({ owner: 'acme', name: 'x*' }, { owner: 'acme', name: '*' })).toBe(false);
  });
});

describe('actionsGranted', () => {
  it('gives exactly the action, except admin and * which give all', () => {
    expect(actionsGranted('tag')).toEqual(['tag']);
    expect(actionsGranted('admin')).toEqual(['read', 'write', 'tag', 'delete', 'admin']);
    expect(actionsGranted('*')).toEqual(['read', 'write', 'tag', 'delete', 'admin']);
  });
});
