import fc from 'fast-check';
import {
  DESCRIPTOR_PATH,
  GITATTRIBUTES_PATH,
  isLfsPointer,
  lfsPointersOf,
  managedFiles,
  pointerPathsOf,
  renderLfsPointer,
} from './lfs-pointers';

const LFS_ERROR = { code: 'LFS_POINTER_INVALID', rule: 'metastore:lfs-pointer' } as const;

const OID_A = 'a'.repeat(64);
const OID_B = '0123456789abcdef'.repeat(4);
const ATTRIBUTES_HEADER = "# Managed by Metastore: Git LFS pointers of this dataset's resources.";

function packageOf(...resources: unknown[]): { resources: unknown[] } {
  return { resources };
}

describe('renderLfsPointer', () => {
  it('writes the version line, the sha256 oid and the size, each ending in a newline (Git LFS spec v1)', () => {
    expect(renderLfsPointer(OID_B, 12345)).toBe(`version https://git-lfs.github.com/spec/v1\noid sha256:${OID_B}\nsize 12345\n`);
  });

  it('writes a zero size for an empty object', () => {
    expect(renderLfsPointer(OID_A, 0).split('\n')).toEqual([
      'version https://git-lfs.github.com/spec/v1',
      `oid sha256:${OID_A}`,
      'size 0',
      '',
    ]);
  });
});

describe('lfsPointersOf', () => {
  it('calls for one pointer per local resource with a sha256 hash and bytes', () => {
    const result = lfsPointersOf(
      packageOf(
        { name: 'a', path: 'data/a.csv', hash: `sha256:${OID_B}`, bytes: 42 },
        { name: 'inline', data: [{ x: 1 }] },
        { name: 'plain', path: 'b.csv' },
      ),
    );
    expect(result).toEqual({
      pointers: [{ path: 'data/a.csv', oid: OID_B, size: 42, pointer: renderLfsPointer(OID_B, 42) }],
      errors: [],
      warnings: [],
    });
  });

  it("accepts an upper-case 'SHA256:' prefix and hex digits and lowercases the oid", () => {
    const { pointers, errors } = lfsPointersOf(packageOf({ name: 'a', path: 'a.csv', hash: `SHA256:${OID_B.toUpperCase()}`, bytes: 7 }));
    expect(errors).toEqual([]);
    expect(pointers).toEqual([
      { path: 'a.csv', oid: OID_B, size: 7, pointer: `version https://git-lfs.github.com/spec/v1\noid sha256:${OID_B}\nsize 7\n` },
    ]);
  });

  it.each([
    ['missing', undefined],
    ['a string', '42'],
    ['a fraction', 4.2],
    ['negative', -1],
  ])('skips the pointer with LFS_POINTER_SKIPPED when bytes is %s', (_label, bytes) => {
    const result = lfsPointersOf(packageOf({ name: 'a', path: 'a.csv' }, { name: 'b', path: 'b.csv', hash: `sha256:${OID_A}`, bytes }));
    expect(result.pointers).toEqual([]);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      { pointer: '/resources/1', code: 'LFS_POINTER_SKIPPED', rule: 'metastore:lfs-pointer', message: expect.stringContaining('bytes') },
    ]);
  });

  it.each([
    ['a URL path', { path: 'https://example.com/a.csv', hash: `sha256:${OID_A}`, bytes: 1 }],
    ['an ftp URL path', { path: 'ftp://example.com/a.csv', hash: `sha256:${OID_A}`, bytes: 1 }],
    ['an md5 hash', { path: 'a.csv', hash: `md5:${'b'.repeat(32)}`, bytes: 1 }],
    ['a bare md5 hash', { path: 'a.csv', hash: 'b'.repeat(32), bytes: 1 }],
    ['a sha256 of the wrong length', { path: 'a.csv', hash: `sha256:${'a'.repeat(63)}`, bytes: 1 }],
    ['an array path', { path: ['a.csv', 'b.csv'], hash: `sha256:${OID_A}`, bytes: 1 }],
    ['inline data', { data: [], hash: `sha256:${OID_A}`, bytes: 1 }],
  ])('writes no pointer (and says nothing) for %s', (_label, resource) => {
    expect(lfsPointersOf(packageOf({ name: 'a', ...resource }))).toEqual({ pointers: [], errors: [], warnings: [] });
  });

  it.each([DESCRIPTOR_PATH, `${DESCRIPTOR_PATH}/inner.csv`])(
    "refuses the reserved path '%s' as an error at the resource's path",
    (path) => {
      const result = lfsPointersOf(
        packageOf(
          { name: 'ok', path: 'ok.csv', hash: `sha256:${OID_A}`, bytes: 1 },
          { name: 'x', path, hash: `sha256:${OID_B}`, bytes: 1 },
        ),
      );
      expect(result.errors).toEqual([
        { pointer: '/resources/1/path', ...LFS_ERROR, message: `'${path}' is reserved for the repository itself` },
      ]);
      expect(result.pointers.map((pointer) => pointer.path)).toEqual(['ok.csv']);
    },
  );

  it.each([GITATTRIBUTES_PATH, '.git/config', '.lfsconfig'])('never writes a pointer over the repository file %s', (path) => {
    // These start with '.', which the validator already rejects (see the DatasetService spec); here they are only never written.
    const result = lfsPointersOf(packageOf({ name: 'x', path, hash: `sha256:${OID_A}`, bytes: 1 }));
    expect(result.pointers).toEqual([]);
  });

  it('refuses one path with two different hashes or sizes, and shares one with the same content', () => {
    const result = lfsPointersOf(
      packageOf(
        { name: 'a', path: 'a.csv', hash: `sha256:${OID_A}`, bytes: 1 },
        { name: 'a-again', path: 'a.csv', hash: `SHA256:${OID_A.toUpperCase()}`, bytes: 1 },
        { name: 'a-other-hash', path: 'a.csv', hash: `sha256:${OID_B}`, bytes: 1 },
        { name: 'a-other-size', path: 'a.csv', hash: `sha256:${OID_A}`, bytes: 2 },
      ),
    );
    expect(result.pointers).toEqual([{ path: 'a.csv', oid: OID_A, size: 1, pointer: renderLfsPointer(OID_A, 1) }]);
    expect(result.errors).toEqual([
      {
        pointer: '/resources/2/path',
        ...LFS_ERROR,
        message: expect.stringMatching(/^resources [01] and 2 share the path 'a.csv' with different hash or bytes$/),
      },
      {
        pointer: '/resources/3/path',
        ...LFS_ERROR,
        message: expect.stringMatching(/^resources [01] and 3 share the path 'a.csv' with different hash or bytes$/),
      },
    ]);
  });

  it('refuses a path that another resource uses as a directory, once per file', () => {
    const result = lfsPointersOf(
      packageOf(
        { name: 'a', path: 'data', hash: `sha256:${OID_A}`, bytes: 1 },
        { name: 'b', path: 'data/b.csv', hash: `sha256:${OID_B}`, bytes: 2 },
        { name: 'c', path: 'data/c.csv', hash: `sha256:${OID_B}`, bytes: 2 },
        { name: 'd', path: 'data-2/d.csv', hash: `sha256:${OID_B}`, bytes: 2 },
      ),
    );
    expect(result.errors).toEqual([
      { pointer: '/resources/0/path', ...LFS_ERROR, message: "'data' is also used as a directory by another resource" },
    ]);
  });

  it('ignores descriptors without a resources array and non-object resources', () => {
    expect(lfsPointersOf({})).toEqual({ pointers: [], errors: [], warnings: [] });
    expect(lfsPointersOf({ resources: 'a.csv' })).toEqual({ pointers: [], errors: [], warnings: [] });
    expect(lfsPointersOf(packageOf(null, 'a.csv', 3))).toEqual({ pointers: [], errors: [], warnings: [] });
  });
});

