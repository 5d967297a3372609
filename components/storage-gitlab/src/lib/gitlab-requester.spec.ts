import { retryAfterSecondsOf } from './gitlab-requester';

const now = new Date('2026-01-01T00:00:00Z');

describe('retryAfterSecondsOf (how long a 429 asks to wait)', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterSecondsOf(new Headers({ 'retry-after': '7' }), now)).toBe(7);
    expect(retryAfterSecondsOf(new Headers({ 'retry-after': '0.2' }), now)).toBe(1);
    expect(retryAfterSecondsOf(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:42 GMT' }), now)).toBe(42);
  });

  it("falls back to the window's RateLimit-Reset, then to a minute", () => {
    const reset = String(now.getTime() / 1000 + 90);
    expect(retryAfterSecondsOf(new Headers({ 'ratelimit-reset': reset }), now)).toBe(90);
    expect(retryAfterSecondsOf(new Headers(), now)).toBe(60);
  });
});
