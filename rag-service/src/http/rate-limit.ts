import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import { callerOf, type Access } from './auth.js';

/** Callers a limiter remembers at most; the least recently seen go first, so memory stays bounded. */
export const MAX_TRACKED_CALLERS = 10_000;

/**
 * Per-caller token buckets, in memory: a caller may spend `perMinute` actions at once and earns them back
 * evenly over a minute. A forgotten caller starts again with a full bucket, which is where an idle caller
 * would be anyway. Each process keeps its own buckets, so the limits hold per replica. 0 turns it off.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly maxCallers = MAX_TRACKED_CALLERS,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** How many callers are remembered right now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Seconds until `caller` may act again; 0 when it may act now. Spends nothing. */
  retryAfter(caller: string): number {
    if (this.perMinute <= 0) return 0;
    const tokens = this.tokens(caller, this.now());
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000));
  }

  /** Spends one action of `caller`: 0 when it was allowed, else the seconds to wait (nothing spent). */
  take(caller: string): number {
    const wait = this.retryAfter(caller);
    if (wait || this.perMinute <= 0) return wait;
    const at = this.now();
    const tokens = this.tokens(caller, at) - 1;
    // Re-inserted so the Map's order is least recently seen first.
    this.buckets.delete(caller);
    this.buckets.set(caller, { tokens, at });
    for (const oldest of this.buckets.keys()) {
      if (this.buckets.size <= this.maxCallers) break;
      this.buckets.delete(oldest);
    }
    return 0;
  }

  private tokens(caller: string, at: number): number {
    const bucket = this.buckets.get(caller);
    if (!bucket) return this.perMinute;
    return Math.min(this.perMinute, bucket.tokens + (at - bucket.at) * this.perMs);
  }
}

/** A 429 in the contract's shape, with `Retry-After` so well-behaved clients know when to come back. */
export function rateLimited(res: Response, seconds: number, message: string): AppError {
  res.set('Retry-After', String(seconds));
  return new AppError('rate_limited', `${message}; try again in ${seconds} s`, {
    retryAfterSeconds: seconds,
  });
}

/**
 * The client's address as a bucket key. An IPv6 client usually holds a whole /64, so the /64 is the
 * client; otherwise a new address per request would be a new bucket per request.
 */
export function clientAddress(req: Request): string {
  const ip = (req.ip ?? req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');
  if (!ip.includes(':')) return `ip:${ip}`;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `ip:${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Whose budget a request spends: the API key (by digest), the Forge user, else the client address. */
export function callerKey(req: Request, res: Response): string {
  const caller = callerOf(res);
  if (caller?.kind === 'api-key') return `key:${caller.keyDigest}`;
  if (caller?.kind === 'forge') return `forge:${caller.installationId ?? '-'}:${caller.accountId ?? '-'}`;
  return clientAddress(req);
}

/** Refuses a caller who has used up `limiter` for this minute; `what` names the action in the message. */
export function throttle(limiter: RateLimiter, what: string): RequestHandler {
  return (req, res, next) => {
    const wait = limiter.take(callerKey(req, res));
    if (wait)
      throw rateLimited(res, wait, `too many ${what}: at most ${limiter.perMinute} a minute per caller`);
    next();
  };
}

/**
 * `auth` and then `limit`, as the one authenticating handler a router takes: the limit needs to know the
 * caller, and it must refuse before the body is read.
 */
export function authThen(
  auth: (access: Access) => RequestHandler,
  limit: RequestHandler,
): (access: Access) => RequestHandler {
  return (access) => {
    const authenticate = auth(access);
    return async (req, res, next) => {
      const outcome = { admitted: false };
      await authenticate(req, res, (err?: unknown) => {
        if (err === undefined) outcome.admitted = true;
        else next(err);
      });
      if (outcome.admitted) limit(req, res, next);
    };
  };
}
