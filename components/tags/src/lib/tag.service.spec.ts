import { TagMoveForbiddenError, ValidationError, type ValidationIssue } from '@metastore/errors';
import type { Author, DatasetId } from '@metastore/storage';
import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { TagService, validateTagName } from './tag.service';

const id: DatasetId = { owner: 'acme', name: 'x' };
const tagger: Author = { name: 'Ada Lovelace', email: 'ada@example.com' };
const mover: Author = { name: 'Grace Hopper', email: 'grace@example.com' };
const CREATED = new Date('2024-03-01T10:00:00.000Z');
const LATER = new Date('2024-06-15T12:30:00.000Z');

/** A dataset with two revisions and a tag service whose clock the test moves. */
async function setup() {
  const storage = new InMemoryDatasetStorage();
  let now = CREATED;
  const tags = new TagService(storage, () => now);
  const first = await storage.createDataset(id, {
    files: [{ path: 'datapackage.json', content: '{"resources":[]}\n' }],
    message: 'one',
    author: tagger,
  });
  const second = await storage.commit(id, {
    parent: first.sha,
    changes: [{ path: 'datapackage.json', content: '{"resources":[1]}\n' }],
    message: 'two',
    author: tagger,
  });
  return {
    storage,
    tags,
    first: first.sha,
    second: second.sha,
    setNow: (date: Date) => {
      now = date;
    },
  };
}