describe('managedFiles', () => {
  it('holds only the descriptor when there are no pointers', () => {
    expect([...managedFiles('{}\n', [])]).toEqual([[DESCRIPTOR_PATH, '{}\n']]);
  });

  it('adds each pointer file and a .gitattributes listing every pointer path, sorted, as LFS', () => {
    const { pointers } = lfsPointersOf(
      packageOf(
        { name: 'z', path: 'z.csv', hash: `sha256:${OID_A}`, bytes: 1 },
        { name: 'a', path: 'data/a.csv', hash: `sha256:${OID_B}`, bytes: 2 },
      ),
    );
    const files = managedFiles('{"resources":[]}\n', pointers);
    expect([...files.keys()]).toEqual([DESCRIPTOR_PATH, 'data/a.csv', 'z.csv', GITATTRIBUTES_PATH]);
    expect(files.get('data/a.csv')).toBe(renderLfsPointer(OID_B, 2));
    expect(files.get('z.csv')).toBe(renderLfsPointer(OID_A, 1));
    expect(files.get(GITATTRIBUTES_PATH)).toBe(
      `${ATTRIBUTES_HEADER}\n/data/a.csv filter=lfs diff=lfs merge=lfs -text\n/z.csv filter=lfs diff=lfs merge=lfs -text\n`,
    );
  });

  it('anchors each pattern at the root and escapes glob characters and spaces (gitattributes pattern syntax)', () => {
    const { pointers } = lfsPointersOf(packageOf({ name: 'odd', path: 'my data/#1 [draft]!*?.csv', hash: `sha256:${OID_A}`, bytes: 3 }));
    const attributes = managedFiles('{}\n', pointers).get(GITATTRIBUTES_PATH);
    expect(attributes).toBe(
      `${ATTRIBUTES_HEADER}\n/my[[:space:]]data/\\#1[[:space:]]\\[draft\\]\\!\\*\\?.csv filter=lfs diff=lfs merge=lfs -text\n`,
    );
  });
});

describe('pointerPathsOf', () => {
  const segment = fc.string({
    unit: fc.constantFrom('a', 'Z', '0', '-', '_', '.', ' ', '#', '[', ']', '!', '*', '?', 'é', ':'),
    minLength: 1,
    maxLength: 6,
  });
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((segments) => segments.join('/'));

  it('reads back every pointer path of a .gitattributes Metastore wrote, whatever it had to escape', () => {
    fc.assert(
      fc.property(fc.uniqueArray(path, { minLength: 1, maxLength: 5 }), (paths) => {
        const { pointers, errors } = lfsPointersOf(
          packageOf(
            ...paths.map((resourcePath, index) => ({ name: `r${index}`, path: resourcePath, hash: `sha256:${OID_A}`, bytes: index })),
          ),
        );
        fc.pre(errors.length === 0 && pointers.length > 0);
        const attributes = managedFiles('{}\n', pointers).get(GITATTRIBUTES_PATH)!;
        expect(pointerPathsOf(attributes)).toEqual(pointers.map((pointer) => pointer.path).sort());
      }),
    );
  });

  it('lists nothing from a .gitattributes someone else wrote, and tells pointer files from others', () => {
    expect(pointerPathsOf('/data/a.csv filter=lfs diff=lfs merge=lfs -text\n')).toEqual([]);
    expect(isLfsPointer(renderLfsPointer(OID_A, 1))).toBe(true);
    expect(isLfsPointer('a,b\n1,2\n')).toBe(false);
  });
});
