import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { escapePointerToken } from '@metastore/errors';
import packageV1 from '../../profiles/1.0/datapackage.json';
import resourceV1 from '../../profiles/1.0/dataresource.json';
import dialectV1 from '../../profiles/1.0/tabledialect.json';
import tableSchemaV1 from '../../profiles/1.0/tableschema.json';
import packageV2 from '../../profiles/2.0/datapackage.json';
import resourceV2 from '../../profiles/2.0/dataresource.json';
import dialectV2 from '../../profiles/2.0/tabledialect.json';
import tableSchemaV2 from '../../profiles/2.0/tableschema.json';
import { DESCRIPTOR_ISSUE_CODES, type DescriptorIssueCode } from './descriptor.codes';
import {
  isJsonObject,
  type DescriptorIssue,
  type DescriptorReport,
  type DescriptorWarning,
  type JsonObject,
  type ProfileVersion,
  type ValidationOptions,
} from './descriptor.model';
import { profileIssues, type ProfileIssue } from './profile-issues';

const URL_PATH = /^(https?|ftps?):\/\//i;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/i;
const PORTABLE_NAME = /^[a-z0-9._-]+$/;
const HASH_HEX_LENGTHS: Record<string, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };
const PATH_RULE = "must be a relative POSIX path without '..' segments, '~', '\\', a leading '/' or 'file:' (or an http(s)/ftp URL)";
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const BARE_HEX = /^(?:[a-fA-F0-9]{40}|[a-fA-F0-9]{64}|[a-fA-F0-9]{128})$/;
/** v1 profile URLs: the old specs site's schemas and datapackage.org's published 1.0 profiles. */
const V1_PACKAGE_URL = /^https?:\/\/(specs\.)?frictionlessdata\.io\/schemas\/data-package\.json$|\/profiles\/v?1(\.0)?\/datapackage\.json$/;
const V1_TABULAR_URL = /^https?:\/\/(specs\.)?frictionlessdata\.io\/schemas\/tabular-data-package\.json$/;
const V1_TABULAR_RESOURCE = /^(tabular-data-resource|https?:\/\/(specs\.)?frictionlessdata\.io\/schemas\/tabular-data-resource\.json)$/;
const V2_PACKAGE_URL = /\/profiles\/v?2(\.0)?\/datapackage\.json$/;

/** Why a local resource path is unsafe to use as a file in the repository, or undefined when it is fine (URLs are fine). */
export function unsafePathReason(value: string): string | undefined {
  if (URL_PATH.test(value)) return undefined;
  if (value.length === 0) return 'must not be empty';
  if (/^file:/i.test(value) || value.startsWith('/') || value.startsWith('~') || value.includes('\\')) return PATH_RULE;
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return PATH_RULE;
  const segments = value.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.' || segment === '')) return PATH_RULE;
  if (value.startsWith('.')) return PATH_RULE;
  return undefined;
}

/**
 * The deepest nesting of objects and arrays a descriptor may have. Real descriptors nest a handful of levels; a bound
 * keeps every recursive step (profile validation, merge patch, diff, cloning) far from the stack's limit.
 */
export const MAX_DESCRIPTOR_DEPTH = 64;

function finding(pointer: string, code: DescriptorIssueCode, rule: string, message: string): DescriptorIssue {
  return { pointer, code, rule, message };
}

/**
 * What no descriptor may hold whatever its profile, found without recursion: nesting deeper than MAX_DESCRIPTOR_DEPTH
 * (reported once, at the first container too deep) and U+0000 in a string or a member name (PostgreSQL's jsonb, and
 * so the catalog and the events, cannot store it).
 */
function structuralIssues(descriptor: unknown): DescriptorIssue[] {
  const issues: DescriptorIssue[] = [];
  const pending: { value: unknown; pointer: string; depth: number }[] = [{ value: descriptor, pointer: '', depth: 1 }];
  let tooDeep = false;
  while (pending.length > 0) {
    const { value, pointer, depth } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) issues.push(finding(pointer, 'NUL_CHARACTER', 'metastore:no-nul', 'must not contain U+0000'));
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DESCRIPTOR_DEPTH) {
      const message = `nests deeper than ${MAX_DESCRIPTOR_DEPTH} levels of objects and arrays`;
      if (!tooDeep) issues.push(finding(pointer, 'TOO_DEEP', 'metastore:max-depth', message));
      tooDeep = true;
      continue;
    }
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    for (const [key, item] of entries) {
      const at = `${pointer}/${escapePointerToken(key)}`;
      if (key.includes('\u0000')) issues.push(finding(at, 'NUL_CHARACTER', 'metastore:no-nul', 'member names must not contain U+0000'));
      pending.push({ value: item, pointer: at, depth: depth + 1 });
    }
  }
  return issues.sort(byPointer);
}

