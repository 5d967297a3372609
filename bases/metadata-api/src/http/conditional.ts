import type { Request } from 'express';

/** Entity tags listed in an If-Match / If-None-Match header (`W/` prefixes kept apart); `*` as 'any'. */
function parseEntityTags(header: string | undefined): { any: boolean; strong: string[]; weak: string[] } | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return { any: true, strong: [], weak: [] };
  const strong: string[] = [];
  const weak: string[] = [];
  for (const match of header.matchAll(/(W\/)?"([^"]*)"|([0-9a-f]{40})/g)) {
    if (match[3]) strong.push(match[3]);
    else if (match[1]) weak.push(match[2]!);
    else strong.push(match[2]!);
  }
  return { any: false, strong, weak };
}

/** The strong entity tag of a revision. */
export function revisionEtag(sha: string): string {
  return `"${sha}"`;
}

/** True when If-None-Match names this revision (weak comparison, RFC 9110 §13.1.2). */
export function noneMatch(req: Request, sha: string): boolean {
  return ifNoneMatchNames(req.get('if-none-match'), sha);
}

/** True when an If-None-Match header's value names this revision (see `noneMatch`). */
export function ifNoneMatchNames(header: string | undefined, sha: string): boolean {
  const tags = parseEntityTags(header);
  if (!tags) return false;
  return tags.any || tags.strong.includes(sha) || tags.weak.includes(sha);
}

/**
 * The revision an If-Match header requires, for a conditional write: undefined when there is no
 * condition (or `*`, which the existing dataset always satisfies). With several tags, `pickHead`
 * resolves the current head so that any listed tag may match.
 */
export async function requiredRevision(req: Request, pickHead: () => Promise<string>): Promise<string | undefined> {
  const tags = parseEntityTags(req.get('if-match'));
  if (!tags || tags.any) return undefined;
  // Weak tags never match for If-Match (strong comparison, RFC 9110 §13.1.1).
  if (tags.strong.length === 0) return tags.weak.length > 0 ? 'weak-entity-tag' : 'unparseable-entity-tag';
  if (tags.strong.length === 1) return tags.strong[0];
  const head = await pickHead();
  return tags.strong.includes(head) ? head : tags.strong[0];
}
