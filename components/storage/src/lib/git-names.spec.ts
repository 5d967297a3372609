import fc from 'fast-check';
import { ValidationError } from '@metastore/errors';
import {
  authorIssues,
  conflictingTagName,
  findConflictingTagName,
  isFullSha,
  isGitRefName,
  isValidRef,
  MAX_REF_BYTES,
  refIssues,
  validateAuthor,
  validateRef,
} from './git-names';
import type { TagLookup } from './git-names';

/** How git (and our adapters) read an identity back: `Name <email> seconds zone` on one header line. */
const GIT_IDENTITY = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/;

const CONTROL = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((code) => String.fromCharCode(code));
const FORMAT = fc.constantFrom(
  '\u00ad',
  '\u061c',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u202a',
  '\u202e',
  '\u2066',
  '\u2069',
  '\ufeff',
);
const SEPARATOR = fc.constantFrom('\u00a0', '\u1680', '\u2000', '\u2007', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000');
const IDENTITY_BREAKERS = fc.oneof(CONTROL, fc.constantFrom('<', '>', '\u2028', '\u2029', '\u202a', '\u202e', '\u2066', '\u2069'));
const NAME = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((name) => authorIssues({ name, email: 'a@b' }).length === 0);
const EMAIL = fc
  .tuple(fc.stringMatching(/^[a-z0-9._+-]{1,20}$/), fc.stringMatching(/^[a-z0-9.-]{1,20}$/))
  .map(([local, domain]) => `${local}@${domain}`);
const REF = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}(\/[A-Za-z0-9_-]{1,20}){0,3}$/);

function insertAt(text: string, position: number, inserted: string): string {
  const at = position % (text.length + 1);
  return `${text.slice(0, at)}${inserted}${text.slice(at)}`;
}

describe('git identities', () => {
  it('accepts ordinary names and addresses, in any script', () => {
    for (const author of [
      { name: 'Ada Lovelace', email: 'ada@example.com' },
      { name: 'Zoë Ørsted-Łukasiewicz', email: 'zoe+data@example.org' },
      { name: 'محمد', email: 'm@example.com' },
      { name: 'نیما‌جان', email: 'n@example.com' },
      { name: '👩‍💻 Robo', email: 'robo@tokens.metastore.invalid' },
    ]) {
      expect(authorIssues(author)).toEqual([]);
    }
  });

  it('property: a name any header-breaking character is inserted into is refused at /author/name', () => {
    fc.assert(
      fc.property(NAME, fc.nat(), IDENTITY_BREAKERS, (name, position, breaker) => {
        expect(authorIssues({ name: insertAt(name, position, breaker), email: 'a@example.com' })).toEqual([
          { pointer: '/author/name', message: expect.stringContaining('control characters') },
        ]);
      }),
    );
  });

  it('property: an email with whitespace, brackets or control characters is refused at /author/email', () => {
    fc.assert(
      fc.property(EMAIL, fc.nat(), fc.oneof(IDENTITY_BREAKERS, fc.constantFrom(' ', '\t', '\u00a0')), (email, position, breaker) => {
        expect(authorIssues({ name: 'Ada', email: insertAt(email, position, breaker) }, '/x')).toEqual([
          { pointer: '/x/email', message: expect.stringContaining('email address') },
        ]);
      }),
    );
  });

  it('property: an accepted identity is one header line that reads back as itself', () => {
    fc.assert(
      fc.property(NAME, EMAIL, (name, email) => {
        const author = validateAuthor({ name, email });
        const header = `${author.name} <${author.email}> 1700000000 +0000`;
        expect(header.split(/\r|\n/)).toHaveLength(1);
        const parsed = GIT_IDENTITY.exec(header);
        expect(parsed?.slice(1, 3)).toEqual([name, email]);
      }),
    );
  });

  it('reports every problem at once, and refuses what is not an author', () => {
    expect(() => validateAuthor({ name: 'Evil\nparent 0000', email: 'e@x.com>' })).toThrow(ValidationError);
    expect(authorIssues({ name: '  ', email: 'nope' })).toEqual([
      { pointer: '/author/name', message: 'must be a non-empty string' },
      { pointer: '/author/email', message: expect.any(String) },
    ]);
    expect(authorIssues('Ada <a@b>')).toEqual([{ pointer: '/author', message: 'must be an object with a name and an email' }]);
    expect(authorIssues({ name: 'Ada', email: 'a\u0000@b' })).toHaveLength(1);
  });
});

