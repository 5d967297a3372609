import { DescriptorValidator, MAX_DESCRIPTOR_DEPTH, unsafePathReason } from './descriptor.validator';

const V2_SCHEMA = 'https://datapackage.org/profiles/2.0/datapackage.json';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A descriptor with every recommended property, so that only the case under test raises findings. */
function complete(resources: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'climate', id: 'urn:uuid:1', licenses: [{ name: 'CC0-1.0' }], resources, ...extra };
}

/** An expected finding: its pointer, code and message, with whatever rule it names. */
function issue(pointer: string, code: string, message: unknown) {
  return { pointer, code, rule: expect.any(String), message };
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
    it('defaults to v1.0 data-package and warns NO_PROFILE when neither $schema nor profile is declared', () => {
      const report = validator.validate(complete([{ name: 'a', path: 'a.csv' }]));
      expect(report).toEqual({
        version: '1.0',
        profile: 'data-package',
        errors: [],
        warnings: [issue('', 'NO_PROFILE', expect.stringContaining('v1.0'))],
      });
    });

    it('selects v2.0 from the published $schema URL, without warnings', () => {
      expect(validator.validate(v2([{ name: 'a', path: 'a.csv' }]))).toEqual({
        version: '2.0',
        profile: 'data-package',
        errors: [],
        warnings: [],
      });
    });

    it("selects v1.0 from profile 'data-package', without warnings", () => {
      expect(validator.validate(v1([{ name: 'a', path: 'a.csv' }]))).toEqual({
        version: '1.0',
        profile: 'data-package',
        errors: [],
        warnings: [],
      });
    });

    it.each([
      'https://datapackage.org/profiles/1.0/datapackage.json',
      'https://specs.frictionlessdata.io/schemas/data-package.json',
      'http://specs.frictionlessdata.io/schemas/data-package.json',
    ])('selects v1.0 from the v1 $schema URL %s (not v2)', (schema) => {
      const report = validator.validate(complete([{ name: 'a', path: 'a.csv' }], { $schema: schema }));
      expect(report).toMatchObject({ version: '1.0', profile: 'data-package', warnings: [] });
    });

    it.each(['tabular-data-package', 'https://specs.frictionlessdata.io/schemas/tabular-data-package.json'])(
      'enforces %s as the standard tabular profile, never as a custom one',
      (profile) => {
        const report = validator.validate(complete([{ name: 'a', path: 'a.csv', schema: { fields: [{ name: 'x' }] } }], { profile }));
        expect(report).toEqual({ version: '1.0', profile: 'tabular-data-package', errors: [], warnings: [] });
      },
    );

    it('validates a custom $schema as v2.0 and says it was not fetched', () => {
      const report = validator.validate(complete([{ name: 'a', path: 'a.csv' }], { $schema: 'https://example.com/my-profile.json' }));
      expect(report.version).toBe('2.0');
      expect(report.warnings).toEqual([
        issue('/$schema', 'CUSTOM_PROFILE', expect.stringContaining('https://example.com/my-profile.json')),
      ]);
    });

    it('validates a custom v1 profile URL (camtrap-dp) against the base profile with a CUSTOM_PROFILE warning', () => {
      const camtrap = 'https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/camtrap-dp-profile.json';
      const report = validator.validate(complete([{ name: 'a', path: 'a.csv' }], { profile: camtrap }));
      expect(report).toMatchObject({ version: '1.0', profile: camtrap, errors: [] });
      expect(report.warnings).toEqual([issue('/profile', 'CUSTOM_PROFILE', expect.stringContaining(camtrap))]);
      // The base checks still apply.
      expect(errorPointers(complete([{ name: 'a', path: '/etc/passwd' }], { profile: camtrap }))).toEqual(['/resources/0/path']);
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
      expect(validator.validate(descriptor).errors).toEqual([issue('', 'DESCRIPTOR_NOT_OBJECT', 'a descriptor must be a JSON object')]);
    });

    it('rejects U+0000 in any string or member name, at each place (no catalog can store it)', () => {
      const descriptor = v2([{ name: 'a', path: 'a.csv', schema: { fields: [{ name: 'x\u0000y' }] } }], {
        title: 'Weather\u0000',
        'ke\u0000y': 1,
      });
      expect(validator.validate(descriptor).errors).toEqual([
        issue('/ke\u0000y', 'NUL_CHARACTER', 'member names must not contain U+0000'),
        issue('/resources/0/schema/fields/0/name', 'NUL_CHARACTER', 'must not contain U+0000'),
        issue('/title', 'NUL_CHARACTER', 'must not contain U+0000'),
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
        issue(
          `/extra${'/a'.repeat(MAX_DESCRIPTOR_DEPTH - 1)}`,
          'TOO_DEEP',
          `nests deeper than ${MAX_DESCRIPTOR_DEPTH} levels of objects and arrays`,
        ),
      ]);
      expect(validator.validate(nested(100_000)).errors).toHaveLength(1);
    });

    it('requires resources', () => {
      expect(validator.validate({ name: 'x', profile: 'data-package' }).errors).toEqual([
        issue('', 'REQUIRED', "must have property 'resources'"),
      ]);
    });

    it.each([
      ['v1', v1],
      ['v2', v2],
    ])('rejects empty resources (%s)', (_label, build) => {
      expect(validator.validate(build([])).errors).toEqual([issue('/resources', 'TOO_FEW', 'must list at least one resource')]);
    });

    it.each([
      ['v1', v1],
      ['v2', v2],
    ])('rejects a resource with both path and data, and one with neither (%s)', (_label, build) => {
      const report = validator.validate(
        build([{ name: 'a', path: 'a.csv' }, { name: 'both', path: 'b.csv', data: [{ x: 1 }] }, { name: 'neither' }]),
      );
      expect(report.errors).toEqual([
        issue('/resources/1', 'RESOURCE_PATH_AND_DATA', "must have exactly one of 'path' or 'data', not both"),
        issue('/resources/2', 'RESOURCE_PATH_OR_DATA_MISSING', "must have one of 'path' or 'data'"),
      ]);
    });

    it('accepts inline data without a path', () => {
      expect(validator.validate(v1([{ name: 'inline', data: [{ x: 1 }] }])).errors).toEqual([]);
    });

    it('requires a resource name', () => {
      expect(validator.validate(v2([{ path: 'a.csv' }])).errors).toEqual([issue('/resources/0', 'REQUIRED', "must have property 'name'")]);
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
        issue('/resources/2/name', 'RESOURCE_NAME_DUPLICATE', "duplicate resource name 'a' (first used at /resources/0)"),
      ]);
    });

    it.each([
      ["a '..' segment", 'data/../secret.csv'],
      ["a leading '..'", '../a.csv'],
      ["a leading '/'", '/etc/passwd'],
      ["a leading '~'", '~/a.csv'],
      ["a 'file:' URL", 'file:///etc/passwd'],
      ["an upper-case 'FILE:' URL", 'FILE:///etc/passwd'],
      ["a '.' segment", './a.csv'],
      ['an empty segment', 'data//a.csv'],
      ['a backslash that climbs out', 'data\\..\\a.csv'],
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
        ).toEqual([issue('/resources/1/path', 'PATH_UNSAFE', expect.stringContaining('relative POSIX path'))]);
      }
    });

    it('rejects an empty path', () => {
      expect(validator.validate(v1([{ name: 'a', path: '' }])).errors).toEqual([
        issue('/resources/0/path', 'PATH_UNSAFE', 'must not be empty'),
      ]);
    });

    it('points at the bad item of an array path', () => {
      const report = validator.validate(v2([{ name: 'a', path: ['part-1.csv', '../part-2.csv', 'part-3.csv', 4] }]));
      expect(report.errors).toEqual([
        issue('/resources/0/path/1', 'PATH_UNSAFE', expect.stringContaining('relative POSIX path')),
        issue('/resources/0/path/3', 'TYPE', 'must be a string'),
      ]);
    });

    it.each([
      ['an empty array', []],
      ['a number', 3],
      ['null', null],
    ])('rejects a path that is %s', (_label, path) => {
      expect(validator.validate(v1([{ name: 'a', path }])).errors).toEqual([
        issue('/resources/0/path', 'TYPE', 'must be a path string or a non-empty array of path strings'),
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
        issue('/resources/0/hash', 'HASH_LENGTH', `a ${algorithm} hash must have ${digits} hexadecimal digits`),
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
        issue('/resources/0/mediatype', 'MEDIATYPE_INVALID', 'must be a media type such as text/csv (RFC 6838)'),
      ]);
    });

    it('accepts a mediatype with parameters', () => {
      expect(validator.validate(v2([{ name: 'a', path: 'a.csv', mediatype: 'text/csv; charset=utf-8' }])).errors).toEqual([]);
    });

    it('rejects a created value that is not an RFC 3339 date-time, and accepts one that is', () => {
      expect(validator.validate(v1([{ name: 'a', path: 'a.csv' }], { created: 'yesterday' })).errors).toEqual([
        issue('/created', 'FORMAT', 'must be a valid date-time (Created)'),
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
        issue('/name', 'NAME_NOT_PORTABLE', expect.any(String)),
        issue('/resources/0/name', 'NAME_NOT_PORTABLE', expect.any(String)),
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
      expect(report.warnings).toEqual([issue('/resources/1/hash', 'UNKNOWN_HASH_ALGORITHM', expect.stringContaining('blake3'))]);
    });

    it('gives no warning to a complete v2 descriptor with portable names and known hashes', () => {
      expect(warningCodes(v2([{ name: 'temps-2024', path: 'a.csv', hash: `md5:${'0'.repeat(32)}` }]))).toEqual([]);
    });
  });
});

