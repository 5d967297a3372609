import type { Author } from '@metastore/storage';

/**
 * GitLab's tags API writes the token's user as the tagger and strips the message (`message&.strip` in Tags::CreateService,
 * https://gitlab.com/gitlab-org/gitlab/-/blob/master/app/services/tags/create_service.rb; Ruby's strip removes NUL, tab,
 * line feed, vertical tab, form feed, carriage return and space at both ends). So the requested tagger travels as a git
 * trailer on the last line, which keeps the description's trailing whitespace inside the message, and leading whitespace,
 * which the strip would take, moves into a trailer of its own (a JSON string) above it: every description round-trips.
 */
const TAGGER = 'Metastore-Tagger';
const LEADING = 'Metastore-Leading-Whitespace';
/** What Ruby's String#strip removes. */
const STRIPPED = /^[\0\t\n\v\f\r ]*/;
/** The trailers at the end of a message: the optional leading-whitespace one (a JSON string of whitespace), then the tagger. */
const TRAILERS = new RegExp(
  `(?:^|\\n\\n)(?:${LEADING}: ("(?:[ ]|\\\\[ntfr]|\\\\u000[0b])+")\\n)?${TAGGER}: ([^\\n<>]*) <([^\\n<>]*)>\\s*$`,
);

/** The annotated tag message for `description` tagged by `author`. */
export function encodeTagMessage(description: string, author: Author): string {
  const leading = STRIPPED.exec(description)![0];
  const trailers = `${leading ? `${LEADING}: ${JSON.stringify(leading)}\n` : ''}${TAGGER}: ${author.name} <${author.email}>`;
  return `${description.slice(leading.length)}\n\n${trailers}`;
}

/** The description and requested tagger of a tag message; a message without the trailer (a tag made by other means) is all description. */
export function decodeTagMessage(message: string): { description: string; author?: Author } {
  const match = TRAILERS.exec(message);
  if (!match) return { description: message };
  const leading = match[1] === undefined ? '' : (JSON.parse(match[1]) as string);
  return { description: leading + message.slice(0, match.index), author: { name: match[2]!, email: match[3]! } };
}
