import { describe, expect, it } from 'vitest';
import { AUTH, DROP, OK, RETRY, backoff, retryAfter, verdict } from '../../src/core/retry';

describe('verdict (SPEC §3)', () => {
  it.each([
    [200, OK], [201, OK], [204, OK],
    [0, RETRY], [408, RETRY], [429, RETRY], [500, RETRY], [502, RETRY], [503, RETRY], [504, RETRY], [302, RETRY],
    [400, DROP], [404, DROP], [413, DROP], [422, DROP],
    [401, AUTH], [403, AUTH],
  ])('%i', (status, expected) => expect(verdict(status)).toBe(expected));
});

describe('backoff: full jitter, 1-2-4 s, a 4 s plateau for short outages, then doubling to 60 s', () => {
  it.each([
    [1, 1000], [2, 2000], [3, 4000], [4, 4000], [9, 4000], [10, 8000], [11, 16_000], [12, 32_000], [13, 60_000], [40, 60_000],
  ])('after %i failed rounds the wait is in [0, %i ms)', (failures, cap) => {
    expect(backoff(failures, 0)).toBe(0);
    expect(backoff(failures, 0.5)).toBe(cap / 2);
    expect(backoff(failures, 0.999)).toBeCloseTo(cap * 0.999);
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
