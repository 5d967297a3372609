import type { Author } from '@metastore/storage';

/**
 * GitLab's tags API writes the token's user as the tagger and strips the message
 * (https://docs.gitlab.com/api/tags/#create-a-new-tag): the requested tagger travels as a git trailer on the last line,
 * and the description before it keeps its trailing whitespace (only leading whitespace is lost to the strip).
 */
const TRAILER = 'Metastore-Tagger';
const TRAILER_LINE = new RegExp(`(?:^|\\n\\n)${TRAILER}: ([^\\n<>]*) <([^\\n<>]*)>\\s*$`);

/** The annotated tag message for `description` tagged by `author`. */
export function encodeTagMessage(description: string, author: Author): string {
  return `${description}\n\n${TRAILER}: ${author.name} <${author.email}>`;
}

/** The description and requested tagger of a tag message; a message without the trailer (a tag made by other means) is all description. */
export function decodeTagMessage(message: string): { description: string; author?: Author } {
  const match = TRAILER_LINE.exec(message);
  if (!match) return { description: message };
  return { description: message.slice(0, match.index), author: { name: match[1]!, email: match[2]! } };
}
