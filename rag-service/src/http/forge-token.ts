import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { AppError } from '../errors.js';

/** The `iss` of every Forge Invocation Token. */
export const FORGE_ISSUER = 'forge/invocation-token';
/** Forge's clock and ours may disagree a little; more than this is a stale or premature token. */
export const CLOCK_TOLERANCE_S = 30;

/** Who a verified Forge call comes from, as far as the token (and our own app) tells. */
export interface ForgeCaller {
  kind: 'forge';
  /** The Atlassian account, from the token's `principal` when Forge sets it. */
  accountId: string | undefined;
  installationId: string | undefined;
  /** `app.environment.type`: PRODUCTION, STAGING or DEVELOPMENT. */
  environment: string | undefined;
  /** Where to call the site's product APIs (`app.apiBaseUrl`), e.g. with the user's token. */
  apiBaseUrl: string | undefined;
}

export type ForgeTokenVerifier = (token: string) => Promise<ForgeCaller>;

/**
 * Verifies Forge Invocation Tokens: RS256 only, signed by a key of Forge's JWKS, issued by Forge, for
 * this app (`aud` = FORGE_APP_ID), within its validity window. The JWKS is fetched once, cached, and
 * fetched again when a token names a key id it does not hold (Forge rotates keys), at most every 10 s.
 */
export function forgeTokenVerifier(
  appId: string,
  jwksUrl: string,
  /** The least time between two JWKS fetches: tokens with made-up key ids cannot make us hammer Forge. */
  refetchCooldownMs = 10_000,
): ForgeTokenVerifier {
  const keys = createRemoteJWKSet(new URL(jwksUrl), {
    timeoutDuration: 5_000,
    cooldownDuration: refetchCooldownMs,
    cacheMaxAge: 6 * 60 * 60 * 1000,
  });
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: ['RS256'],
        issuer: FORGE_ISSUER,
        audience: appId,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      });
      return callerOf(payload);
    } catch (error) {
      throw verificationError(error);
    }
  };
}

function callerOf(payload: JWTPayload): ForgeCaller {
  const app = isRecord(payload.app) ? payload.app : {};
  return {
    kind: 'forge',
    accountId: typeof payload.principal === 'string' ? payload.principal : undefined,
    installationId: typeof app.installationId === 'string' ? app.installationId : undefined,
    environment:
      isRecord(app.environment) && typeof app.environment.type === 'string'
        ? app.environment.type
        : undefined,
    apiBaseUrl: typeof app.apiBaseUrl === 'string' ? app.apiBaseUrl : undefined,
  };
}

/** A bad token is the caller's problem (401); an unreachable JWKS is ours (503, retry later). */
function verificationError(error: unknown): AppError {
  // jose throws the plain JOSEError (no subclass) only for a JWKS response it cannot use, and fetch
  // throws TypeError when the JWKS host cannot be reached.
  const jwksFault =
    error instanceof errors.JWKSTimeout ||
    nameOf(error) === 'TypeError' ||
    (error instanceof errors.JOSEError && error.constructor === errors.JOSEError);
  if (jwksFault) {
    return new AppError('upstream_unavailable', 'cannot fetch Forge signing keys right now; try again');
  }
  if (error instanceof errors.JWTExpired) return new AppError('unauthorized', 'the Forge token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AppError('unauthorized', `the Forge token is not for this service (${error.claim} claim)`);
  }
  return new AppError('unauthorized', 'the Forge token is not valid');
}

/** By name: fetch's TypeError may come from another realm (a VM context), where instanceof fails. */
function nameOf(error: unknown): unknown {
  return isRecord(error) ? error.name : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
