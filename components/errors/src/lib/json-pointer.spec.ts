import { escapePointerToken } from './json-pointer';

describe('escapePointerToken', () => {
  it('escapes ~ as ~0 and / as ~1, ~ first (RFC 6901, section 4)', () => {
    expect(escapePointerToken('plain')).toBe('plain');
    expect(escapePointerToken('a/b')).toBe('a~1b');
    expect(escapePointerToken('m~n')).toBe('m~0n');
    expect(escapePointerToken('~1')).toBe('~01');
    expect(escapePointerToken('/~/')).toBe('~1~0~1');
    expect(escapePointerToken('')).toBe('');
  });

  it('is undone by the RFC 6901 decoding (~1 to /, then ~0 to ~)', () => {
    for (const token of ['a/b', '~', '~0', '~1', '/~1/~0', 'ü/€']) {
      expect(escapePointerToken(token).replace(/~1/g, '/').replace(/~0/g, '~')).toBe(token);
    }
  });
});
