import { containsNul, withoutNul } from './nul-characters';

describe('withoutNul', () => {
  it('replaces U+0000 in strings and keys, at any depth, and copies only the path to it', () => {
    const untouched = { fields: [{ name: 'a' }] };
    const value = { untouched, list: ['x', 'y\u0000z'], 'k\u0000': { deep: { deeper: 'n\u0000' } } };
    const cleaned = withoutNul(value);
    expect(cleaned).toEqual({
      untouched: { fields: [{ name: 'a' }] },
      list: ['x', 'y\uFFFDz'],
      'k\uFFFD': { deep: { deeper: 'n\uFFFD' } },
    });
    expect(containsNul(cleaned)).toBe(false);
    expect(cleaned.untouched).toBe(untouched);
    expect(value.list[1]).toBe('y\u0000z');
  });

  it('returns the same value when it holds no U+0000', () => {
    const value = { a: [1, null, true, { b: 'c' }] };
    expect(withoutNul(value)).toBe(value);
    expect(withoutNul('plain')).toBe('plain');
  });

  it('cleans a deeply nested value', () => {
    let value: unknown = 'leaf\u0000';
    for (let i = 0; i < 1000; i++) value = { child: value };
    let cleaned = withoutNul(value);
    for (let i = 0; i < 1000; i++) cleaned = (cleaned as { child: unknown }).child;
    expect(cleaned).toBe('leaf\uFFFD');
  });
});
