import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createHmac } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { AppError } from '../../src/errors.js';
import {
  CLOCK_TOLERANCE_S,
  FORGE_ISSUER,
  forgeTokenVerifier,
  type ForgeTokenVerifier,
} from '../../src/http/forge-token.js';
import {
  ForgeSigner,
  signingKey,
  TEST_APP_ID,
  TEST_INSTALLATION_ID,
  type SigningKey,
} from '../fakes/forge-signer.js';

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** What the verifier refused a token with, as the caller will see it (code, status and message). */
async function refusal(
  verifying: Promise<unknown>,
): Promise<{ code: string; status: number; message: string }> {
  const error = await verifying.then(
    () => {
      throw new Error('the token was accepted');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const { code, status, message } = error as AppError;
  return { code, status, message };
}

const notValid = { code: 'unauthorized', status: 401, message: 'the Forge token is not valid' };
const notForUs = (claim: string) => ({
  code: 'unauthorized',
  status: 401,
  message: `the Forge token is not for this service (${claim} claim)`,
});
const jwksDown = {
  code: 'upstream_unavailable',
  status: 503,
  message: 'cannot fetch Forge signing keys right now; try again',
};

/** A server for JWKS hosts that misbehave: `answer` decides what each request gets. */
async function jwksHost(
  answer: Parameters<typeof createServer>[1],
): Promise<{ url: string; server: Server }> {
  const server = createServer(answer);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, server };
}
async function closeHost(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/**
 * The Forge Invocation Token rules on the verifier itself (no service): each rule is a case that a token
 * breaking only that rule is refused, with the message that names it, and one that stays inside it passes.
 */
describe('forgeTokenVerifier', () => {
  let forge: ForgeSigner;
  let verify: ForgeTokenVerifier;
  /** An RSA-PSS key in the JWKS without `alg`: only the RS256-only rule refuses what it signs. */
  let pss: SigningKey;

  beforeAll(async () => {
    forge = await ForgeSigner.create();
    pss = await signingKey('forge-key-pss', 'PS256', 'without alg');
    forge.publish(pss);
    verify = forgeTokenVerifier(TEST_APP_ID, forge.jwksUrl);
  });
  afterAll(async () => {
    await forge.close();
  });

  /** Signs exactly `payload` (no claims of the fake signer's own) with Forge's published key. */
  const signed = (payload: JWTPayload) =>
    new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: forge.key.kid }).sign(forge.key.privateKey);

  it('is Forge, with the token’s account, installation, environment and API base URL', async () => {
    await expect(verify(await forge.token())).resolves.toEqual({
      kind: 'forge',
      accountId: 'acc-reader',
      installationId: TEST_INSTALLATION_ID,
      environment: 'DEVELOPMENT',
      apiBaseUrl: 'https://api.atlassian.com/ex/confluence/cloud-1',
    });
  });

  it('names only what the token states as text: other shapes are unknown, not guessed', async () => {
    const base = { iss: FORGE_ISSUER, aud: TEST_APP_ID, exp: now() + 60 };
    // No `app` and no principal at all: a caller with nothing known but that Forge sent it.
    await expect(verify(await signed(base))).resolves.toEqual({
      kind: 'forge',
      accountId: undefined,
      installationId: undefined,
      environment: undefined,
      apiBaseUrl: undefined,
    });
    // `app` as text or null, not an object: nothing is read from it (null has no fields to read at all).
    for (const app of ['installationId', null]) {
      await expect(verify(await signed({ ...base, app }))).resolves.toMatchObject({
        installationId: undefined,
      });
    }
    // Fields of the wrong type, and an environment that is null (not an object to read `type` from).
    await expect(
      verify(
        await signed({
          ...base,
          principal: 42,
          app: { installationId: 7, apiBaseUrl: ['https://x'], environment: null },
        }),
      ),
    ).resolves.toEqual({
      kind: 'forge',
      accountId: undefined,
      installationId: undefined,
      environment: undefined,
      apiBaseUrl: undefined,
    });
    await expect(verify(await signed({ ...base, app: { environment: { type: 3 } } }))).resolves.toMatchObject(
      { environment: undefined },
    );
    await expect(
      verify(await signed({ ...base, app: { environment: 'PRODUCTION' } })),
    ).resolves.toMatchObject({ environment: undefined });
  });

  it('allows 30 s of clock skew: 15 s past expiry or before validity passes, 45 s does not', async () => {
    expect(CLOCK_TOLERANCE_S).toBe(30);
    await expect(
      verify(await forge.token({ exp: now() - 15, iat: now() - 75, nbf: now() - 75 })),
    ).resolves.toMatchObject({ kind: 'forge' });
    await expect(verify(await forge.token({ nbf: now() + 15 }))).resolves.toMatchObject({ kind: 'forge' });

    expect(
      await refusal(verify(await forge.token({ exp: now() - 45, iat: now() - 105, nbf: now() - 105 }))),
    ).toEqual({
      code: 'unauthorized',
      status: 401,
      message: 'the Forge token has expired',
    });
    expect(await refusal(verify(await forge.token({ nbf: now() + 45 })))).toEqual(notForUs('nbf'));
  });

  it('refuses a token for another app, from another issuer, or without an expiry, naming the claim', async () => {
    expect(
      await refusal(verify(await forge.token({ aud: 'ari:cloud:ecosystem::app/someone-else' }))),
    ).toEqual(notForUs('aud'));
    expect(await refusal(verify(await forge.token({ iss: 'https://evil.example' })))).toEqual(
      notForUs('iss'),
    );
    expect(await refusal(verify(await forge.token({ exp: undefined })))).toEqual(notForUs('exp'));
  });

  it('accepts RS256 only: PS256 by a published key, HS256 keyed with the public key, and alg none are refused', async () => {
    expect(await refusal(verify(await forge.token({}, pss)))).toEqual(notValid);

    const [, payload] = (await forge.token()).split('.');
    const hsHeader = b64url({ alg: 'HS256', typ: 'JWT', kid: forge.key.kid });
    const mac = createHmac('sha256', JSON.stringify(forge.key.jwk))
      .update(`${hsHeader}.${payload!}`)
      .digest('base64url');
    expect(await refusal(verify(`${hsHeader}.${payload!}.${mac}`))).toEqual(notValid);
    expect(await refusal(verify(`${b64url({ alg: 'none', typ: 'JWT' })}.${payload!}.`))).toEqual(notValid);
  });

  it('refuses a forged signature, an unknown key, a tampered payload and garbage', async () => {
    const impostor = { ...(await signingKey(forge.key.kid)), jwk: forge.key.jwk };
    expect(await refusal(verify(await forge.token({}, impostor)))).toEqual(notValid);
    expect(await refusal(verify(await forge.token({}, await signingKey('attacker-key'))))).toEqual(notValid);
    const [header, , signature] = (await forge.token()).split('.');
    const tampered = b64url({ iss: FORGE_ISSUER, aud: TEST_APP_ID, exp: now() + 60, principal: 'admin' });
    expect(await refusal(verify(`${header!}.${tampered}.${signature!}`))).toEqual(notValid);
    expect(await refusal(verify('not-a-jwt'))).toEqual(notValid);
  });

  it('refetches the JWKS for a key id it does not hold (rotation), at most once per cool-down', async () => {
    const own = await ForgeSigner.create();
    try {
      // No cool-down: the rotated key is fetched at once.
      const eager = forgeTokenVerifier(TEST_APP_ID, own.jwksUrl, 0);
      await eager(await own.token());
      const rotated = await signingKey('forge-key-2');
      own.publish(rotated);
      await expect(eager(await own.token({ principal: 'acc-new' }, rotated))).resolves.toMatchObject({
        accountId: 'acc-new',
      });
      // The default cool-down (10 s): a key id it does not hold right after a fetch is not fetched again.
      const fetches = own.jwksFetches;
      const patient = forgeTokenVerifier(TEST_APP_ID, own.jwksUrl);
      await patient(await own.token());
      expect(own.jwksFetches).toBe(fetches + 1);
      expect(await refusal(patient(await own.token({}, await signingKey('made-up-kid'))))).toEqual(notValid);
      expect(own.jwksFetches).toBe(fetches + 1);
    } finally {
      await own.close();
    }
  });
});

