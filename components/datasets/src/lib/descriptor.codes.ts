/**
 * Every code a descriptor finding can carry, in one table: the API documents it (OpenAPI) and the brick's README repeats
 * it. `error`: a MUST of the profiles or of Metastore; `lenient`: a common v1 form the reference tools accept, a warning
 * unless strict validation is asked for (then an error with the same code); `warning`: a SHOULD, never an error.
 */
export const DESCRIPTOR_ISSUE_CODES = {
  // Structure (checked before anything else).
  DESCRIPTOR_NOT_OBJECT: { kind: 'error', summary: 'The descriptor is not a JSON object.' },
  TOO_DEEP: { kind: 'error', summary: 'Objects and arrays nest deeper than 64 levels.' },
  NUL_CHARACTER: { kind: 'error', summary: 'A string or member name holds U+0000.' },
  // Profile keywords (JSON Schema), one per cause: a oneOf/anyOf is reported from the branch the value declares.
  REQUIRED: { kind: 'error', summary: 'A required property is missing (the message names it).' },
  REQUIRED_ONE_OF: { kind: 'error', summary: "None of the alternatives is present (e.g. a license's 'name' or 'path')." },
  TYPE: { kind: 'error', summary: 'The value has the wrong JSON type (the message says which are allowed).' },
  ENUM: { kind: 'error', summary: 'The value is not one of the allowed values (listed; e.g. an unknown field type or format).' },
  PATTERN: { kind: 'error', summary: 'A string does not match the pattern the profile gives.' },
  FORMAT: { kind: 'error', summary: 'A string is not in the required format (date-time, email, uri, ...).' },
  TOO_FEW: { kind: 'error', summary: 'An array, string or number is below its minimum (e.g. no resources).' },
  TOO_MANY: { kind: 'error', summary: 'An array, string or number is above its maximum.' },
  NOT_UNIQUE: { kind: 'error', summary: 'An array that must hold distinct items repeats one.' },
  AMBIGUOUS: { kind: 'error', summary: 'The value matches more than one of alternatives that must be exclusive.' },
  INVALID: { kind: 'error', summary: 'Any other profile rule (the rule member names the schema keyword).' },
  // Metastore's rules: MUSTs the profiles cannot express.
  RESOURCE_NAME_DUPLICATE: { kind: 'error', summary: 'Two resources have the same name.' },
  RESOURCE_PATH_AND_DATA: { kind: 'error', summary: "A resource has both 'path' and 'data'." },
  RESOURCE_PATH_OR_DATA_MISSING: { kind: 'error', summary: "A resource has neither 'path' nor 'data' (nor a legacy 'url')." },
  PATH_UNSAFE: { kind: 'error', summary: "A local path escapes the package ('..', '~', a leading '/', 'file:') or is empty." },
  HASH_LENGTH: { kind: 'error', summary: 'A hash of a known algorithm has the wrong number of hexadecimal digits.' },
  MEDIATYPE_INVALID: { kind: 'error', summary: 'A media type is not type/subtype (RFC 6838).' },
  LFS_POINTER_INVALID: { kind: 'error', summary: 'A resource Metastore would write a Git LFS pointer for cannot have one.' },
  // tabular-data-package (v1) and Table Schema relations.
  TABULAR_RESOURCE_REQUIRED: { kind: 'error', summary: "In a tabular-data-package, a resource's profile is not tabular-data-resource." },
  TABULAR_SCHEMA_MISSING: { kind: 'error', summary: 'A tabular resource has no Table Schema.' },
  PRIMARY_KEY_UNKNOWN_FIELD: { kind: 'error', summary: 'A primary key names a field the schema does not have.' },
  FOREIGN_KEY_UNKNOWN_FIELD: { kind: 'error', summary: 'A foreign key names a field its schema (or the referenced one) does not have.' },
  FOREIGN_KEY_UNKNOWN_RESOURCE: { kind: 'error', summary: 'A foreign key references a resource the package does not have.' },
  FOREIGN_KEY_FIELD_COUNT: { kind: 'error', summary: "A foreign key's fields and its reference's fields differ in number." },
  // Common v1 forms the reference tools accept: warnings, errors under strict validation.
  LEGACY_URL_PROPERTY: { kind: 'lenient', summary: "The pre-v1 'url' property stands where 'path' belongs (resource or license)." },
  SOURCE_WITHOUT_TITLE: { kind: 'lenient', summary: "A source has no 'title' (v1 requires one)." },
  CONTRIBUTOR_WITHOUT_TITLE: { kind: 'lenient', summary: "A contributor has no 'title' (v1 requires one)." },
  LICENSE_NAME_NOT_OPEN_DEFINITION: {
    kind: 'lenient',
    summary: "A license 'name' is not an Open Definition identifier (e.g. a full title).",
  },
  CREATED_WITHOUT_OFFSET: { kind: 'lenient', summary: "'created' is a date-time without a time-zone offset (RFC 3339 needs one)." },
  HASH_WITHOUT_ALGORITHM: { kind: 'lenient', summary: "A hash that is not MD5 has no 'algorithm:' prefix (e.g. bare SHA-256 hex)." },
  WINDOWS_PATH_SEPARATOR: { kind: 'lenient', summary: "A path uses Windows '\\' separators (safe once read as '/')." },
  PATH_TRAILING_SLASH: { kind: 'lenient', summary: "A resource path ends in '/' (a folder; the profiles allow it)." },
  MEDIATYPE_WHITESPACE: { kind: 'lenient', summary: 'A media type has leading or trailing white space.' },
  // SHOULDs of the standard and notes on what was checked: always warnings.
  NO_PROFILE: { kind: 'warning', summary: 'No $schema (v2) or profile (v1): validated as a v1 data-package.' },
  CUSTOM_PROFILE: { kind: 'warning', summary: 'A custom profile (URL) is not fetched: only the base profile was checked.' },
  MISSING_NAME: { kind: 'warning', summary: 'The package SHOULD have a name.' },
  NAME_NOT_PORTABLE: { kind: 'warning', summary: 'A v2 name SHOULD use only lowercase letters, digits, ".", "-" and "_".' },
  MISSING_ID: { kind: 'warning', summary: 'The package SHOULD have a globally unique id.' },
  MISSING_LICENSES: { kind: 'warning', summary: 'The package SHOULD declare its licenses.' },
  UNKNOWN_HASH_ALGORITHM: { kind: 'warning', summary: 'A hash algorithm is not one of md5, sha1, sha256, sha512.' },
  LFS_POINTER_SKIPPED: { kind: 'warning', summary: 'A resource gets no Git LFS pointer (see the message).' },
} as const satisfies Record<string, { kind: 'error' | 'lenient' | 'warning'; summary: string }>;

/** A stable machine-readable code of a descriptor finding. */
export type DescriptorIssueCode = keyof typeof DESCRIPTOR_ISSUE_CODES;

/** The lenient codes: accepted with a warning, refused under strict validation. */
export const LENIENT_CODES: ReadonlySet<DescriptorIssueCode> = new Set(
  (Object.keys(DESCRIPTOR_ISSUE_CODES) as DescriptorIssueCode[]).filter((code) => DESCRIPTOR_ISSUE_CODES[code].kind === 'lenient'),
);

/** The code table as Markdown (README, OpenAPI descriptions): code, kind, meaning. */
export function descriptorCodesMarkdown(): string {
  const rows = (Object.keys(DESCRIPTOR_ISSUE_CODES) as DescriptorIssueCode[]).map(
    (code) => `| \`${code}\` | ${DESCRIPTOR_ISSUE_CODES[code].kind} | ${DESCRIPTOR_ISSUE_CODES[code].summary.replace(/\|/g, '\\|')} |`,
  );
  return ['| code | kind | meaning |', '|---|---|---|', ...rows].join('\n');
}