/** The profile a descriptor declares: its version, whether it is the tabular one, and notes on what cannot be checked. */
interface Selection {
  readonly version: ProfileVersion;
  readonly profile: string;
  readonly tabular: boolean;
  readonly warnings: DescriptorWarning[];
}

/**
 * Selects the profile: a `$schema` naming the v2 profile is v2, one naming a v1 profile URL is v1; a v1 `profile` is
 * `data-package` or `tabular-data-package` (by name or URL), anything else a custom profile checked as its base (v2
 * for a `$schema`, v1 for a `profile`) with a warning; neither is v1 `data-package`, as the standard says.
 */
function selectProfile(descriptor: JsonObject): Selection {
  const schema = descriptor['$schema'];
  const profile = typeof descriptor['profile'] === 'string' ? descriptor['profile'] : undefined;
  const v1 = (declared: string | undefined, pointer: string): Selection => {
    if (declared === undefined || declared === 'data-package' || V1_PACKAGE_URL.test(declared)) {
      return { version: '1.0', profile: 'data-package', tabular: false, warnings: [] };
    }
    if (declared === 'tabular-data-package' || V1_TABULAR_URL.test(declared)) {
      return { version: '1.0', profile: 'tabular-data-package', tabular: true, warnings: [] };
    }
    const message = `custom profile ${declared} is not fetched; checked against the Data Package v1.0 profile only`;
    return {
      version: '1.0',
      profile: declared,
      tabular: false,
      warnings: [finding(pointer, 'CUSTOM_PROFILE', 'metastore:profile', message)],
    };
  };
  if (typeof schema === 'string') {
    if (V2_PACKAGE_URL.test(schema)) return { version: '2.0', profile: 'data-package', tabular: false, warnings: [] };
    if (V1_PACKAGE_URL.test(schema)) return v1(profile, '/profile');
    if (V1_TABULAR_URL.test(schema)) return v1(schema, '/$schema');
    const message = `custom profile ${schema} is not fetched; checked against the Data Package v2.0 profile only`;
    return {
      version: '2.0',
      profile: schema,
      tabular: false,
      warnings: [finding('/$schema', 'CUSTOM_PROFILE', 'metastore:profile', message)],
    };
  }
  if (profile !== undefined) return v1(profile, '/profile');
  const message = 'no $schema (v2) or profile (v1) declared; validated as a Data Package v1.0 (data-package)';
  return { version: '1.0', profile: 'data-package', tabular: false, warnings: [finding('', 'NO_PROFILE', 'metastore:profile', message)] };
}

/** The compiled profiles of one version: each part of a package against its own profile. */
interface VersionProfiles {
  readonly base: string;
  readonly package: ValidateFunction;
  readonly resource: ValidateFunction;
  readonly tableSchema: ValidateFunction;
  readonly dialect: ValidateFunction;
}

/**
 * The package profile with its resources left to the resource profile, and the resource profile with its schema and
 * dialect left to theirs: the published package and resource profiles inline older copies of those (the v1 package's
 * dialect requires `delimiter` and `doubleQuote`, which the CSV Dialect spec and its own profile do not). The resource's
 * `oneOf` (name with path or data) is checked by resourceIssues, which says which one is missing.
 */
function compileVersion(ajv: Ajv, version: ProfileVersion, profiles: Record<'package' | 'resource' | 'schema' | 'dialect', object>) {
  const packageProfile = structuredClone(profiles.package) as { properties: { resources: { items: unknown } } };
  packageProfile.properties.resources.items = { type: 'object' };
  const resourceProfile = structuredClone(profiles.resource) as { oneOf?: unknown; properties: Record<string, unknown> };
  delete resourceProfile.oneOf;
  resourceProfile.properties['schema'] = { type: ['string', 'object'] };
  resourceProfile.properties['dialect'] = { type: ['string', 'object'] };
  return {
    base: `https://datapackage.org/profiles/${version}/`,
    package: ajv.compile(packageProfile),
    resource: ajv.compile(resourceProfile),
    tableSchema: ajv.compile(profiles.schema),
    dialect: ajv.compile(profiles.dialect),
  };
}

