import { ValidationError, type ValidationIssue } from '@metastore/errors';
import { formatDatasetId } from '@metastore/storage';
import { isOwner, parseDatasetId, parseOwner } from './dataset-id';

function issuesOf(action: () => unknown): readonly ValidationIssue[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('VALIDATION_FAILED');
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

function pointersOf(action: () => unknown): string[] {
  return issuesOf(action).map((issue) => issue.pointer);
}

describe('parseDatasetId', () => {
  it.each([
    ['acme', 'x'],
    ['acme', 'climate.v1_data-set'],
    ['a', 'b'],
    ['0rg-42', 'data_2024.v2'],
    ['o'.repeat(39), 'n'.repeat(100)],
  ])('accepts %s/%s and returns it unchanged', (owner, name) => {
    expect(parseDatasetId(owner, name)).toEqual({ owner, name });
  });

  it.each([
    ['uppercase', 'Acme'],
    ["'..'", 'a..b'],
    ["a leading '.'", '.acme'],
    ["a leading '-'", '-acme'],
    ["a trailing '-'", 'acme-'],
    ["a trailing '.git'", 'acme.git'],
    ['a slash', 'ac/me'],
    ['a space', 'ac me'],
    ['an empty string', ''],
  ])('rejects an owner with %s under /owner only', (_label, owner) => {
    expect(new Set(pointersOf(() => parseDatasetId(owner, 'valid-name')))).toEqual(new Set(['/owner']));
  });

  it.each([
    ['uppercase', 'Climate'],
    ["'..'", 'climate..v1'],
    ["a leading '.'", '.climate'],
    ["a leading '-'", '-climate'],
    ["a leading '_'", '_climate'],
    ["a trailing '.git'", 'climate.git'],
    ['a slash', 'climate/v1'],
    ['a backslash', 'climate\\v1'],
    ['an empty string', ''],
  ])('rejects a name with %s under /name only', (_label, name) => {
    expect(new Set(pointersOf(() => parseDatasetId('acme', name)))).toEqual(new Set(['/name']));
  });

  it('bounds the owner at 39 characters and the name at 100', () => {
    expect(issuesOf(() => parseDatasetId('o'.repeat(40), 'x'))).toEqual([
      { pointer: '/owner', message: 'owner must be at most 39 characters' },
    ]);
    expect(issuesOf(() => parseDatasetId('acme', 'n'.repeat(101)))).toEqual([
      { pointer: '/name', message: 'name must be at most 100 characters' },
    ]);
  });

  it("names the specific rule broken by '..' and '.git'", () => {
    expect(issuesOf(() => parseDatasetId('acme', 'a..b'))).toEqual([{ pointer: '/name', message: "name must not contain '..'" }]);
    expect(issuesOf(() => parseDatasetId('acme', 'repo.git'))).toEqual([{ pointer: '/name', message: "name must not end with '.git'" }]);
  });

  it.each([undefined, null, 42, ['acme'], { owner: 'acme' }])('treats a non-string (%p) as missing', (value) => {
    expect(issuesOf(() => parseDatasetId(value, value))).toEqual([
      { pointer: '/owner', message: 'owner is required' },
      { pointer: '/name', message: 'name is required' },
    ]);
  });

  it('reports every problem of both parts at once', () => {
    const issues = issuesOf(() => parseDatasetId(`${'A'.repeat(40)}`, 'bad..name.git'));
    expect(issues.filter((issue) => issue.pointer === '/owner').map((issue) => issue.message)).toEqual([
      'owner must be at most 39 characters',
      expect.stringContaining('lowercase letters'),
    ]);
    expect(issues.filter((issue) => issue.pointer === '/name').map((issue) => issue.message)).toEqual([
      "name must not contain '..'",
      "name must not end with '.git'",
    ]);
  });
});

describe('parseOwner', () => {
  it('accepts a valid owner', () => {
    expect(parseOwner('acme')).toBe('acme');
    expect(parseOwner('o'.repeat(39))).toBe('o'.repeat(39));
  });

  it.each(['Acme', '', 'a/b', '.acme', 'acme.git', 'o'.repeat(40), 7])('rejects %p under /owner', (owner) => {
    const issues = issuesOf(() => parseOwner(owner));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((issue) => issue.pointer === '/owner')).toBe(true);
  });
});

describe('isOwner', () => {
  it('agrees with parseOwner', () => {
    for (const owner of ['acme', '0rg-42', 'o'.repeat(39)]) expect(isOwner(owner)).toBe(true);
    for (const owner of ['Acme', '', 'a/b', '.acme', 'a..b', 'acme.git', 'o'.repeat(40), 'acme*', 7]) expect(isOwner(owner)).toBe(false);
  });
});

describe('formatDatasetId', () => {
  it('joins owner and name with a slash', () => {
    expect(formatDatasetId({ owner: 'acme', name: 'climate.v1' })).toBe('acme/climate.v1');
  });
});
