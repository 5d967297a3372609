import type { DescriptorIssueCode } from './descriptor.codes';

/** A JSON object as parsed from a request or a stored file. */
export type JsonObject = { [key: string]: unknown };

/** A Frictionless Data Package descriptor (`datapackage.json`). */
export type Descriptor = JsonObject;

/**
 * One finding in a descriptor: where (a JSON pointer into it), what (a stable code, DESCRIPTOR_ISSUE_CODES), which rule
 * (`<profile URL>#<schema path>` for a profile keyword, `metastore:<rule>` for Metastore's own) and what is allowed.
 */
export interface DescriptorIssue {
  readonly pointer: string;
  readonly code: DescriptorIssueCode;
  readonly rule: string;
  readonly message: string;
}

/** A finding that does not refuse the write (a SHOULD, or a common v1 form accepted leniently); returned to the caller. */
export type DescriptorWarning = DescriptorIssue;

/** Which Data Package standard version a descriptor is validated against. */
export type ProfileVersion = '1.0' | '2.0';

/** Options of one validation. */
export interface ValidationOptions {
  /** Refuse the common v1 forms otherwise accepted with a warning (the `lenient` codes). */
  readonly strict?: boolean;
}

/** The outcome of validating one descriptor. */
export interface DescriptorReport {
  readonly version: ProfileVersion;
  /** `data-package`, `tabular-data-package`, or the custom profile's URL (checked as its base profile). */
  readonly profile: string;
  readonly errors: readonly DescriptorIssue[];
  readonly warnings: readonly DescriptorWarning[];
}

/** True for a plain JSON object (not an array or null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