/** Validates Data Package descriptors against the published v1.0 / v2.0 profiles plus the rules they cannot express. */
export class DescriptorValidator {
  private readonly versions: Record<ProfileVersion, VersionProfiles>;

  constructor() {
    // The profiles carry non-standard annotations (propertyOrder, context, options): strict mode would reject them.
    // `verbose` gives each error its schema and value: the branch a value declares is chosen from them (profile-issues.ts).
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true, verbose: true });
    addFormats(ajv);
    ajv.addFormat('textarea', true); // an editor hint in the profiles, not a constraint
    this.versions = {
      '1.0': compileVersion(ajv, '1.0', { package: packageV1, resource: resourceV1, schema: tableSchemaV1, dialect: dialectV1 }),
      '2.0': compileVersion(ajv, '2.0', { package: packageV2, resource: resourceV2, schema: tableSchemaV2, dialect: dialectV2 }),
    };
  }

  /** Every error (MUST) and warning (SHOULD, or a common v1 form accepted leniently) of one descriptor. */
  validate(descriptor: unknown, options: ValidationOptions = {}): DescriptorReport {
    if (!isJsonObject(descriptor)) {
      const error = finding('', 'DESCRIPTOR_NOT_OBJECT', 'metastore:descriptor-object', 'a descriptor must be a JSON object');
      return { version: '1.0', profile: 'data-package', errors: [error], warnings: [] };
    }
    // Checked first: profile validation (and everything after it) must never walk a value this deep.
    const structural = structuralIssues(descriptor);
    if (structural.length > 0) return { version: '1.0', profile: 'data-package', errors: structural, warnings: [] };
    const selection = selectProfile(descriptor);
    const profiles = this.versions[selection.version];
    const issues = [...this.check(profiles.package, `${profiles.base}datapackage.json`, descriptor, '')];
    const resources = Array.isArray(descriptor['resources']) ? descriptor['resources'] : [];
    // Each name's first resource, found in one pass (a lookup per resource would be quadratic in their number).
    const firstByName = new Map<unknown, number>();
    resources.forEach((resource, index) => {
      if (isJsonObject(resource) && !firstByName.has(resource['name'])) firstByName.set(resource['name'], index);
    });
    resources.forEach((resource, index) => {
      if (isJsonObject(resource)) issues.push(...this.resourceIssues(resource, index, resources, selection, firstByName));
    });
    const errors: DescriptorIssue[] = [];
    const warnings: DescriptorWarning[] = [...selection.warnings];
    for (const issue of dedupe(issues)) {
      const lenient = DESCRIPTOR_ISSUE_CODES[issue.code].kind === 'lenient';
      if (!lenient || options.strict) errors.push(issue);
      else warnings.push({ ...issue, message: `${issue.message}; accepted as a common v1 form (strict validation refuses it)` });
    }
    warnings.push(...recommendations(descriptor, selection.version));
    return { version: selection.version, profile: selection.profile, errors: errors.sort(byPointer), warnings };
  }

  /** Issues of one value against one compiled profile, with pointers under `prefix`; leniency codes given where they apply. */
  private check(validate: ValidateFunction, profileUrl: string, value: unknown, prefix: string): DescriptorIssue[] {
    if (validate(value)) return [];
    return profileIssues(validate.errors ?? [], profileUrl, prefix)
      .filter((issue) => !handledByMetastore(issue))
      .map((issue) => ({ pointer: issue.pointer, code: lenientCode(issue) ?? issue.code, rule: issue.rule, message: issue.message }));
  }

  /** One resource: its own profile, its schema and dialect against theirs, the tabular rules, and Metastore's rules. */
  private resourceIssues(
    resource: JsonObject,
    index: number,
    resources: readonly unknown[],
    selection: Selection,
    firstByName: ReadonlyMap<unknown, number>,
  ): DescriptorIssue[] {
    const profiles = this.versions[selection.version];
    const at = `/resources/${index}`;
    const issues = [...this.check(profiles.resource, `${profiles.base}dataresource.json`, resource, at)];
    const declared = resource['profile'];
    const tabular =
      selection.version === '2.0'
        ? resource['type'] === 'table' || isJsonObject(resource['schema'])
        : selection.tabular || (typeof declared === 'string' && V1_TABULAR_RESOURCE.test(declared));
    if (selection.tabular && declared !== undefined && !(typeof declared === 'string' && V1_TABULAR_RESOURCE.test(declared))) {
      const message = "must be 'tabular-data-resource': every resource of a tabular-data-package is tabular";
      issues.push(finding(`${at}/profile`, 'TABULAR_RESOURCE_REQUIRED', 'metastore:tabular-data-package', message));
    }
    const schema = resource['schema'];
    if (tabular && schema === undefined && (selection.tabular || selection.version === '1.0' || resource['type'] === 'table')) {
      issues.push(finding(at, 'TABULAR_SCHEMA_MISSING', 'metastore:tabular-data-resource', "must have a Table Schema ('schema')"));
    }
    if (tabular && isJsonObject(schema)) {
      const schemaIssues = this.check(profiles.tableSchema, `${profiles.base}tableschema.json`, schema, `${at}/schema`);
      issues.push(...schemaIssues, ...(schemaIssues.length === 0 ? keyIssues(schema, `${at}/schema`, resource, resources) : []));
    }
    if (isJsonObject(resource['dialect'])) {
      issues.push(...this.check(profiles.dialect, `${profiles.base}tabledialect.json`, resource['dialect'], `${at}/dialect`));
    }
    return [...issues, ...metastoreResourceIssues(resource, index, firstByName)];
  }
}

