import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import profileV1 from '../../profiles/1.0/datapackage.json';
import profileV2 from '../../profiles/2.0/datapackage.json';
import { isJsonObject, type DescriptorReport, type DescriptorWarning, type ProfileVersion } from './descriptor.model';

type Issue = { pointer: string; message: string };

const URL_PATH = /^(https?|ftps?):\/\//i;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}(\s*;.*)?$/i;
const PORTABLE_NAME = /^[a-z0-9._-]+$/;
const HASH_HEX_LENGTHS: Record<string, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };
const V1_PROFILES = new Set(['data-package', 'tabular-data-package', 'fiscal-data-package']);
const PATH_RULE = "must be a relative POSIX path without '..' segments, '~', '\\', a leading '/' or 'file:' (or an http(s)/ftp URL)";

/** Why a local resource path is unsafe, or undefined when it is fine (URLs are fine). */
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

/**
 * What no descriptor may hold whatever its profile, found without recursion: nesting deeper than MAX_DESCRIPTOR_DEPTH
 * (reported once, at the first container too deep) and U+0000 in a string or a member name (PostgreSQL's jsonb, and
 * so the catalog and the events, cannot store it).
 */
function structuralIssues(descriptor: unknown): Issue[] {
  const issues: Issue[] = [];
  const pending: { value: unknown; pointer: string; depth: number }[] = [{ value: descriptor, pointer: '', depth: 1 }];
  let tooDeep = false;
  while (pending.length > 0) {
    const { value, pointer, depth } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) issues.push({ pointer, message: 'must not contain U+0000' });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_DESCRIPTOR_DEPTH) {
      if (!tooDeep) issues.push({ pointer, message: `nests deeper than ${MAX_DESCRIPTOR_DEPTH} levels of objects and arrays` });
      tooDeep = true;
      continue;
    }
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    for (const [key, item] of entries) {
      const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key.includes('\u0000')) issues.push({ pointer: at, message: 'member names must not contain U+0000' });
      pending.push({ value: item, pointer: at, depth: depth + 1 });
    }
  }
  return issues.sort((left, right) => (left.pointer < right.pointer ? -1 : left.pointer > right.pointer ? 1 : 0));
}

/** Selects the profile version from `$schema` (v2) or `profile` (v1), defaulting to v1 as the standard says. */
function selectVersion(descriptor: Record<string, unknown>): { version: ProfileVersion; warnings: DescriptorWarning[] } {
  const schema = descriptor['$schema'];
  const profile = descriptor['profile'];
  if (typeof schema === 'string') {
    if (/\/profiles\/(v?2\.0|v?2)\/datapackage\.json$/.test(schema)) return { version: '2.0', warnings: [] };
    if (/\/profiles\/(v?1\.0|v?1)\/datapackage\.json$/.test(schema)) return { version: '1.0', warnings: [] };
    return {
      version: '2.0',
      warnings: [
        {
          pointer: '/$schema',
          code: 'CUSTOM_PROFILE',
          message: `custom profile ${schema} is not fetched; validated against Data Package v2.0 only`,
        },
      ],
    };
  }
  if (typeof profile === 'string') {
    if (profile === 'data-package') return { version: '1.0', warnings: [] };
    const note = V1_PROFILES.has(profile) ? `profile '${profile}'` : `custom profile ${profile}`;
    return {
      version: '1.0',
      warnings: [
        { pointer: '/profile', code: 'CUSTOM_PROFILE', message: `${note} is not checked beyond the base Data Package v1.0 profile` },
      ],
    };
  }
  return {
    version: '1.0',
    warnings: [{ pointer: '', code: 'NO_PROFILE', message: 'no $schema (v2) or profile (v1) declared; validated as Data Package v1.0' }],
  };
}

/** Turns ajv's errors into issues, replacing the noisy `oneOf` branches of resources and paths with checks of our own. */
function profileIssues(errors: readonly ErrorObject[]): Issue[] {
  const issues: Issue[] = [];
  for (const error of errors) {
    const pointer = error.instancePath;
    // Handled by resourceIssues(): exactly one of path/data, and the path rules.
    if (/^\/resources\/\d+$/.test(pointer) && error.schemaPath.includes('/items/oneOf')) continue;
    if (/^\/resources\/\d+\/path(\/\d+)?$/.test(pointer)) continue;
    if (/^\/resources\/\d+\/mediatype$/.test(pointer) && error.keyword === 'pattern') continue;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'additionalProperties') message = `must not have property '${String(error.params['additionalProperty'])}'`;
    if (pointer === '/resources' && error.keyword === 'minItems') message = 'must list at least one resource';
    if (error.keyword === 'enum') message = `must be one of ${JSON.stringify(error.params['allowedValues'])}`;
    issues.push({ pointer, message });
  }
  return issues;
}