describe('git ref names', () => {
  it("isGitRefName is git's own rule: it keeps names plain git may push (HEAD, a bidi override) that refIssues refuses", () => {
    for (const name of ['HEAD', 'v1\u202Eexe', 'release/2024']) expect(isGitRefName(name)).toBe(true);
    expect(isValidRef('v1\u202Eexe')).toBe(false);
    for (const name of ['a..b', 'x.lock', 'a b', '.hidden', 'a~1', 'x:y', '']) expect(isGitRefName(name)).toBe(false);
  });

  it.each(['v1', 'main', 'release/2024-01', 'a1b2c3d', 'c'.repeat(40), 'Ünïcode-tag', '日本語'])('accepts %p', (ref) => {
    expect(validateRef(ref)).toBe(ref);
  });

  it.each([
    'a b',
    'x..y',
    'v1.lock',
    '@{u}',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[',
    'a\\b',
    '.x',
    'x/',
    'x.',
    'a//b',
    '/x',
    'v1\u0000',
    'v1\u202e',
  ])('refuses %p', (ref) => {
    expect(refIssues(ref, '/from')).toEqual([{ pointer: '/from', message: expect.stringContaining('valid git ref name') }]);
  });

  it('bounds a ref at 255 bytes of UTF-8, not characters', () => {
    expect(isValidRef('r'.repeat(MAX_REF_BYTES))).toBe(true);
    expect(refIssues('r'.repeat(MAX_REF_BYTES + 1))).toEqual([{ pointer: '/ref', message: 'ref must be at most 255 bytes (UTF-8)' }]);
    expect(isValidRef('é'.repeat(128))).toBe(false);
  });

  it('property: a control, format or separator character anywhere makes a ref invalid', () => {
    fc.assert(
      fc.property(REF, fc.nat(), fc.oneof(CONTROL, FORMAT, SEPARATOR), (ref, position, inserted) => {
        expect(isValidRef(ref)).toBe(true);
        expect(isValidRef(insertAt(ref, position, inserted))).toBe(false);
      }),
    );
  });

  it('property: every accepted ref fits a file name and holds nothing invisible', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (ref) => {
        if (!isValidRef(ref)) return;
        expect(new TextEncoder().encode(ref).length).toBeLessThanOrEqual(MAX_REF_BYTES);
        expect(ref).not.toMatch(/[\p{Cc}\p{Cf}\p{Z}]/u);
      }),
    );
  });

  it('takes a full sha as 40 (SHA-1) or 64 (SHA-256) lowercase hex digits, nothing in between', () => {
    expect(isFullSha('a'.repeat(40))).toBe(true);
    expect(isFullSha('0'.repeat(64))).toBe(true);
    for (const other of ['a'.repeat(39), 'a'.repeat(41), 'a'.repeat(63), 'a'.repeat(65), 'A'.repeat(40), `${'a'.repeat(39)}g`]) {
      expect(isFullSha(other)).toBe(false);
    }
  });

  it('names the tag above or below a new tag name, not one that merely shares a prefix', () => {
    expect(conflictingTagName('x', ['a', 'x/y'])).toBe('x/y');
    expect(conflictingTagName('x/y/z', ['x'])).toBe('x');
    expect(conflictingTagName('x', ['x-y', 'xy/z', 'y/x'])).toBeUndefined();
  });

  it('gives the same answer over targeted lookups (one read per tag above, one listing below) as over the whole list', async () => {
    const existing = ['a', 'x/y', 'x-y', 'xy/z', 'y/x', 'p/q/r', 'm/n'];
    const reads: string[] = [];
    const lookup: TagLookup = {
      exists: async (tag) => (reads.push(`exists ${tag}`), existing.includes(tag)),
      firstUnder: async (prefix) => (reads.push(`under ${prefix}`), existing.filter((tag) => tag.startsWith(prefix)).sort()[0]),
    };
    for (const name of ['x', 'x/y/z', 'a/b', 'p', 'p/q', 'p/q/r/s', 'm/n/o', 'x-y/z', 'new', 'y', 'xy']) {
      expect([name, await findConflictingTagName(name, lookup)]).toEqual([name, conflictingTagName(name, existing)]);
    }
    reads.length = 0;
    await findConflictingTagName('p/q/new', lookup);
    expect(reads).toEqual(['exists p', 'exists p/q', 'under p/q/new/']);
  });
});