/** Profile errors Metastore's own resource rules replace with a more precise finding (paths, media types). */
function handledByMetastore(issue: ProfileIssue): boolean {
  if (/^\/resources\/\d+\/path(\/\d+)?$/.test(issue.pointer)) return true;
  return /^\/resources\/\d+\/mediatype$/.test(issue.pointer) && issue.keyword === 'pattern';
}

/** The leniency code of a profile error that is a common v1 form the reference tools accept, if it is one. */
function lenientCode(issue: ProfileIssue): DescriptorIssueCode | undefined {
  const { pointer, code, value, params } = issue;
  if (code === 'REQUIRED' && params['missingProperty'] === 'title') {
    if (/\/sources\/\d+$/.test(pointer)) return 'SOURCE_WITHOUT_TITLE';
    if (/^\/contributors\/\d+$/.test(pointer)) return 'CONTRIBUTOR_WITHOUT_TITLE';
  }
  if (code === 'PATTERN' && /\/licenses\/\d+\/name$/.test(pointer)) return 'LICENSE_NAME_NOT_OPEN_DEFINITION';
  if (code === 'FORMAT' && pointer === '/created' && typeof value === 'string' && LOCAL_DATE_TIME.test(value))
    return 'CREATED_WITHOUT_OFFSET';
  if (code === 'PATTERN' && /^\/resources\/\d+\/hash$/.test(pointer) && typeof value === 'string' && BARE_HEX.test(value)) {
    return 'HASH_WITHOUT_ALGORITHM';
  }
  if (code === 'REQUIRED_ONE_OF' && /\/licenses\/\d+$/.test(pointer) && isJsonObject(value) && typeof value['url'] === 'string') {
    return 'LEGACY_URL_PROPERTY';
  }
  return undefined;
}