/** The MUST rules the JSON Schema profiles cannot express (or express too loosely), per resource. */
function resourceIssues(resources: unknown): Issue[] {
  if (!Array.isArray(resources)) return [];
  const issues: Issue[] = [];
  const firstByName = new Map<string, number>();
  resources.forEach((resource, index) => {
    const at = `/resources/${index}`;
    if (!isJsonObject(resource)) return;
    const hasPath = resource['path'] !== undefined;
    const hasData = resource['data'] !== undefined;
    if (hasPath && hasData) issues.push({ pointer: at, message: "must have exactly one of 'path' or 'data', not both" });
    if (!hasPath && !hasData) issues.push({ pointer: at, message: "must have one of 'path' or 'data'" });
    if (typeof resource['name'] === 'string') {
      const first = firstByName.get(resource['name']);
      if (first !== undefined) {
        issues.push({
          pointer: `${at}/name`,
          message: `duplicate resource name '${resource['name']}' (first used at /resources/${first})`,
        });
      } else {
        firstByName.set(resource['name'], index);
      }
    } else if (resource['name'] === undefined) {
      issues.push({ pointer: at, message: "must have property 'name'" });
    }
    if (hasPath) issues.push(...pathIssues(`${at}/path`, resource['path']));
    if (typeof resource['hash'] === 'string') {
      const match = /^([^:]+):([a-fA-F0-9]+)$/.exec(resource['hash']);
      const expected = match ? HASH_HEX_LENGTHS[match[1]!.toLowerCase()] : undefined;
      if (match && expected !== undefined && match[2]!.length !== expected) {
        issues.push({ pointer: `${at}/hash`, message: `a ${match[1]} hash must have ${expected} hexadecimal digits` });
      }
    }
    if (typeof resource['mediatype'] === 'string' && !MEDIA_TYPE.test(resource['mediatype'])) {
      issues.push({ pointer: `${at}/mediatype`, message: 'must be a media type such as text/csv (RFC 6838)' });
    }
  });
  return issues;
}

function pathIssues(pointer: string, value: unknown): Issue[] {
  if (typeof value === 'string') {
    const reason = unsafePathReason(value);
    return reason ? [{ pointer, message: reason }] : [];
  }
  if (Array.isArray(value) && value.length > 0) {
    return value.flatMap((item, index) =>
      typeof item === 'string'
        ? pathIssues(`${pointer}/${index}`, item)
        : [{ pointer: `${pointer}/${index}`, message: 'must be a string' }],
    );
  }
  return [{ pointer, message: 'must be a path string or a non-empty array of path strings' }];
}

/** SHOULD-level recommendations of the standard, returned as warnings. */
function recommendations(descriptor: Record<string, unknown>, version: ProfileVersion): DescriptorWarning[] {
  const warnings: DescriptorWarning[] = [];
  if (descriptor['name'] === undefined) {
    warnings.push({ pointer: '', code: 'MISSING_NAME', message: 'a Data Package SHOULD have a name' });
  } else if (version === '2.0' && typeof descriptor['name'] === 'string' && !PORTABLE_NAME.test(descriptor['name'])) {
    warnings.push({
      pointer: '/name',
      code: 'NAME_NOT_PORTABLE',
      message: "name SHOULD use only lowercase letters, digits, '.', '-' and '_'",
    });
  }
  if (descriptor['id'] === undefined) {
    warnings.push({ pointer: '', code: 'MISSING_ID', message: 'a Data Package SHOULD have a globally unique id (e.g. a UUID or DOI)' });
  }
  if (descriptor['licenses'] === undefined) {
    warnings.push({ pointer: '', code: 'MISSING_LICENSES', message: 'a Data Package SHOULD declare its licenses' });
  }
  const resources = Array.isArray(descriptor['resources']) ? descriptor['resources'] : [];
  resources.forEach((resource, index) => {
    if (!isJsonObject(resource)) return;
    const name = resource['name'];
    if (version === '2.0' && typeof name === 'string' && !PORTABLE_NAME.test(name)) {
      warnings.push({
        pointer: `/resources/${index}/name`,
        code: 'NAME_NOT_PORTABLE',
        message: "resource name SHOULD use only lowercase letters, digits, '.', '-' and '_'",
      });
    }
    const hash = resource['hash'];
    if (typeof hash === 'string' && /^[^:]+:/.test(hash) && !(hash.split(':')[0]!.toLowerCase() in HASH_HEX_LENGTHS)) {
      warnings.push({
        pointer: `/resources/${index}/hash`,
        code: 'UNKNOWN_HASH_ALGORITHM',
        message: `hash algorithm '${hash.split(':')[0]}' is not one of md5, sha1, sha256, sha512`,
      });
    }
  });
  return warnings;
}

/** Validates Data Package descriptors against the published v1.0 / v2.0 profiles plus the rules they cannot express. */
export class DescriptorValidator {
  private readonly profiles: Record<ProfileVersion, ValidateFunction>;

  constructor() {
    // The profiles carry non-standard annotations (propertyOrder, context, options): strict mode would reject them.
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(ajv);
    ajv.addFormat('textarea', true); // an editor hint in the profiles, not a constraint
    this.profiles = { '1.0': ajv.compile(profileV1), '2.0': ajv.compile(profileV2) };
  }

  /** Every error (MUST) and warning (SHOULD) of one descriptor. */
  validate(descriptor: unknown): DescriptorReport {
    if (!isJsonObject(descriptor)) {
      return { version: '1.0', errors: [{ pointer: '', message: 'a descriptor must be a JSON object' }], warnings: [] };
    }
    // Checked first: profile validation (and everything after it) must never walk a value this deep.
    const structural = structuralIssues(descriptor);
    if (structural.length > 0) return { version: '1.0', errors: structural, warnings: [] };
    const { version, warnings } = selectVersion(descriptor);
    const validateProfile = this.profiles[version];
    validateProfile(descriptor);
    const errors = dedupe([...profileIssues(validateProfile.errors ?? []), ...resourceIssues(descriptor['resources'])]);
    return { version, errors, warnings: [...warnings, ...recommendations(descriptor, version)] };
  }
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.pointer}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
