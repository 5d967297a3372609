/** A JSON object as parsed from a request or a stored file. */
export type JsonObject = { [key: string]: unknown };

/** A Frictionless Data Package descriptor (`datapackage.json`). */
export type Descriptor = JsonObject;

/** A SHOULD-level finding: the write succeeds and the warning is returned to the caller. */
export interface DescriptorWarning {
  readonly pointer: string;
  readonly code: string;
  readonly message: string;
}

/** Which Data Package standard version a descriptor is validated against. */
export type ProfileVersion = '1.0' | '2.0';

/** The outcome of validating one descriptor. */
export interface DescriptorReport {
  readonly version: ProfileVersion;
  readonly errors: readonly { readonly pointer: string; readonly message: string }[];
  readonly warnings: readonly DescriptorWarning[];
}

/** True for a plain JSON object (not an array or null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
