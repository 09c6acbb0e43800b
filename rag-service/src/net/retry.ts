import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../errors.js';

export interface RetryPolicy {
  attempts: number;
  /**
   * Attempts allowed for 429s, when more than `attempts`: a rate limit with Retry-After is the server saying
   * when to come back, not a failure, so a storm of them should be waited out (within any deadline).
   */
  rateLimitAttempts?: number;
  /** Attempts allowed when the server cannot be reached at all (no HTTP status), when fewer than `attempts`. */
  networkAttempts?: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Gives up on one attempt after this long (a hung connection), then retries. */
  attemptTimeoutMs?: number;
}

/** Chat sits inside a user's wait (Forge gives 25 s): few, short retries. */
export const CHAT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 300, maxDelayMs: 4000 };
/** Ingestion can wait out a rate limit: more and longer retries, and a cap per attempt. */
export const INGEST_RETRY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  attemptTimeoutMs: 60_000,
};

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);
const NETWORK_CODES =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR|socket hang up|fetch failed|terminated|other side closed|Connection error/i;

export interface Failure {
  retryable: boolean;
  status?: number;
  retryAfterMs?: number;
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** `Retry-After` (seconds or an HTTP date), `retry-after-ms`, or Google's RetryInfo `retryDelay: "1.5s"`. */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  const e = err as {
    headers?: unknown;
    response?: { headers?: unknown };
    errorDetails?: unknown;
    retryAfterMs?: unknown;
  };
  // confluence.js parses Retry-After itself and keeps only the milliseconds.
  if (typeof e.retryAfterMs === 'number') return e.retryAfterMs;
  const headers = e.headers ?? e.response?.headers;
  const ms = header(headers, 'retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const after = header(headers, 'retry-after');
  if (after) {
    if (/^\d+(\.\d+)?$/.test(after.trim())) return Number(after) * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  if (Array.isArray(e.errorDetails)) {
    for (const d of e.errorDetails as { retryDelay?: unknown }[]) {
      const m = typeof d.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null;
      if (m) return Number(m[1]) * 1000;
    }
  }
  return undefined;
}

/** Decides whether a provider error is worth another attempt (vercel/ai's rule: 408, 409, 429, 5xx, network). */
export function classify(err: unknown): Failure {
  const e = err as {
    status?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown };
    name?: string;
    message?: string;
    code?: string;
    cause?: unknown;
  };
  const raw = e.status ?? e.statusCode ?? e.response?.status;
  const status = typeof raw === 'number' ? raw : undefined;
  if (status !== undefined)
    return { retryable: RETRYABLE_STATUS.has(status), status, retryAfterMs: retryAfterMs(err) };
  // Qdrant's client turns a 429 into an error that keeps only the Retry-After seconds.
  const qdrantRetryAfter = (err as { retry_after?: unknown }).retry_after;
  if (typeof qdrantRetryAfter === 'number')
    return { retryable: true, status: 429, retryAfterMs: qdrantRetryAfter * 1000 };
  if (/Timeout/.test(e.name ?? '') || e.name === 'EmptyEmbeddingError') return { retryable: true };
  const text = `${e.name ?? ''} ${e.code ?? ''} ${e.message ?? ''} ${(e.cause as { code?: string } | undefined)?.code ?? ''}`;
  return { retryable: NETWORK_CODES.test(text) };
}

export interface RetryOptions {
  policy: RetryPolicy;
  /** What is being called, for messages: "the language model (openai:gpt-4o-mini)". */
  what: string;
  signal?: AbortSignal;
  /** Epoch ms after which no new attempt or wait starts. */
  deadline?: number;
  random?: () => number;
  onRetry?: (attempt: number, delayMs: number, failure: Failure) => void;
}

function unavailable(what: string, failure: Failure, attempts: number): AppError {
  const detail = failure.status ? `HTTP ${failure.status}` : 'no connection';
  if (failure.status && !failure.retryable) {
    const hint =
      failure.status === 401 || failure.status === 403
        ? ': check its API key'
        : failure.status === 404
          ? ': check the model name and base URL'
          : '';
    return new AppError(
      'upstream_unavailable',
      `${what} refused the request (${detail})${hint}`,
      { status: failure.status },
      502,
    );
  }
  return new AppError(
    'upstream_unavailable',
    `${what} is unavailable (${detail} after ${attempts} attempt${attempts > 1 ? 's' : ''})`,
    { status: failure.status },
  );
}

/**
 * Calls `operation` until it succeeds, a failure is not worth retrying, the attempts run out, or the next
 * wait would pass the deadline. Waits grow exponentially with full jitter; a server's Retry-After wins.
 * Ends with the contract's `upstream_unavailable`; an abort of `signal` is passed through untouched.
 */
export async function withRetry<T>(
  operation: (signal: AbortSignal | undefined) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, signal } = options;
  const random = options.random ?? Math.random;
  // Each kind of failure has its own budget: waiting out rate limits must not use up the retries for outages.
  const used = { rateLimit: 0, network: 0, other: 0 };
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const attemptSignal = policy.attemptTimeoutMs
      ? AbortSignal.any([
          signal ?? new AbortController().signal,
          AbortSignal.timeout(policy.attemptTimeoutMs),
        ])
      : signal;
    let failure: Failure;
    try {
      return await operation(attemptSignal);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof AppError) throw err;
      failure = attemptSignal?.aborted ? { retryable: true } : classify(err);
      const kind = failure.status === 429 ? 'rateLimit' : failure.status === undefined ? 'network' : 'other';
      used[kind]++;
      const budget =
        kind === 'rateLimit'
          ? Math.max(policy.attempts, policy.rateLimitAttempts ?? 0)
          : kind === 'network'
            ? Math.min(policy.attempts, policy.networkAttempts ?? policy.attempts)
            : policy.attempts;
      if (!failure.retryable || used[kind] >= budget) throw unavailable(options.what, failure, attempt);
    }
    const backoff = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    const delay = failure.retryAfterMs ?? backoff;
    if (options.deadline !== undefined && Date.now() + delay >= options.deadline)
      throw unavailable(options.what, failure, attempt);
    options.onRetry?.(attempt, delay, failure);
    await sleep(delay, undefined, { signal });
  }
}