describe('forgeTokenVerifier key cache', () => {
  const realNow = Date.now.bind(Date);
  afterEach(() => {
    Date.now = realNow;
  });

  it('keeps fetched keys for 6 hours, then fetches them again', async () => {
    const own = await ForgeSigner.create();
    try {
      const verify = forgeTokenVerifier(TEST_APP_ID, own.jwksUrl);
      // Tokens valid by the real clock; only the cache's clock (Date.now) is moved.
      const issued = now();
      const token = () => own.token({ iat: issued, nbf: issued, exp: issued + 60 });
      const start = Date.now();
      await verify(await token());
      expect(own.jwksFetches).toBe(1);
      Date.now = () => start + 5 * 60 * 60 * 1000;
      await verify(await token());
      expect(own.jwksFetches).toBe(1);
      Date.now = () => start + 7 * 60 * 60 * 1000;
      await verify(await token());
      expect(own.jwksFetches).toBe(2);
    } finally {
      await own.close();
    }
  });
});

/** Forge's keys unreachable is this service's trouble (503: try again), not a bad token (401). */
describe('forgeTokenVerifier when the JWKS cannot be had', () => {
  let forge: ForgeSigner;
  beforeAll(async () => {
    forge = await ForgeSigner.create();
  });
  afterAll(async () => {
    await forge.close();
  });

  it('answers 503 when nothing listens at the JWKS URL', async () => {
    const verify = forgeTokenVerifier(TEST_APP_ID, 'http://127.0.0.1:9/jwks.json');
    expect(await refusal(verify(await forge.token()))).toEqual(jwksDown);
  });

  it('answers 503 when the JWKS host answers with an error or not with JSON', async () => {
    for (const [status, body] of [
      [500, 'oops'],
      [200, 'not json'],
    ] as const) {
      const host = await jwksHost((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      });
      try {
        expect(await refusal(forgeTokenVerifier(TEST_APP_ID, host.url)(await forge.token()))).toEqual(
          jwksDown,
        );
      } finally {
        await closeHost(host.server);
      }
    }
  });

  it('answers 503 when the JWKS host never answers (after the fetch times out)', async () => {
    const host = await jwksHost(() => undefined);
    try {
      expect(await refusal(forgeTokenVerifier(TEST_APP_ID, host.url)(await forge.token()))).toEqual(jwksDown);
    } finally {
      await closeHost(host.server);
    }
  });
});
