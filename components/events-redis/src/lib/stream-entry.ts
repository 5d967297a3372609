/** One stream entry: its ID and its fields as name/value pairs, or null when it was trimmed away while pending. */
export type StreamEntry = readonly [streamId: string, fields: readonly string[] | null];

function isEntry(value: unknown): value is StreamEntry {
  return (
    Array.isArray(value) &&
    typeof value[0] === 'string' &&
    (value[1] === null || (Array.isArray(value[1]) && value[1].every((field) => typeof field === 'string')))
  );
}

/** The entries of a list of `[id, fields]` pairs (XRANGE, XAUTOCLAIM), skipping anything else. */
export function entriesOf(value: unknown): StreamEntry[] {
  return Array.isArray(value) ? value.filter(isEntry) : [];
}

/**
 * The entries of `stream` in an XREAD/XREADGROUP reply: `[[key, entries], ...]` in RESP2 and in ioredis'
 * legacy RESP3 mapping, `[key, entries, ...]` for a RESP3 map flattened by `call()`; null when the read timed out.
 */
export function entriesOfRead(reply: unknown, stream: string): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  if (typeof reply[0] === 'string') {
    for (let index = 0; index + 1 < reply.length; index += 2) {
      if (reply[index] === stream) return entriesOf(reply[index + 1]);
    }
    return [];
  }
  const pair = reply.find((item: unknown) => Array.isArray(item) && item[0] === stream) as unknown[] | undefined;
  return entriesOf(pair?.[1]);
}

/** The fields of an entry as an object (the last value wins for a repeated name). */
export function fieldsOf(fields: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) result[fields[index]!] = fields[index + 1]!;
  return result;
}