function issuesOf(action: () => unknown): readonly ValidationIssue[] {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('validateTagName', () => {
  it.each(['v1', 'v1.0.0', 'release/2024-01', 'v1_rc-2', '@', 'x'.repeat(200)])('accepts %p', (name) => {
    expect(validateTagName(name)).toBe(name);
  });

  it.each(['a b', 'x..y', 'v1.lock', '@{', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', '.x', 'x/', 'x.', 'a//b', 'x/.y'])(
    'rejects the invalid git ref name %p at /name',
    (name) => {
      expect(issuesOf(() => validateTagName(name))).toEqual([{ pointer: '/name', message: expect.stringContaining('valid git ref name') }]);
    },
  );

  it.each(['', undefined, null, 1, ['v1']])('requires a non-empty string (%p)', (name) => {
    expect(issuesOf(() => validateTagName(name))).toEqual([{ pointer: '/name', message: 'tag name is required' }]);
  });

  it('bounds the length at 200 bytes of UTF-8 (a ref is a file name)', () => {
    expect(issuesOf(() => validateTagName('x'.repeat(201)))).toEqual([
      { pointer: '/name', message: 'tag name must be at most 200 bytes (UTF-8)' },
    ]);
    expect(validateTagName('é'.repeat(100))).toBe('é'.repeat(100));
    expect(issuesOf(() => validateTagName('日'.repeat(67)))).toEqual([
      { pointer: '/name', message: 'tag name must be at most 200 bytes (UTF-8)' },
    ]);
  });

  it.each([
    ['HEAD', 'HEAD'],
    ['ORIG_HEAD', 'pseudo-ref'],
    ['FETCH_HEAD', 'pseudo-ref'],
    ['refs/tags/v1', "'refs/'"],
    ['heads/main', "'heads/'"],
    ['tags/v1', "'tags/'"],
    ['a'.repeat(40), 'sha'],
    ['-x', "'-'"],
  ])('refuses %p, which git tag refuses or would resolve to something else first', (name, reason) => {
    expect(issuesOf(() => validateTagName(name))).toEqual([{ pointer: '/name', message: expect.stringContaining(reason) }]);
  });

  it.each([
    ['a right-to-left override', 'v1\u202e2.0'],
    ['a left-to-right isolate', '\u2066v1'],
    ['a zero-width space', 'v1\u200b'],
    ['a byte-order mark', '\ufeffv1'],
    ['a no-break space', 'v1\u00a0rc'],
    ['an ideographic space', 'v1\u3000rc'],
    ['a line separator', 'v1\u2028'],
    ['a C1 control', 'v1\u0085'],
    ['a NUL', 'v1\u0000'],
  ])('refuses a name with %s (spoofing or invisible)', (_label, name) => {
    expect(issuesOf(() => validateTagName(name))).toEqual([
      { pointer: '/name', message: expect.stringContaining('Unicode format characters') },
    ]);
  });

  it.each(['AHEAD', 'HEADS', 'head', 'release/HEAD-1', 'cafe', '2024', 'v1-λ'])('accepts %p', (name) => {
    expect(validateTagName(name)).toBe(name);
  });

  it('reports issues at a given pointer', () => {
    expect(issuesOf(() => validateTagName('a b', '/tags/0/name'))).toEqual([{ pointer: '/tags/0/name', message: expect.any(String) }]);
  });
});

describe('TagService', () => {
  describe('create', () => {
    it('tags the head by default, with the tagger, the clock time and an empty description', async () => {
      const { tags, second } = await setup();
      await expect(tags.create(id, { name: 'v1', author: tagger })).resolves.toEqual({
        name: 'v1',
        target: second,
        description: '',
        author: tagger,
        createdAt: CREATED.toISOString(),
      });
    });

    it('stamps the tag with the current time when no clock is injected', async () => {
      const { storage } = await setup();
      const before = Math.floor(Date.now() / 1000) * 1000;
      const tag = await new TagService(storage).create(id, { name: 'v1', author: tagger });
      expect(Date.parse(tag.createdAt)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(tag.createdAt)).toBeLessThanOrEqual(Date.now());
    });

    it('tags a given ref: a full sha, an abbreviated sha or another tag', async () => {
      const { tags, first } = await setup();
      await expect(tags.create(id, { name: 'v1', ref: first, description: 'First cut', author: tagger })).resolves.toMatchObject({
        target: first,
        description: 'First cut',
      });
      await expect(tags.create(id, { name: 'v1-short', ref: first.slice(0, 7), author: tagger })).resolves.toMatchObject({ target: first });
      await expect(tags.create(id, { name: 'v1-alias', ref: 'v1', author: tagger })).resolves.toMatchObject({ target: first });
      await expect(tags.get(id, 'v1')).resolves.toMatchObject({ target: first, description: 'First cut' });
    });

    it.each(['a b', 'x..y', 'v1.lock', '-x', '', '@{', 'a~1'])(
      'rejects the name %p with VALIDATION_FAILED at /name and stores nothing',
      async (name) => {
        const { storage, tags } = await setup();
        const failure = tags.create(id, { name, author: tagger });
        await expect(failure).rejects.toBeInstanceOf(ValidationError);
        await expect(failure).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ pointer: '/name' }] });
        expect(storage.calls.has('createTag')).toBe(false);
        await expect(tags.list(id, { limit: 10 })).resolves.toEqual({ items: [] });
      },
    );

    it.each([
      ['not a string', 42],
      ['too long', 'd'.repeat(65_537)],
    ])('rejects a description that is %s at /description', async (_label, description) => {
      const { storage, tags } = await setup();
      await expect(tags.create(id, { name: 'v1', description, author: tagger })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/description' }],
      });
      expect(storage.calls.has('createTag')).toBe(false);
    });

    it('rejects a description with U+0000 (no catalog can record it) at /description', async () => {
      const { storage, tags } = await setup();
      await expect(tags.create(id, { name: 'v1', description: 'a\u0000b', author: tagger })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/description' }],
      });
      expect(storage.calls.has('createTag')).toBe(false);
    });

    it('refuses a tagger who would break the tag header, and a ref past 255 bytes, listing every problem', async () => {
      const { storage, tags } = await setup();
      const failure = tags.create(id, { name: 'HEAD', ref: 'r'.repeat(256), author: { name: 'Evil\ntagger Mallory', email: 'e@x.com>' } });
      await expect(failure).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/name' }, { pointer: '/ref' }, { pointer: '/author/name' }, { pointer: '/author/email' }],
      });
      expect(storage.calls.has('resolveRef')).toBe(false);
      expect(storage.calls.has('createTag')).toBe(false);
    });

    it('accepts a description of exactly 65536 characters', async () => {
      const { tags } = await setup();
      await expect(tags.create(id, { name: 'v1', description: 'd'.repeat(65_536), author: tagger })).resolves.toMatchObject({ name: 'v1' });
    });

    it('refuses an existing name, an unknown ref and an unknown dataset', async () => {
      const { tags } = await setup();
      await tags.create(id, { name: 'v1', author: tagger });
      await expect(tags.create(id, { name: 'v1', author: tagger })).rejects.toMatchObject({ code: 'TAG_ALREADY_EXISTS' });
      await expect(tags.create(id, { name: 'v2', ref: 'nope', author: tagger })).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
      await expect(tags.create({ owner: 'acme', name: 'missing' }, { name: 'v1', author: tagger })).rejects.toMatchObject({
        code: 'DATASET_NOT_FOUND',
      });
    });
  });

  describe('get and list', () => {
    it('gets a tag by name, and fails for unknown or invalid names', async () => {
      const { tags } = await setup();
      const created = await tags.create(id, { name: 'release/1', description: 'd', author: tagger });
      await expect(tags.get(id, 'release/1')).resolves.toEqual(created);
      await expect(tags.get(id, 'release/2')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
      await expect(tags.get(id, 'bad name')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('lists tags in name order, page by page', async () => {
      const { tags } = await setup();
      for (const name of ['v2', 'v10', 'v1']) await tags.create(id, { name, author: tagger });
      const firstPage = await tags.list(id, { limit: 2 });
      expect(firstPage.items.map((tag) => tag.name)).toEqual(['v1', 'v10']);
      const secondPage = await tags.list(id, { limit: 2, cursor: firstPage.nextCursor });
      expect(secondPage.items.map((tag) => tag.name)).toEqual(['v2']);
      expect(secondPage.nextCursor).toBeUndefined();
    });
  });

  describe('update', () => {
    it('changes the description and keeps the target, the tagger and the creation time', async () => {
      const { storage, tags, first, setNow } = await setup();
      await tags.create(id, { name: 'v1', ref: first, description: 'old', author: tagger });
      setNow(LATER);
      const updated = await tags.update(id, 'v1', { description: 'new', author: mover });
      expect(updated).toEqual({ name: 'v1', target: first, description: 'new', author: tagger, createdAt: CREATED.toISOString() });
      await expect(tags.get(id, 'v1')).resolves.toEqual(updated);
      expect(storage.calls.get('replaceTag')).toBe(1);
    });

    it('refuses to move a tag without force (TAG_MOVE_REQUIRES_FORCE) and leaves it as it was', async () => {
      const { storage, tags, first, second } = await setup();
      const created = await tags.create(id, { name: 'v1', ref: first, author: tagger });
      const failure = tags.update(id, 'v1', { ref: second, description: 'moved', author: mover });
      await expect(failure).rejects.toBeInstanceOf(TagMoveForbiddenError);
      await expect(failure).rejects.toMatchObject({ code: 'TAG_MOVE_REQUIRES_FORCE' });
      await expect(tags.update(id, 'v1', { ref: second, force: false, author: mover })).rejects.toMatchObject({
        code: 'TAG_MOVE_REQUIRES_FORCE',
      });
      expect(storage.calls.has('replaceTag')).toBe(false);
      await expect(tags.get(id, 'v1')).resolves.toEqual(created);
    });

    it('moves a tag with force, recording the new tagger and time', async () => {
      const { tags, first, second, setNow } = await setup();
      await tags.create(id, { name: 'v1', ref: first, description: 'kept', author: tagger });
      setNow(LATER);
      const moved = await tags.update(id, 'v1', { ref: second, force: true, author: mover });
      expect(moved).toEqual({ name: 'v1', target: second, description: 'kept', author: mover, createdAt: LATER.toISOString() });
      await expect(tags.get(id, 'v1')).resolves.toEqual(moved);
    });

    it('moves a tag to another tag’s target and changes its description in one update', async () => {
      const { tags, first, second } = await setup();
      await tags.create(id, { name: 'v1', ref: first, author: tagger });
      await tags.create(id, { name: 'latest', ref: second, author: tagger });
      await expect(tags.update(id, 'v1', { ref: 'latest', description: 'now latest', force: true, author: mover })).resolves.toMatchObject({
        target: second,
        description: 'now latest',
        author: mover,
      });
    });

    it('does not count a ref that resolves to the current target as a move', async () => {
      const { tags, first, setNow } = await setup();
      await tags.create(id, { name: 'v1', ref: first, author: tagger });
      setNow(LATER);
      const updated = await tags.update(id, 'v1', { ref: first.slice(0, 8), description: 'same place', force: true, author: mover });
      expect(updated).toEqual({ name: 'v1', target: first, description: 'same place', author: tagger, createdAt: CREATED.toISOString() });
    });

    it('returns the same tag without rewriting it when nothing changes', async () => {
      const { storage, tags, first } = await setup();
      const created = await tags.create(id, { name: 'v1', ref: first, description: 'd', author: tagger });
      await expect(tags.update(id, 'v1', { author: mover })).resolves.toEqual(created);
      await expect(tags.update(id, 'v1', { description: 'd', author: mover })).resolves.toEqual(created);
      await expect(tags.update(id, 'v1', { ref: first, description: 'd', force: true, author: mover })).resolves.toEqual(created);
      expect(storage.calls.has('replaceTag')).toBe(false);
    });

    it('validates the name and the description, and fails for an unknown tag', async () => {
      const { storage, tags } = await setup();
      await tags.create(id, { name: 'v1', author: tagger });
      await expect(tags.update(id, 'v1', { description: 7, author: mover })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/description' }],
      });
      await expect(tags.update(id, 'a b', { description: 'x', author: mover })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/name' }],
      });
      await expect(
        tags.update(id, 'v1', { ref: 'v1', force: true, author: { name: 'Mover\r\n', email: 'm@x.com' } }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        issues: [{ pointer: '/author/name' }],
      });
      await expect(tags.update(id, 'v2', { description: 'x', author: mover })).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
      await expect(tags.update(id, 'v1', { ref: 'nope', force: true, author: mover })).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
      expect(storage.calls.has('replaceTag')).toBe(false);
    });
  });

  describe('tags pushed with plain git', () => {
    it('can still be read, updated and deleted under names the API would not create', async () => {
      const { storage, tags, first } = await setup();
      await storage.createTag(id, { name: 'HEAD', target: first, description: 'pushed', author: tagger });
      await expect(tags.get(id, 'HEAD')).resolves.toMatchObject({ name: 'HEAD', target: first });
      await expect(tags.update(id, 'HEAD', { description: 'noted', author: mover })).resolves.toMatchObject({ description: 'noted' });
      await tags.delete(id, 'HEAD', mover);
      await expect(tags.get(id, 'HEAD')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
      await storage.createTag(id, { name: 'v1\u202e0.2', target: first, description: 'spoofing', author: tagger });
      await expect(tags.get(id, 'v1\u202e0.2')).resolves.toMatchObject({ description: 'spoofing' });
      await tags.delete(id, 'v1\u202e0.2', mover);
      await expect(tags.list(id, { limit: 10 })).resolves.toEqual({ items: [] });
      await expect(tags.get(id, 'a b')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ pointer: '/name' }] });
    });
  });

  describe('delete', () => {
    it('deletes the tag and keeps the revision it named', async () => {
      const { storage, tags, first } = await setup();
      await tags.create(id, { name: 'v1', ref: first, author: tagger });
      await tags.delete(id, 'v1');
      await expect(tags.get(id, 'v1')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
      await expect(storage.resolveRef(id, 'v1')).rejects.toMatchObject({ code: 'REF_NOT_FOUND' });
      await expect(storage.getRevision(id, first)).resolves.toMatchObject({ sha: first });
      await expect(tags.create(id, { name: 'v1', author: tagger })).resolves.toMatchObject({ name: 'v1' });
    });

    it('fails for an unknown tag and for an invalid name', async () => {
      const { storage, tags } = await setup();
      await expect(tags.delete(id, 'v1')).rejects.toMatchObject({ code: 'TAG_NOT_FOUND' });
      await expect(tags.delete(id, 'x..y')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ pointer: '/name' }] });
      expect(storage.calls.get('deleteTag')).toBe(1);
    });
  });
});
