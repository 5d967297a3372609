import fc from 'fast-check';
import { nestsDeeperThan, nulPointers } from './request-guards';

/** The nesting depth of a parsed JSON value (objects and arrays count; scalars are 0). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('nestsDeeperThan', () => {
  it('property: agrees with the depth of the parsed value, whatever brackets, quotes and escapes the strings hold', () => {
    const strings = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', 'é', '\u0000') });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8, stringUnit: 'grapheme' }), strings, fc.nat({ max: 10 }), (value, text, limit) => {
        const withText = [value, text, { [text]: value }];
        expect(nestsDeeperThan(bytes(JSON.stringify(withText)), limit)).toBe(depthOf(withText) > limit);
      }),
    );
  });

  it('stops at the first level past the limit, however deep the text goes', () => {
    expect(nestsDeeperThan(bytes('['.repeat(10_000_000)), 64)).toBe(true);
    expect(nestsDeeperThan(bytes(`${'['.repeat(64)}${']'.repeat(64)}`), 64)).toBe(false);
    expect(nestsDeeperThan(bytes(`["${'['.repeat(100)}"]`), 2)).toBe(false);
  });
});

describe('nulPointers', () => {
  it('finds U+0000 in values and member names, escaping pointers, without recursion', () => {
    expect(nulPointers({ a: ['ok', 'x\u0000'], 'b/c\u0000': 1, 'd~': { e: '\u0000' } })).toEqual(['/a/1', '/b~1c\u0000', '/d~0/e']);
    let deep: unknown = 'tail\u0000';
    for (let level = 0; level < 100_000; level += 1) deep = [deep];
    expect(nulPointers(deep)).toEqual([`${'/0'.repeat(100_000)}`]);
  });
});
