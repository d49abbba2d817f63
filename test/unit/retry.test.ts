import { describe, expect, it } from 'vitest';
import { AUTH, DROP, OK, RETRY, backoff, retryAfter, verdict } from '../../src/retry';

describe('verdict (SPEC §3)', () => {
  it.each([
    [200, OK], [201, OK], [204, OK],
    [0, RETRY], [408, RETRY], [429, RETRY], [500, RETRY], [502, RETRY], [503, RETRY], [504, RETRY], [302, RETRY],
    [400, DROP], [404, DROP], [413, DROP], [422, DROP],
    [401, AUTH], [403, AUTH],
  ])('%i', (status, expected) => expect(verdict(status)).toBe(expected));
});

describe('backoff: exponential with full jitter, capped at 60 s', () => {
  it('spans [0, 1 s · 2^(n-1))', () => {
    expect(backoff(1, 0)).toBe(0);
    expect(backoff(1, 0.999)).toBeCloseTo(999);
    expect(backoff(3, 0.5)).toBe(2000);
    expect(backoff(30, 0.999)).toBeCloseTo(59_940);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delta-seconds and HTTP dates, ignores garbage and the past, caps at an hour', () => {
    expect(retryAfter('2', now)).toBe(2000);
    expect(retryAfter('0', now)).toBe(0);
    expect(retryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfter('soon', now)).toBe(0);
    expect(retryAfter(null, now)).toBe(0);
    expect(retryAfter('86400', now)).toBe(3600_000);
  });
});
