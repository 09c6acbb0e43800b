import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { forgeTokenVerifier, type ForgeCaller } from './forge-token.js';

export type Access = 'chat' | 'admin';

/** Who made an authenticated call: an API-key holder or the Forge app on behalf of a user. */
export type Caller = { kind: 'api-key'; admin: boolean } | ForgeCaller;

/** The caller of this request, once `auth` let it in (undefined in open, loopback-only mode). */
export function callerOf(res: Response): Caller | undefined {
  return (res.locals as { caller?: Caller }).caller;
}

const ACCOUNT_ID = /^[\w:-]{1,128}$/;
const digest = (value: string) => createHash('sha256').update(value).digest();

/** True when `candidate` equals one of `keys`; every key is compared, in constant time, whatever matches. */
export function matchesAny(candidate: string, keys: readonly Buffer[]): boolean {
  const c = digest(candidate);
  let match = false;
  for (const key of keys) match = timingSafeEqual(c, key) || match;
  return match;
}

/**
 * Access to `/api/**`: `X-API-Key` from API_KEYS reaches chat, from ADMIN_API_KEYS everything; a valid
 * Forge Invocation Token (when FORGE_APP_ID is set) reaches everything too, because the app checks that
 * admin calls come from a product admin before it makes them. With no credentials configured at all
 * (only allowed on loopback) every call is let in.
 */
export function authorizer(auth: Config['auth']): (access: Access) => RequestHandler {
  const chatKeys = auth.apiKeys.map(digest);
  const adminKeys = auth.adminApiKeys.map(digest);
  const verifyForgeToken = auth.forgeAppId
    ? forgeTokenVerifier(auth.forgeAppId, auth.forgeJwksUrl)
    : undefined;
  const open = !chatKeys.length && !adminKeys.length && !verifyForgeToken;

  return (access) => async (req, res, next) => {
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
      res.locals.caller = { kind: 'api-key', admin } satisfies Caller;
      next();
      return;
    }
    const authorization = req.get('authorization');
    if (authorization !== undefined) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!bearer)
        throw new AppError('unauthorized', 'send "Authorization: Bearer <Forge Invocation Token>"');
      if (!verifyForgeToken) {
        throw new AppError(
          'unauthorized',
          'this service does not accept Forge tokens (FORGE_APP_ID is not set)',
        );
      }
      const caller = await verifyForgeToken(bearer[1]!);
      // Calls made from a Forge function may carry no principal; the app then names the user itself,
      // which is trusted only because the token just proved the call comes from the app.
      const named = req.get('x-forge-account-id');
      if (!caller.accountId && named && ACCOUNT_ID.test(named)) caller.accountId = named;
      res.locals.caller = caller;
      next();
      return;
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
