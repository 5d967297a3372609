import { DescriptorValidator, MAX_DESCRIPTOR_DEPTH, unsafePathReason } from './descriptor.validator';

const V2_SCHEMA = 'https://datapackage.org/profiles/2.0/datapackage.json';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A descriptor with every recommended property, so that only the case under test raises findings. */
function complete(resources: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'climate', id: 'urn:uuid:1', licenses: [{ name: 'CC0-1.0' }], resources, ...extra };
}

function v1(resources: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return complete(resources, { profile: 'data-package', ...extra });
}

function v2(resources: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return complete(resources, { $schema: V2_SCHEMA, ...extra });
}

describe('DescriptorValidator', () => {
  const validator = new DescriptorValidator();
  const errorPointers = (descriptor: unknown) => validator.validate(descriptor).errors.map((error) => error.pointer);
  const warningCodes = (descriptor: unknown) => validator.validate(descriptor).warnings.map((warning) => warning.code);

  describe('profile selection', () => {
    it('defaults to v1.0 and warns NO_PROFILE when neither $schema nor profile is declared', () => {
      const report = validator.validate(complete([{ name: 'a', path: 'a.csv' }]));
      expect(report).toEqual({
        version: '1.0',
        errors: [],
        warnings: [{ pointer: '', code: 'NO_PROFILE', message: expect.stringContaining('v1.0') }],
      });
    });

    it('selects v2.0 from the published $schema URL, without warnings', () => {
      expect(validator.validate(v2([{ name: 'a', path: 'a.csv' }]))).toEqual({ version: '2.0', errors: [], warnings: [] });
    });

    it("selects v1.0 from profile 'data-package', without warnings", () => {
      expect(validator.validate(v1([{ name: 'a', path: 'a.csv' }]))).toEqual({ version: '1.0', errors: [], warnings: [] });
    });

    it('selects v1.0 from the published v1 $schema URL', () => {
      const report = validator.validate(
        complete([{ name: 'a', path: 'a.csv' }], { $schema: 'https://datapackage.org/profiles/1.0/datapackage.json' }),
      );
      expect(report.version).toBe('1.0');
      expect(report.warnings).toEqual([]);
    });

    it('validates a custom $schema as v2.0 and says it was not fetched', () => {
      const report = validator.validate(complete([{ name: 'a', path: 'a.csv' }], { $schema: 'https://example.com/my-profile.json' }));
      expect(report.version).toBe('2.0');
      expect(report.warnings).toEqual([
        { pointer: '/$schema', code: 'CUSTOM_PROFILE', message: expect.stringContaining('https://example.com/my-profile.json') },
      ]);
    });

    it('validates a v1 profile other than data-package against the base profile with a CUSTOM_PROFILE warning', () => {
      const report = validator.validate(complete([{ name: 'a', path: 'a.csv' }], { profile: 'tabular-data-package' }));
      expect(report.version).toBe('1.0');
      expect(report.warnings).toEqual([
        { pointer: '/profile', code: 'CUSTOM_PROFILE', message: expect.stringContaining('tabular-data-package') },
      ]);
    });

    it('actually applies the selected profile: v1 names must be lowercase, v2 names only should be', () => {
      const upper = { name: 'Climate', resources: [{ name: 'Temperatures', path: 'a.csv' }] };
      const asV1 = validator.validate({ ...v1([]), ...upper });
      expect(asV1.errors.map((error) => error.pointer)).toEqual(['/name', '/resources/0/name']);
      const asV2 = validator.validate({ ...v2([]), ...upper });
      expect(asV2.errors).toEqual([]);
      expect(asV2.warnings.map((warning) => [warning.pointer, warning.code])).toEqual([
        ['/name', 'NAME_NOT_PORTABLE'],
        ['/resources/0/name', 'NAME_NOT_PORTABLE'],
      ]);
    });
  });

  describe('MUST rules (errors)', () => {
    it.each([
      ['an array', []],
      ['null', null],
      ['a string', 'datapackage'],
    ])('rejects %s as a descriptor', (_label, descriptor) => {
      expect(validator.validate(descriptor).errors).toEqual([{ pointer: '', message: 'a descriptor must be a JSON object' }]);
    });

    it('rejects U+0000 in any string or member name, at each place (no catalog can store it)', () => {
      const descriptor = v2([{ name: 'a', path: 'a.csv', schema: { fields: [{ name: 'x\u0000y' }] } }], {
        title: 'Weather\u0000',
        'ke\u0000y': 1,
      });
      expect(validator.validate(descriptor).errors).toEqual([
        { pointer: '/ke\u0000y', message: 'member names must not contain U+0000' },
        { pointer: '/resources/0/schema/fields/0/name', message: 'must not contain U+0000' },
        { pointer: '/title', message: 'must not contain U+0000' },
      ]);
    });

    /** A descriptor whose `extra` member nests `levels` objects, so the descriptor itself nests `levels + 1`. */
    function nested(levels: number): Record<string, unknown> {
      let value: Record<string, unknown> = {};
      for (let level = 1; level < levels; level += 1) value = { a: value };
      return v2([{ name: 'a', path: 'a.csv' }], { extra: value });
    }

    it(`accepts nesting up to ${MAX_DESCRIPTOR_DEPTH} levels and rejects deeper once, where it starts, without walking further`, () => {
      expect(validator.validate(nested(MAX_DESCRIPTOR_DEPTH - 1)).errors).toEqual([]);
      expect(validator.validate(nested(MAX_DESCRIPTOR_DEPTH)).errors).toEqual([
        {
          pointer: `/extra${'/a'.repeat(MAX_DESCRIPTOR_DEPTH - 1)}`,
          message: `nests deeper than ${MAX_DESCRIPTOR_DEPTH} levels of objects and arrays`,
        },
      ]);
      expect(validator.validate(nested(100_000)).errors).toHaveLength(1);
    });

    it('requires resources', () => {
      expect(validator.validate({ name: 'x', profile: 'data-package' }).errors).toEqual([
        { pointer: '', message: "must have required property 'resources'" },
      ]);
    });

    it.each([
      ['v1', v1],
      ['v2', v2],
    ])('rejects empty resources (%s)', (_label, build) => {
      expect(validator.validate(build([])).errors).toEqual([{ pointer: '/resources', message: 'must list at least one resource' }]);
    });

    it.each([
      ['v1', v1],
      ['v2', v2],
    ])('rejects a resource with both path and data, and one with neither (%s)', (_label, build) => {
      const report = validator.validate(
        build([{ name: 'a', path: 'a.csv' }, { name: 'both', path: 'b.csv', data: [{ x: 1 }] }, { name: 'neither' }]),
      );
      expect(report.errors).toEqual([
        { pointer: '/resources/1', message: "must have exactly one of 'path' or 'data', not both" },
        { pointer: '/resources/2', message: "must have one of 'path' or 'data'" },
      ]);
    });

    it('accepts inline data without a path', () => {
      expect(validator.validate(v1([{ name: 'inline', data: [{ x: 1 }] }])).errors).toEqual([]);
    });

    it('requires a resource name', () => {
      expect(validator.validate(v2([{ path: 'a.csv' }])).errors).toEqual([
        { pointer: '/resources/0', message: "must have property 'name'" },
      ]);
    });

    it('rejects a non-object resource', () => {
      expect(errorPointers(v1(['a.csv']))).toEqual(['/resources/0']);
    });

    it('rejects duplicate resource names at the later duplicate, naming the first', () => {
      const report = validator.validate(
        v2([
          { name: 'a', path: 'a.csv' },
          { name: 'b', path: 'b.csv' },
          { name: 'a', data: [] },
        ]),
      );
      expect(report.errors).toEqual([
        { pointer: '/resources/2/name', message: "duplicate resource name 'a' (first used at /resources/0)" },
      ]);
    });

    it.each([
      ["a '..' segment", 'data/../secret.csv'],
      ["a leading '..'", '../a.csv'],
      ["a leading '/'", '/etc/passwd'],
      ["a leading '~'", '~/a.csv'],
      ["a 'file:' URL", 'file:///etc/passwd'],
      ["an upper-case 'FILE:' URL", 'FILE:///etc/passwd'],
      ['a backslash', 'data\\a.csv'],
      ["a '.' segment", './a.csv'],
      ['an empty segment', 'data//a.csv'],
      ['a hidden file', '.env'],
      ['another URL scheme', 's3://bucket/a.csv'],
    ])('rejects a path with %s at its pointer (v1 and v2)', (_label, path) => {
      for (const build of [v1, v2]) {
        expect(
          validator.validate(
            build([
              { name: 'ok', path: 'ok.csv' },
              { name: 'bad', path },
            ]),
          ).errors,
        ).toEqual([{ pointer: '/resources/1/path', message: expect.stringContaining('relative POSIX path') }]);
      }
    });

    it('rejects an empty path', () => {
      expect(validator.validate(v1([{ name: 'a', path: '' }])).errors).toEqual([
        { pointer: '/resources/0/path', message: 'must not be empty' },
      ]);
    });

    it('points at the bad item of an array path', () => {
      const report = validator.validate(v2([{ name: 'a', path: ['part-1.csv', '../part-2.csv', 'part-3.csv', 4] }]));
      expect(report.errors).toEqual([
        { pointer: '/resources/0/path/1', message: expect.stringContaining('relative POSIX path') },
        { pointer: '/resources/0/path/3', message: 'must be a string' },
      ]);
    });

    it.each([
      ['an empty array', []],
      ['a number', 3],
      ['null', null],
    ])('rejects a path that is %s', (_label, path) => {
      expect(validator.validate(v1([{ name: 'a', path }])).errors).toEqual([
        { pointer: '/resources/0/path', message: 'must be a path string or a non-empty array of path strings' },
      ]);
    });

    it.each(['https://example.com/data/a.csv', 'http://example.com/a.csv?x=1', 'ftp://example.com/a.csv', 'HTTPS://EXAMPLE.COM/A.CSV'])(
      'accepts the URL path %s',
      (path) => {
        for (const build of [v1, v2]) expect(validator.validate(build([{ name: 'a', path }])).errors).toEqual([]);
      },
    );

    it('accepts nested relative paths and arrays of them', () => {
      expect(validator.validate(v2([{ name: 'a', path: ['data/2024/a.csv', 'data/2025/a.csv'] }])).errors).toEqual([]);
    });

    it.each([
      ['sha256', `sha256:${SHA256.slice(0, 63)}`, 64],
      ['sha1', 'sha1:abc', 40],
      ['md5', 'md5:abc', 32],
      ['sha512', `sha512:${SHA256}`, 128],
    ])('rejects a %s hash of the wrong length', (algorithm, hash, digits) => {
      expect(validator.validate(v1([{ name: 'a', path: 'a.csv', hash }])).errors).toEqual([
        { pointer: '/resources/0/hash', message: `a ${algorithm} hash must have ${digits} hexadecimal digits` },
      ]);
    });

    it('accepts well-formed hashes, including an upper-case algorithm and a bare md5', () => {
      const report = validator.validate(
        v1([
          { name: 'a', path: 'a.csv', hash: `sha256:${SHA256}` },
          { name: 'b', path: 'b.csv', hash: `SHA256:${SHA256.toUpperCase()}` },
          { name: 'c', path: 'c.csv', hash: 'd41d8cd98f00b204e9800998ecf8427e' },
        ]),
      );
      expect(report.errors).toEqual([]);
    });

    it.each([
      ['v1', v1],
      ['v2', v2],
    ])('rejects a malformed mediatype with one clear message (%s)', (_label, build) => {
      expect(validator.validate(build([{ name: 'a', path: 'a.csv', mediatype: 'csv' }])).errors).toEqual([
        { pointer: '/resources/0/mediatype', message: 'must be a media type such as text/csv (RFC 6838)' },
      ]);
    });

    it('accepts a mediatype with parameters', () => {
      expect(validator.validate(v2([{ name: 'a', path: 'a.csv', mediatype: 'text/csv; charset=utf-8' }])).errors).toEqual([]);
    });

    it('rejects a created value that is not an RFC 3339 date-time, and accepts one that is', () => {
      expect(validator.validate(v1([{ name: 'a', path: 'a.csv' }], { created: 'yesterday' })).errors).toEqual([
        { pointer: '/created', message: 'must match format "date-time"' },
      ]);
      expect(
        validator.validate(v2([{ name: 'a', path: 'a.csv' }], { created: '2024-01-02' })).errors.map((error) => error.pointer),
      ).toEqual(['/created']);
      expect(validator.validate(v1([{ name: 'a', path: 'a.csv' }], { created: '1985-04-12T23:20:50.52Z' })).errors).toEqual([]);
    });

    it('rejects wrongly typed properties at their pointers', () => {
      expect(errorPointers(v1([{ name: 'a', path: 'a.csv', bytes: 'ten' }], { keywords: 'climate' })).sort()).toEqual([
        '/keywords',
        '/resources/0/bytes',
      ]);
      expect(errorPointers(v1([], { resources: { name: 'a' } }))).toEqual(['/resources']);
    });

    it('reports every error of a descriptor at once, each once', () => {
      const report = validator.validate(
        v1(
          [
            { name: 'a', path: '/abs.csv', mediatype: 'csv' },
            { name: 'a', path: 'b.csv', data: [] },
          ],
          { created: 'never' },
        ),
      );
      expect(report.errors.map((error) => error.pointer).sort()).toEqual([
        '/created',
        '/resources/0/mediatype',
        '/resources/0/path',
        '/resources/1',
        '/resources/1/name',
      ]);
    });
  });

  describe('SHOULD recommendations (warnings)', () => {
    it('warns MISSING_NAME, MISSING_ID and MISSING_LICENSES at the root without failing', () => {
      const report = validator.validate({ profile: 'data-package', resources: [{ name: 'a', path: 'a.csv' }] });
      expect(report.errors).toEqual([]);
      expect(report.warnings.map((warning) => [warning.pointer, warning.code])).toEqual([
        ['', 'MISSING_NAME'],
        ['', 'MISSING_ID'],
        ['', 'MISSING_LICENSES'],
      ]);
    });

    it('warns NAME_NOT_PORTABLE for package and resource names in v2 only', () => {
      const descriptor = { name: 'Climate Data', resources: [{ name: 'Temps 2024', path: 'a.csv' }] };
      expect(validator.validate(v2([], descriptor)).warnings).toEqual([
        { pointer: '/name', code: 'NAME_NOT_PORTABLE', message: expect.any(String) },
        { pointer: '/resources/0/name', code: 'NAME_NOT_PORTABLE', message: expect.any(String) },
      ]);
      // v1 makes the same names an error of its profile, never this warning.
      expect(warningCodes(v1([], descriptor))).not.toContain('NAME_NOT_PORTABLE');
    });

    it('warns UNKNOWN_HASH_ALGORITHM at the hash of the resource', () => {
      const report = validator.validate(
        v2([
          { name: 'a', path: 'a.csv', hash: `sha256:${SHA256}` },
          { name: 'b', path: 'b.csv', hash: 'blake3:abcdef' },
        ]),
      );
      expect(report.errors).toEqual([]);
      expect(report.warnings).toEqual([
        { pointer: '/resources/1/hash', code: 'UNKNOWN_HASH_ALGORITHM', message: expect.stringContaining('blake3') },
      ]);
    });

    it('gives no warning to a complete v2 descriptor with portable names and known hashes', () => {
      expect(warningCodes(v2([{ name: 'temps-2024', path: 'a.csv', hash: `md5:${'0'.repeat(32)}` }]))).toEqual([]);
    });
  });
});

describe('unsafePathReason', () => {
  it('accepts relative POSIX paths and URLs', () => {
    expect(unsafePathReason('a.csv')).toBeUndefined();
    expect(unsafePathReason('data/2024/a.b.csv')).toBeUndefined();
    expect(unsafePathReason('https://example.com/../a.csv')).toBeUndefined();
  });

  it.each(['', '..', 'a/..', '/a', '~a', 'file:a', 'a\\b', 'c:/a', './a', 'a/', '.hidden'])('rejects %p', (path) => {
    expect(unsafePathReason(path)).toEqual(expect.any(String));
  });
});
