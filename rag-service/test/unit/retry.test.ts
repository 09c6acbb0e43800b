import { AppError } from '../../src/errors.js';
import { classify, retryAfterMs, withRetry, type RetryPolicy } from '../../src/net/retry.js';

const fail = (status?: number, headers: Record<string, string> = {}) =>
  Object.assign(
    new Error(status ? `HTTP ${status}` : 'connect ECONNREFUSED'),
    status ? { status, headers } : { code: 'ECONNREFUSED' },
  );

/** An operation that fails with the given errors in turn, then succeeds; it counts its calls. */
function flaky(errors: Error[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    run: async () => {
      calls++;
      const err = errors[calls - 1];
      if (err) throw err;
      return 'ok';
    },
  };
}

const FAST: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

describe('withRetry', () => {
  it('retries retryable failures and succeeds', async () => {
    const op = flaky([fail(503), fail(), fail(429, { 'retry-after': '0' })]);
    await expect(withRetry(op.run, { policy: { ...FAST, attempts: 4 }, what: 'x' })).resolves.toBe('ok');
    expect(op.calls).toBe(4);
  });

  it('gives up after the attempts with upstream_unavailable naming the status', async () => {
    const op = flaky(Array.from({ length: 10 }, () => fail(500)));
    const err = await withRetry(op.run, { policy: FAST, what: 'the thing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'upstream_unavailable',
      message: 'the thing is unavailable (HTTP 500 after 3 attempts)',
    });
    expect(op.calls).toBe(3);
  });

  it('does not retry a client error', async () => {
    const op = flaky([fail(400)]);
    await expect(withRetry(op.run, { policy: FAST, what: 'x' })).rejects.toMatchObject({ status: 502 });
    expect(op.calls).toBe(1);
  });

  it('waits out a storm of rate limits on their own budget, without using up the budget for outages', async () => {
    const op = flaky([
      ...Array.from({ length: 20 }, () => fail(429, { 'retry-after': '0' })),
      fail(503),
      fail(503),
    ]);
    await expect(withRetry(op.run, { policy: { ...FAST, rateLimitAttempts: 30 }, what: 'x' })).resolves.toBe(
      'ok',
    );
    expect(op.calls).toBe(23);
  });

  it('fails fast when the server cannot be reached at all, if asked to', async () => {
    const op = flaky(Array.from({ length: 10 }, () => fail()));
    await expect(
      withRetry(op.run, { policy: { ...FAST, attempts: 8, networkAttempts: 2 }, what: 'x' }),
    ).rejects.toMatchObject({ message: /no connection after 2 attempts/ });
    expect(op.calls).toBe(2);
  });

  it('never starts a wait that would pass the deadline', async () => {
    const op = flaky([fail(429, { 'retry-after': '30' })]);
    const waits: number[] = [];
    await expect(
      withRetry(op.run, {
        policy: FAST,
        what: 'x',
        deadline: Date.now() + 1000,
        onRetry: (_attempt, delayMs) => waits.push(delayMs),
      }),
    ).rejects.toMatchObject({ code: 'upstream_unavailable' });
    // What happened, not how long it took: no wait was started, and the call was not made again.
    expect(waits).toEqual([]);
    expect(op.calls).toBe(1);
  });
});

describe('classify and retryAfterMs', () => {
  it('reads Retry-After in seconds, as a date, in ms, and from the clients that parse it themselves', () => {
    expect(retryAfterMs({ headers: { 'retry-after': '2' } })).toBe(2000);
    expect(retryAfterMs({ headers: new Headers({ 'retry-after-ms': '150' }) })).toBe(150);
    expect(retryAfterMs({ headers: { 'retry-after': new Date(10_000).toUTCString() } }, 4000)).toBe(6000);
    expect(retryAfterMs({ errorDetails: [{ retryDelay: '1.5s' }] })).toBe(1500);
    expect(retryAfterMs({ retryAfterMs: 700 })).toBe(700);
    expect(classify({ retry_after: 3 })).toEqual({ retryable: true, status: 429, retryAfterMs: 3000 });
    expect(classify({ name: 'QdrantClientTimeoutError' })).toEqual({ retryable: true });
    expect(classify(new Error('something odd'))).toEqual({ retryable: false });
  });
});
