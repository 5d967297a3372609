/**
 * One JSON Pointer (RFC 6901) reference token, escaped: `~` as `~0`, then `/` as `~1` (in that order, so a `/` never
 * becomes `~01`). Issues point into inputs this way (`ValidationIssue.pointer`), whatever member names the input has.
 */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