/** Primary and foreign keys name fields the schemas have, and resources the package has. */
function keyIssues(schema: JsonObject, at: string, resource: JsonObject, resources: readonly unknown[]): DescriptorIssue[] {
  const issues: DescriptorIssue[] = [];
  const names = fieldNames(schema);
  const list = (value: unknown): string[] => (typeof value === 'string' ? [value] : Array.isArray(value) ? value.map(String) : []);
  const primaryKey = list(schema['primaryKey']);
  primaryKey.forEach((name, index) => {
    if (!names.has(name)) {
      const pointer = typeof schema['primaryKey'] === 'string' ? `${at}/primaryKey` : `${at}/primaryKey/${index}`;
      issues.push(
        finding(pointer, 'PRIMARY_KEY_UNKNOWN_FIELD', 'metastore:primary-key', `names '${name}', which is not a field of this schema`),
      );
    }
  });
  const foreignKeys = Array.isArray(schema['foreignKeys']) ? schema['foreignKeys'] : [];
  foreignKeys.forEach((foreignKey, index) => {
    if (!isJsonObject(foreignKey) || !isJsonObject(foreignKey['reference'])) return;
    const key = `${at}/foreignKeys/${index}`;
    const fields = list(foreignKey['fields']);
    fields.forEach((name) => {
      if (!names.has(name)) {
        const message = `names '${name}', which is not a field of this schema`;
        issues.push(finding(`${key}/fields`, 'FOREIGN_KEY_UNKNOWN_FIELD', 'metastore:foreign-key', message));
      }
    });
    const reference = foreignKey['reference'];
    const referenced = list(reference['fields']);
    if (referenced.length !== fields.length) {
      const message = `must name as many fields as the foreign key's fields (${fields.length}), not ${referenced.length}`;
      issues.push(finding(`${key}/reference/fields`, 'FOREIGN_KEY_FIELD_COUNT', 'metastore:foreign-key', message));
    }
    const target = reference['resource'];
    // v1: '' is this resource; v2: an absent resource is.
    const targetResource =
      target === undefined || target === '' || target === resource['name']
        ? resource
        : resources.find((candidate) => isJsonObject(candidate) && candidate['name'] === target);
    if (!isJsonObject(targetResource)) {
      const message = `references resource '${String(target)}', which the package does not have`;
      issues.push(finding(`${key}/reference/resource`, 'FOREIGN_KEY_UNKNOWN_RESOURCE', 'metastore:foreign-key', message));
      return;
    }
    // A schema given by path or URL is not fetched: its fields cannot be checked.
    if (!isJsonObject(targetResource['schema'])) return;
    const targetNames = fieldNames(targetResource['schema']);
    for (const name of referenced) {
      if (!targetNames.has(name)) {
        const message = `names '${name}', which is not a field of resource '${String(targetResource['name'])}'`;
        issues.push(finding(`${key}/reference/fields`, 'FOREIGN_KEY_UNKNOWN_FIELD', 'metastore:foreign-key', message));
      }
    }
  });
  return issues;
}

function fieldNames(schema: JsonObject): Set<string> {
  const fields = Array.isArray(schema['fields']) ? schema['fields'] : [];
  return new Set(fields.flatMap((field) => (isJsonObject(field) && typeof field['name'] === 'string' ? [field['name']] : [])));
}

/** The MUST rules the JSON Schema profiles cannot express (or express too loosely), per resource. */
function metastoreResourceIssues(resource: JsonObject, index: number, firstByName: ReadonlyMap<unknown, number>): DescriptorIssue[] {
  const at = `/resources/${index}`;
  const issues: DescriptorIssue[] = [];
  const hasPath = resource['path'] !== undefined;
  const hasData = resource['data'] !== undefined;
  if (hasPath && hasData)
    issues.push(finding(at, 'RESOURCE_PATH_AND_DATA', 'metastore:path-or-data', "must have exactly one of 'path' or 'data', not both"));
  if (!hasPath && !hasData) {
    if (typeof resource['url'] === 'string') {
      const message = "uses the pre-v1 'url' instead of 'path'";
      issues.push(finding(`${at}/url`, 'LEGACY_URL_PROPERTY', 'metastore:path-or-data', message));
      issues.push(...pathIssues(`${at}/url`, resource['url']));
    } else {
      issues.push(finding(at, 'RESOURCE_PATH_OR_DATA_MISSING', 'metastore:path-or-data', "must have one of 'path' or 'data'"));
    }
  }
  const name = resource['name'];
  if (typeof name === 'string') {
    const first = firstByName.get(name);
    if (first !== undefined && first !== index) {
      const message = `duplicate resource name '${name}' (first used at /resources/${first})`;
      issues.push(finding(`${at}/name`, 'RESOURCE_NAME_DUPLICATE', 'metastore:unique-resource-names', message));
    }
  } else if (name === undefined) {
    issues.push(finding(at, 'REQUIRED', 'metastore:resource-name', "must have property 'name'"));
  }
  if (hasPath) issues.push(...pathIssues(`${at}/path`, resource['path']));
  if (typeof resource['hash'] === 'string') {
    const match = /^([^:]+):([a-fA-F0-9]+)$/.exec(resource['hash']);
    const expected = match ? HASH_HEX_LENGTHS[match[1]!.toLowerCase()] : undefined;
    if (match && expected !== undefined && match[2]!.length !== expected) {
      const message = `a ${match[1]} hash must have ${expected} hexadecimal digits`;
      issues.push(finding(`${at}/hash`, 'HASH_LENGTH', 'metastore:hash-length', message));
    }
  }
  const mediatype = resource['mediatype'];
  if (typeof mediatype === 'string') {
    const trimmed = mediatype.trim();
    if (trimmed !== mediatype) {
      const message = `must be a media type without surrounding white space ('${trimmed}')`;
      issues.push(finding(`${at}/mediatype`, 'MEDIATYPE_WHITESPACE', 'metastore:media-type', message));
    }
    if (!MEDIA_TYPE.test(trimmed)) {
      const message = 'must be a media type such as text/csv (RFC 6838)';
      issues.push(finding(`${at}/mediatype`, 'MEDIATYPE_INVALID', 'metastore:media-type', message));
    }
  }
  return issues;
}

