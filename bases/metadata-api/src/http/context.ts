import type { Author } from '@metastore/storage';

/** Parses `Name <email>` (the git form used in query parameters). */
export function parseAuthorText(text: string): Author | undefined {
  const match = /^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text);
  return match ? { name: match[1]!, email: match[2]! } : undefined;
}
