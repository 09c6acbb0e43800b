import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

export type Access = 'chat' | 'admin';
const digest = (value: string) => createHash('sha256').update(value).digest();

/** True when `candidate` equals one of `keys`; every key is compared, in constant time, whatever matches. */
export function matchesAny(candidate: string, keys: readonly Buffer[]): boolean {
  const c = digest(candidate);
  let match = false;
  for (const key of keys) match = timingSafeEqual(c, key) || match;
  return match;
}

/**
 * API-key access to `/api/**`: `X-API-Key` from API_KEYS reaches chat, from ADMIN_API_KEYS reaches
 * everything. With no credentials configured at all (only allowed on loopback) every call is let in.
 */
export function authorizer(auth: Config['auth']): (access: Access) => RequestHandler {
  const chatKeys = auth.apiKeys.map(digest);
  const adminKeys = auth.adminApiKeys.map(digest);
  const open = !chatKeys.length && !adminKeys.length && !auth.forgeAppId;

  return (access) => (req, _res, next) => {
    if (open) {
      next();
      return;
    }
    const key = req.get('x-api-key');
    if (key) {
      const admin = matchesAny(key, adminKeys);
      if (!admin && !matchesAny(key, chatKeys))
        throw new AppError('unauthorized', 'the API key is not valid');
      if (access === 'admin' && !admin) throw new AppError('forbidden', 'this route needs an admin API key');
      next();
      return;
    }
    if (req.get('authorization')) {
      throw new AppError('unauthorized', 'this service does not accept bearer tokens yet; send X-API-Key');
    }
    throw new AppError('unauthorized', 'send an API key in the X-API-Key header');
  };
}

/** Refuses a request whose body is not JSON, so a form post cannot be mistaken for an empty request. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is('application/json')) {
    throw new AppError(
      'invalid_request',
      `Content-Type must be application/json, not "${req.get('content-type') ?? 'none'}"`,
    );
  }
  next();
};
