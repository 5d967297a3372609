/** Lines added and deleted between two texts, as `git diff --numstat` counts them. */
export interface LineCounts {
  readonly additions: number;
  readonly deletions: number;
}

const MAX_EDIT_DISTANCE = 4000;

function lines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** True when git would treat the bytes as binary (a NUL in the first 8000 bytes). */
export function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

/**
 * Counts added and deleted lines with Myers' O(ND) shortest edit script (the algorithm git uses by
 * default). Very different texts (edit distance above a bound) count every line of the changed
 * middle section as deleted and added, which is what the edit script converges to anyway.
 */
export function countLineChanges(before: Buffer | undefined, after: Buffer | undefined): LineCounts {
  if ((before && isBinary(before)) || (after && isBinary(after))) return { additions: 0, deletions: 0 };
  const a = lines(before?.toString('utf8') ?? '');
  const b = lines(after?.toString('utf8') ?? '');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) return { additions: m, deletions: n };
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const furthest = new Int32Array(2 * max + 3);
  for (let distance = 0; distance <= max; distance++) {
    for (let diagonal = -distance; diagonal <= distance; diagonal += 2) {
      let x =
        diagonal === -distance || (diagonal !== distance && furthest[offset + diagonal - 1]! < furthest[offset + diagonal + 1]!)
          ? furthest[offset + diagonal + 1]!
          : furthest[offset + diagonal - 1]! + 1;
      let y = x - diagonal;
      while (x < n && y < m && a[start + x] === b[start + y]) {
        x++;
        y++;
      }
      furthest[offset + diagonal] = x;
      if (x >= n && y >= m) {
        // distance = deletions + additions and n - m = deletions - additions.
        return { additions: (distance - (n - m)) / 2, deletions: (distance + (n - m)) / 2 };
      }
    }
  }
  return { additions: m, deletions: n };
}