describe('DescriptorValidator: parts against their own profiles, one error per cause', () => {
  const validator = new DescriptorValidator();
  const tabular = (resources: unknown[]) => complete(resources, { profile: 'tabular-data-package' });
  const table = (fields: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'a', path: 'a.csv', schema: { fields, ...extra } });

  it.each([
    ['only a delimiter', { delimiter: ';' }],
    ['a delimiter and quoteChar', { delimiter: ',', quoteChar: '"' }],
    ['nothing', {}],
  ])('accepts a dialect with %s (the CSV Dialect spec gives every property a default)', (_label, dialect) => {
    for (const build of [v1, v2]) expect(validator.validate(build([{ name: 'a', path: 'a.csv', dialect }])).errors).toEqual([]);
  });

  it('checks a dialect against its own profile', () => {
    expect(validator.validate(v1([{ name: 'a', path: 'a.csv', dialect: { delimiter: 9 } }])).errors).toEqual([
      issue('/resources/0/dialect/delimiter', 'TYPE', 'must be a string'),
    ]);
  });

  it('puts no Table Schema rules on the resources of a data-package', () => {
    const schema = { fields: [{ name: 'year', type: 'year', format: 'any' }] };
    expect(validator.validate(v1([{ name: 'a', path: 'a.csv', schema }])).errors).toEqual([]);
    expect(validator.validate(tabular([{ name: 'a', path: 'a.csv', schema }])).errors).toEqual([
      issue('/resources/0/schema/fields/0/format', 'ENUM', 'must be one of "default"'),
    ]);
  });

  it('checks a v1 resource that declares itself tabular-data-resource, even in a data-package', () => {
    const resource = { name: 'a', path: 'a.csv', profile: 'tabular-data-resource' };
    expect(validator.validate(v1([resource])).errors).toEqual([issue('/resources/0', 'TABULAR_SCHEMA_MISSING', expect.any(String))]);
  });

  it('answers a misspelt field type with one error naming the allowed types, not one per branch', () => {
    const report = validator.validate(tabular([table([{ name: 'x', type: 'strng' }])]));
    expect(report.errors).toEqual([
      issue('/resources/0/schema/fields/0/type', 'ENUM', expect.stringContaining('"string", "number", "integer"')),
    ]);
    expect(report.errors[0]!.rule).toBe(
      'https://datapackage.org/profiles/1.0/tableschema.json#/properties/fields/items/oneOf/*/properties/type/enum',
    );
  });

  it("takes a field's errors from the branch its type declares (v1 and v2)", () => {
    const fields = [{ name: 'x', type: 'number', format: 'percent', constraints: { minimum: 'zero' } }, { name: 'y' }];
    expect(validator.validate(tabular([table(fields)])).errors).toEqual([
      issue('/resources/0/schema/fields/0/format', 'ENUM', 'must be one of "default"'),
    ]);
    const v2Report = validator.validate(v2([table(fields)]));
    expect(v2Report.errors.map((error) => [error.pointer, error.code])).toEqual([['/resources/0/schema/fields/0/format', 'ENUM']]);
    expect(v2Report.errors[0]!.rule).toContain('https://datapackage.org/profiles/2.0/tableschema.json#/properties/fields/items/oneOf/1/');
  });

  it('requires every resource of a tabular-data-package to be tabular, with a schema', () => {
    const report = validator.validate(
      tabular([
        { name: 'a', path: 'a.csv', profile: 'data-resource' },
        { name: 'b', data: [] },
      ]),
    );
    expect(report.errors).toEqual([
      issue('/resources/0', 'TABULAR_SCHEMA_MISSING', "must have a Table Schema ('schema')"),
      issue('/resources/0/profile', 'TABULAR_RESOURCE_REQUIRED', expect.stringContaining('tabular-data-resource')),
      issue('/resources/1', 'TABULAR_SCHEMA_MISSING', "must have a Table Schema ('schema')"),
    ]);
  });

  it('checks primary and foreign keys against the fields and resources they name', () => {
    const report = validator.validate(
      tabular([
        table([{ name: 'id' }, { name: 'country' }], {
          primaryKey: ['id', 'ID'],
          foreignKeys: [
            { fields: 'country', reference: { resource: 'countries', fields: 'code' } },
            { fields: ['country'], reference: { resource: 'nowhere', fields: ['code'] } },
            { fields: ['country', 'id'], reference: { resource: '', fields: ['id'] } },
          ],
        }),
        { ...table([{ name: 'iso' }]), name: 'countries', path: 'countries.csv' },
      ]),
    );
    expect(report.errors).toEqual([
      issue(
        '/resources/0/schema/foreignKeys/0/reference/fields',
        'FOREIGN_KEY_UNKNOWN_FIELD',
        "names 'code', which is not a field of resource 'countries'",
      ),
      issue('/resources/0/schema/foreignKeys/1/reference/resource', 'FOREIGN_KEY_UNKNOWN_RESOURCE', expect.stringContaining("'nowhere'")),
      issue('/resources/0/schema/foreignKeys/2/reference/fields', 'FOREIGN_KEY_FIELD_COUNT', expect.any(String)),
      issue('/resources/0/schema/primaryKey/1', 'PRIMARY_KEY_UNKNOWN_FIELD', "names 'ID', which is not a field of this schema"),
    ]);
  });

  it('answers a license without name or path once, saying which are allowed', () => {
    expect(validator.validate(v1([{ name: 'a', path: 'a.csv' }], { licenses: [{ title: 'Mine' }] })).errors).toEqual([
      issue('/licenses/0', 'REQUIRED_ONE_OF', "must have 'name' or 'path'"),
    ]);
  });
});

