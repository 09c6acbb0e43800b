import { RateLimiter } from '../../src/http/rate-limit.js';

/** A clock the test moves by hand, so refills are exact and no test waits. */
function manualClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
  it('lets a caller spend its minute at once, then one more per 60/n seconds', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(6, 100, clock.now);
    for (let i = 0; i < 6; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(10);
    expect(limiter.take('b')).toBe(0);
    clock.advance(9_000);
    expect(limiter.retryAfter('a')).toBe(1);
    clock.advance(1_000);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(10);
  });

  it('never banks more than a minute’s worth', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(2, 100, clock.now);
    limiter.take('a');
    clock.advance(60 * 60_000);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 30]);
  });

  it('remembers a bounded number of callers, forgetting the least recently seen', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(1, 100, clock.now);
    for (let i = 0; i < 10_000; i++) limiter.take(`caller-${i}`);
    expect(limiter.size).toBe(100);
    expect(limiter.retryAfter('caller-9999')).toBe(60);
    expect(limiter.retryAfter('caller-0')).toBe(0);
  });

  it('is off at 0', () => {
    const limiter = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.size).toBe(0);
  });
});
