import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { forgeTokenVerifier } from '../../src/http/forge-token.js';
import { ForgeSigner, signingKey, TEST_APP_ID, type SigningKey } from '../fakes/forge-signer.js';
import { startTestService, type TestService } from '../helpers/service.js';

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Forge Invocation Tokens on /api/**, against tokens signed by a test key pair and its JWKS. */
describe('Forge Invocation Token', () => {
  let forge: ForgeSigner;
  let t: TestService;
  let logged = '';
  /** Called after each write to the log: a test waits for the line it expects instead of sleeping. */
  let onLog: () => void = () => undefined;
  /** An RSA-PSS key in the JWKS without `alg`: only the RS256-only rule refuses what it signs. */
  let pss: SigningKey;

  beforeAll(async () => {
    forge = await ForgeSigner.create();
    pss = await signingKey('forge-key-pss', 'PS256', 'without alg');
    forge.publish(pss);
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        onLog();
        cb();
      },
    });
    t = await startTestService(
      {
        FORGE_APP_ID: TEST_APP_ID,
        FORGE_JWKS_URL: forge.jwksUrl,
        ADMIN_API_KEYS: 'admin-key',
        LOG_LEVEL: 'info',
      },
      { logTo: sink },
    );
    await t.synced;
  });
  afterAll(async () => {
    await t.close();
    await forge.close();
  });

  const ask = (token: string) =>
    request(t.url)
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${token}`)
      .send({ message: 'How do I reindex?' });
  const now = () => Math.floor(Date.now() / 1000);

  it('lets a valid token through to chat and to admin routes, and logs its account id, never the token', async () => {
    const token = await forge.token();
    // Only this test's lines: earlier tests log the same account.
    const from = logged.length;
    const mine = () => logged.slice(from);
    const res = await ask(token).expect(200);
    expect(res.body.sources.length).toBeGreaterThan(0);
    await request(t.url).get('/api/v1/admin/index').set('Authorization', `Bearer ${token}`).expect(200);
    // The request log is written when the response ends, which may be after the client has it.
    await new Promise<void>((resolve) => {
      onLog = () => {
        if (mine().includes('/api/v1/admin/index')) resolve();
      };
      onLog();
    });
    expect(mine()).toContain('"accountId":"acc-reader"');
    expect(mine()).not.toContain(token.split('.')[2]!);
  });

  it('fetches the JWKS once and keeps it', async () => {
    // Counted on a signer and a verifier of the test's own, so that what earlier tests fetched (a rotation,
    // an unknown key id past the cool-down) cannot change the count.
    const own = await ForgeSigner.create();
    try {
      const verify = forgeTokenVerifier(TEST_APP_ID, own.jwksUrl);
      for (let i = 0; i < 4; i++) await verify(await own.token());
      expect(own.jwksFetches).toBe(1);
    } finally {
      await own.close();
    }
    // And the service keeps what it fetched: once it has verified one token, more make no fetch.
    await ask(await forge.token()).expect(200);
    const before = forge.jwksFetches;
    for (let i = 0; i < 3; i++) await ask(await forge.token()).expect(200);
    expect(forge.jwksFetches).toBe(before);
  });

  it('fetches the JWKS again for a key id it does not hold (key rotation)', async () => {
    // Its own signer (the rotation must not reach the service's JWKS) and its own verifier without the
    // refetch cool-down, so the test need not wait 10 s.
    const own = await ForgeSigner.create();
    try {
      const verify = forgeTokenVerifier(TEST_APP_ID, own.jwksUrl, 0);
      await verify(await own.token());
      const rotated = await signingKey('forge-key-2');
      own.publish(rotated);
      const before = own.jwksFetches;
      await expect(verify(await own.token({ principal: 'acc-new' }, rotated))).resolves.toMatchObject({
        kind: 'forge',
        accountId: 'acc-new',
        apiBaseUrl: 'https://api.atlassian.com/ex/confluence/cloud-1',
      });
      expect(own.jwksFetches).toBe(before + 1);
    } finally {
      await own.close();
    }
  });

  it('tolerates a few seconds of clock skew, not more', async () => {
    await ask(await forge.token({ exp: now() - 5, iat: now() - 65, nbf: now() - 65 })).expect(200);
    await ask(await forge.token({ nbf: now() + 5 })).expect(200);
  });

  it.each<[string, () => Promise<string>]>([
    ['expired', () => forge.token({ exp: now() - 120, iat: now() - 180, nbf: now() - 180 })],
    // Past the 30 s of skew tolerated, and well short of the 120 s above: a wider tolerance lets these in.
    ['expired 45 s ago', () => forge.token({ exp: now() - 45, iat: now() - 105, nbf: now() - 105 })],
    ['valid only 45 s from now', () => forge.token({ nbf: now() + 45 })],
    ['signed RS-PSS (PS256) by a published key', () => forge.token({}, pss)],
    ['not yet valid', () => forge.token({ nbf: now() + 300 })],
    ['for another app (audience)', () => forge.token({ aud: 'ari:cloud:ecosystem::app/someone-else' })],
    ['from another issuer', () => forge.token({ iss: 'https://evil.example' })],
    ['without an expiry', () => forge.token({ exp: undefined })],
    [
      'signed by another key under a known key id',
      async () => forge.token({}, { ...(await signingKey('forge-key-1')), jwk: forge.key.jwk }),
    ],
    ['signed by an unknown key', async () => forge.token({}, await signingKey('attacker-key'))],
    [
      'with alg none',
      async () => {
        const [, payload] = (await forge.token()).split('.');
        return `${b64url({ alg: 'none', typ: 'JWT' })}.${payload!}.`;
      },
    ],
    [
      'HS256, keyed with the public key',
      async () => {
        const header = b64url({ alg: 'HS256', typ: 'JWT', kid: 'forge-key-1' });
        const [, payload] = (await forge.token()).split('.');
        const mac = createHmac('sha256', JSON.stringify(forge.key.jwk))
          .update(`${header}.${payload!}`)
          .digest('base64url');
        return `${header}.${payload!}.${mac}`;
      },
    ],
    ['garbage', async () => 'not-a-jwt'],
    [
      'a JWT with a tampered payload',
      async () => {
        const [header, , signature] = (await forge.token()).split('.');
        return `${header!}.${b64url({ iss: 'forge/invocation-token', aud: TEST_APP_ID, exp: now() + 60, principal: 'admin' })}.${signature!}`;
      },
    ],
  ])('refuses a token %s with 401 in the contract shape', async (_case, make) => {
    const token = await make();
    const res = await ask(token).expect(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) as string } });
    await request(t.url).get('/api/v1/admin/jobs').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('refuses other Authorization schemes and missing credentials', async () => {
    await request(t.url)
      .get('/api/v1/admin/jobs')
      .set('Authorization', `Basic ${b64url('a:b')}`)
      .expect(401);
    await request(t.url).get('/api/v1/admin/jobs').expect(401);
  });

  it('keeps API keys working beside Forge tokens', async () => {
    await request(t.url).get('/api/v1/admin/jobs').set('X-API-Key', 'admin-key').expect(200);
  });
});

describe('Forge tokens when FORGE_APP_ID is not set', () => {
  let forge: ForgeSigner;
  let t: TestService;
  beforeAll(async () => {
    forge = await ForgeSigner.create();
    t = await startTestService({ API_KEYS: 'k', FORGE_JWKS_URL: forge.jwksUrl });
  });
  afterAll(async () => {
    await t.close();
    await forge.close();
  });

  it('refuses even a well-signed token, saying why', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${await forge.token()}`)
      .send({ message: 'x' })
      .expect(401);
    expect(res.body.error.message).toContain('FORGE_APP_ID');
  });
});

describe('Forge tokens when the JWKS cannot be fetched', () => {
  let t: TestService;
  let forge: ForgeSigner;
  beforeAll(async () => {
    forge = await ForgeSigner.create();
    t = await startTestService({ FORGE_APP_ID: TEST_APP_ID, FORGE_JWKS_URL: 'http://127.0.0.1:9/jwks.json' });
  });
  afterAll(async () => {
    await t.close();
    await forge.close();
  });

  it('answers 503 upstream_unavailable, not 401 or 500', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${await forge.token()}`)
      .send({ message: 'x' })
      .expect(503);
    expect(res.body.error.code).toBe('upstream_unavailable');
  });
});