describe('DescriptorValidator: common v1 forms (lenient codes) and strict validation', () => {
  const validator = new DescriptorValidator();
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['url instead of path', v1([{ name: 'a', url: 'https://example.com/a.csv' }]), '/resources/0/url', 'LEGACY_URL_PROPERTY'],
    [
      'a license url instead of path',
      v1([{ name: 'a', path: 'a.csv' }], { licenses: [{ id: 'odc-pddl', url: 'http://opendatacommons.org/licenses/pddl/' }] }),
      '/licenses/0',
      'LEGACY_URL_PROPERTY',
    ],
    [
      'a source without title',
      v1([{ name: 'a', path: 'a.csv' }], { sources: [{ name: 'ine', path: 'https://www.ine.pt' }] }),
      '/sources/0',
      'SOURCE_WITHOUT_TITLE',
    ],
    [
      'a contributor without title',
      v1([{ name: 'a', path: 'a.csv' }], { contributors: [{ name: 'Ada' }] }),
      '/contributors/0',
      'CONTRIBUTOR_WITHOUT_TITLE',
    ],
    [
      'a license name that is a title',
      v1([{ name: 'a', path: 'a.csv' }], { licenses: [{ name: 'Open Data Commons Public Domain' }] }),
      '/licenses/0/name',
      'LICENSE_NAME_NOT_OPEN_DEFINITION',
    ],
    [
      'created without offset',
      v1([{ name: 'a', path: 'a.csv' }], { created: '2020-07-18T21:25:21.460146' }),
      '/created',
      'CREATED_WITHOUT_OFFSET',
    ],
    ['a bare sha256 hash', v1([{ name: 'a', path: 'a.csv', hash: SHA256 }]), '/resources/0/hash', 'HASH_WITHOUT_ALGORITHM'],
    ['a Windows path', v1([{ name: 'a', path: 'data\\2024\\a.csv' }]), '/resources/0/path', 'WINDOWS_PATH_SEPARATOR'],
    ['a folder path', v2([{ name: 'a', path: 'data/' }]), '/resources/0/path', 'PATH_TRAILING_SLASH'],
    [
      'a media type with a trailing space',
      v2([{ name: 'a', path: 'a.csv', mediatype: 'text/csv ' }]),
      '/resources/0/mediatype',
      'MEDIATYPE_WHITESPACE',
    ],
  ];

  it.each(cases)('accepts %s with a warning of its own code, and refuses it when strict', (_label, descriptor, pointer, code) => {
    const lenient = validator.validate(descriptor);
    expect(lenient.errors).toEqual([]);
    expect(lenient.warnings).toContainEqual(issue(pointer, code, expect.stringContaining('strict validation refuses it')));
    const strict = validator.validate(descriptor, { strict: true });
    expect(strict.errors).toEqual([issue(pointer, code, expect.any(String))]);
    expect(strict.warnings.map((warning) => warning.code)).not.toContain(code);
  });

  it('keeps refusing what a lenient form would hide: a Windows path that climbs out, a folder path of an absolute path', () => {
    expect(validator.validate(v1([{ name: 'a', path: '..\\a.csv' }])).errors.map((error) => error.code)).toEqual(['PATH_UNSAFE']);
    expect(validator.validate(v1([{ name: 'a', path: '/etc/' }])).errors.map((error) => error.code)).toEqual(['PATH_UNSAFE']);
    expect(validator.validate(v1([{ name: 'a', path: 'a.csv', hash: 'abc' }])).errors.map((error) => error.code)).toEqual(['PATTERN']);
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
