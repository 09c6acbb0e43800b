import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { isLoopbackHost, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { forgeTokenVerifier, type ForgeCaller } from './forge-token.js';
import { clientAddress, rateLimited, type RateLimiter } from './rate-limit.js';

export type Access = 'chat' | 'admin';

/** Who made an authenticated call: an API-key holder (by a digest of the key) or the Forge app for a user. */
export type Caller = { kind: 'api-key'; admin: boolean; keyDigest: string } | ForgeCaller;

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

/** No API keys and no Forge app: every call is let in (only allowed on loopback, or with ALLOW_UNAUTHENTICATED). */
export function isOpen(auth: Config['auth']): boolean {
  return !auth.apiKeys.length && !auth.adminApiKeys.length && !auth.forgeAppId;
}

function tooManyFailures(res: Response, failures: RateLimiter, seconds: number): AppError {
  return rateLimited(
    res,
    seconds,
    `too many failed authentication attempts from this address: at most ${failures.perMinute} a minute`,
  );
}

/**
 * Access to `/api/**`: `X-API-Key` from API_KEYS reaches chat, from ADMIN_API_KEYS everything; a valid
 * Forge Invocation Token (when FORGE_APP_ID is set) reaches everything too, because the app checks that
 * admin calls come from a product admin before it makes them. With no credentials configured at all
 * (only allowed on loopback) every call is let in.
 *
 * `failures` counts 401s per client address. An address over its budget may not try another API key (or
 * go without one) until it has earned one back, so keys cannot be guessed quickly; a Forge token is still
 * checked, since a signature cannot be guessed and Forge's calls share few addresses.
 */
/**
 * The caller, if its installation is one this service serves. Every site the app is installed on, and
 * every development install, signs for the same app id: without this check, a user of another site could
 * ask this site's knowledge base, and its product admins start this site's reindexing.
 */
function servedInstallation(caller: ForgeCaller, auth: Config['auth']): ForgeCaller {
  const installation = caller.installationId ?? '(none)';
  if (auth.forgeInstallationIds !== '*' && !auth.forgeInstallationIds.includes(installation)) {
    throw new AppError(
      'forbidden',
      `the Forge installation ${installation} is not served here (FORGE_INSTALLATION_IDS)`,
    );
  }
  // Stryker disable next-line StringLiteral: any stand-in for a missing environment is refused alike, since FORGE_ENVIRONMENTS holds only PRODUCTION, STAGING or DEVELOPMENT (config.ts).
  if (!auth.forgeEnvironments.includes(caller.environment ?? '')) {
    throw new AppError(
      'forbidden',
      `the Forge installation ${installation} runs in the ${caller.environment ?? 'unnamed'} environment, not served here (FORGE_ENVIRONMENTS: ${auth.forgeEnvironments.join(', ')})`,
    );
  }
  return caller;
}

export function authorizer(auth: Config['auth'], failures?: RateLimiter): (access: Access) => RequestHandler {
  const chatKeys = auth.apiKeys.map(digest);
  const adminKeys = auth.adminApiKeys.map(digest);
  const verifyForgeToken = auth.forgeAppId
    ? forgeTokenVerifier(auth.forgeAppId, auth.forgeJwksUrl)
    : undefined;
  const open = isOpen(auth);

  const identify = async (req: Request, access: Access): Promise<Caller> => {
    const key = req.get('x-api-key');
    if (key) {
      const admin = matchesAny(key, adminKeys);
      if (!admin && !matchesAny(key, chatKeys))
        throw new AppError('unauthorized', 'the API key is not valid');
      if (access === 'admin' && !admin) throw new AppError('forbidden', 'this route needs an admin API key');
      return { kind: 'api-key', admin, keyDigest: digest(key).subarray(0, 16).toString('hex') };
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
      const caller = servedInstallation(await verifyForgeToken(bearer[1]!), auth);
      // Calls made from a Forge function may carry no principal; the app then names the user itself,
      // which is trusted only because the token just proved the call comes from the app.
      const named = req.get('x-forge-account-id');
      if (!caller.accountId && named && ACCOUNT_ID.test(named)) caller.accountId = named;
      return caller;
    }
    throw new AppError('unauthorized', 'send an API key in the X-API-Key header');
  };

  return (access) => async (req, res, next) => {
    if (open) {
      next();
      return;
    }
    const address = clientAddress(req);
    const lockedFor = failures?.retryAfter(address) ?? 0;
    const signedToken = !req.get('x-api-key') && req.get('authorization') !== undefined;
    if (lockedFor && !signedToken) throw tooManyFailures(res, failures!, lockedFor);
    try {
      res.locals.caller = await identify(req, access);
    } catch (err) {
      // Only a credential that was tried and refused is a guess: a call that sent none (a browser tab, a
      // misconfigured client) must not use up its address's budget for the callers who share that address.
      // An empty X-API-Key is no key (identify() reads it so), so it is not a try either.
      const tried = Boolean(req.get('x-api-key')) || req.get('authorization') !== undefined;
      if (failures && tried && err instanceof AppError && err.code === 'unauthorized') {
        failures.take(address);
        if (lockedFor) throw tooManyFailures(res, failures, lockedFor);
      }
      throw err;
    }
    next();
  };
}

/**
 * Whether the caller may see operational detail (store paths, model names, upstream errors): an admin
 * API key, or anyone in open mode on loopback, who is the local operator. A wrong key counts as a failed
 * authentication, so this cannot be used to guess admin keys.
 */
export function operatorCheck(config: Config, failures?: RateLimiter): (req: Request) => boolean {
  const adminKeys = config.auth.adminApiKeys.map(digest);
  const knownKeys = [...adminKeys, ...config.auth.apiKeys.map(digest)];
  const localOperator = isOpen(config.auth) && isLoopbackHost(config.host);
  return (req) => {
    if (localOperator) return true;
    const key = req.get('x-api-key');
    if (!key) return false;
    const address = clientAddress(req);
    if (failures?.retryAfter(address)) return false;
    if (matchesAny(key, adminKeys)) return true;
    if (!matchesAny(key, knownKeys)) failures?.take(address);
    return false;
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