function pathIssues(pointer: string, value: unknown): DescriptorIssue[] {
  if (typeof value === 'string') {
    const issues: DescriptorIssue[] = [];
    let path = value;
    if (!URL_PATH.test(path) && path.includes('\\')) {
      const message = "must separate segments with '/', not '\\'";
      issues.push(finding(pointer, 'WINDOWS_PATH_SEPARATOR', 'metastore:path-separator', message));
      path = path.replace(/\\/g, '/');
    }
    if (!URL_PATH.test(path) && path.length > 1 && path.endsWith('/')) {
      const message = "names a folder (ends in '/'); Metastore cannot write Git LFS pointers for it";
      issues.push(finding(pointer, 'PATH_TRAILING_SLASH', 'metastore:path-trailing-slash', message));
      path = path.replace(/\/+$/, '');
    }
    const reason = unsafePathReason(path);
    if (reason) issues.push(finding(pointer, 'PATH_UNSAFE', 'metastore:safe-path', reason));
    return issues;
  }
  if (Array.isArray(value) && value.length > 0) {
    return value.flatMap((item, index) =>
      typeof item === 'string'
        ? pathIssues(`${pointer}/${index}`, item)
        : [finding(`${pointer}/${index}`, 'TYPE', 'metastore:safe-path', 'must be a string')],
    );
  }
  return [finding(pointer, 'TYPE', 'metastore:safe-path', 'must be a path string or a non-empty array of path strings')];
}

/** SHOULD-level recommendations of the standard, returned as warnings. */
function recommendations(descriptor: JsonObject, version: ProfileVersion): DescriptorWarning[] {
  const warnings: DescriptorWarning[] = [];
  const rule = 'metastore:recommendation';
  if (descriptor['name'] === undefined) {
    warnings.push(finding('', 'MISSING_NAME', rule, 'a Data Package SHOULD have a name'));
  } else if (version === '2.0' && typeof descriptor['name'] === 'string' && !PORTABLE_NAME.test(descriptor['name'])) {
    warnings.push(finding('/name', 'NAME_NOT_PORTABLE', rule, "name SHOULD use only lowercase letters, digits, '.', '-' and '_'"));
  }
  if (descriptor['id'] === undefined) {
    warnings.push(finding('', 'MISSING_ID', rule, 'a Data Package SHOULD have a globally unique id (e.g. a UUID or DOI)'));
  }
  if (descriptor['licenses'] === undefined) {
    warnings.push(finding('', 'MISSING_LICENSES', rule, 'a Data Package SHOULD declare its licenses'));
  }
  const resources = Array.isArray(descriptor['resources']) ? descriptor['resources'] : [];
  resources.forEach((resource, index) => {
    if (!isJsonObject(resource)) return;
    const name = resource['name'];
    if (version === '2.0' && typeof name === 'string' && !PORTABLE_NAME.test(name)) {
      const message = "resource name SHOULD use only lowercase letters, digits, '.', '-' and '_'";
      warnings.push(finding(`/resources/${index}/name`, 'NAME_NOT_PORTABLE', rule, message));
    }
    const hash = resource['hash'];
    if (typeof hash === 'string' && /^[^:]+:/.test(hash) && !(hash.split(':')[0]!.toLowerCase() in HASH_HEX_LENGTHS)) {
      const message = `hash algorithm '${hash.split(':')[0]}' is not one of md5, sha1, sha256, sha512`;
      warnings.push(finding(`/resources/${index}/hash`, 'UNKNOWN_HASH_ALGORITHM', rule, message));
    }
  });
  return warnings;
}

function byPointer(left: DescriptorIssue, right: DescriptorIssue): number {
  if (left.pointer !== right.pointer) return left.pointer < right.pointer ? -1 : 1;
  return left.code < right.code ? -1 : left.code > right.code ? 1 : 0;
}

function dedupe(issues: DescriptorIssue[]): DescriptorIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.pointer}\u0000${issue.code}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
