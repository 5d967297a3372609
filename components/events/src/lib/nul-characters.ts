const NUL = '\u0000';
const REPLACEMENT = '\uFFFD';

/**
 * Whether a string, or any string or key inside a JSON value, holds U+0000. Git accepts it in a file (a descriptor
 * pushed by hand: the escape `\u0000` in a JSON string), but PostgreSQL's `text` and `jsonb` cannot hold it.
 */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL);
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).some(([key, item]) => key.includes(NUL) || containsNul(item));
  return false;
}

/** `value` with every U+0000 in its strings and keys replaced by U+FFFD (the replacement character); the same value when it holds none. */
export function withoutNul<T>(value: T): T {
  // One walk: a part holding no U+0000 comes back as itself and is shared, so only the path to each U+0000 is copied.
  if (typeof value === 'string') return (value.includes(NUL) ? value.replaceAll(NUL, REPLACEMENT) : value) as T;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    const replaced = items.map(withoutNul);
    return (replaced.some((item, index) => item !== items[index]) ? replaced : value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const replaced = entries.map(([key, item]) => [withoutNul(key), withoutNul(item)] as const);
    return (
      replaced.some(([key, item], index) => key !== entries[index]![0] || item !== entries[index]![1])
        ? Object.fromEntries(replaced)
        : value
    ) as T;
  }
  return value;
}
