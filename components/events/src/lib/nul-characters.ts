const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/**
 * Whether a string, or any string or key inside a JSON value, holds U+0000. Git accepts it in a file (a descriptor
 * pushed by hand: the escape `\u0000` in a JSON string), but PostgreSQL's `text` and `jsonb` cannot hold it.
 */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([key, item]) => key.includes(NUL) || containsNul(item));
  return false;
}

/** `value` with every U+0000 in its strings and keys replaced by U+FFFD (the replacement character); the same value when it holds none. */
export function withoutNul<T>(value: T): T {
  if (!containsNul(value)) return value;
  if (typeof value === 'string') return value.replaceAll(NUL, REPLACEMENT) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  return Object.fromEntries(Object.entries(value as object).map(([key, item]) => [key.replaceAll(NUL, REPLACEMENT), withoutNul(item)])) as T;
}
