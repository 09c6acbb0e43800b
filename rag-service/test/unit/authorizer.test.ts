import { createHash } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { loadConfig, type Config } from '../../src/config.js';
import { authorizer, callerOf, isOpen, matchesAny, operatorCheck, requireJson } from '../../src/http/auth.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { RateLimiter } from '../../src/http/rate-limit.js';
import { createLogger } from '../../src/logging.js';
import { ForgeSigner, TEST_APP_ID, TEST_INSTALLATION_ID } from '../fakes/forge-signer.js';
import { rawRequest } from '../helpers/raw-http.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest();
/** The id an API key is known by: the first 16 bytes of its SHA-256, in hex (never the key). */
const keyId = (key: string) => sha256(key).toString('hex').slice(0, 32);

/** A clock the test moves by hand, so the failure budget refills exactly and no test waits. */
function manualClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/**
 * The auth middleware alone on a bare Express app, with the service's error handler: `/chat` needs chat
 * access, `/admin` admin access, and both answer the caller the middleware established. `trust proxy` lets
 * a test speak from several client addresses through X-Forwarded-For.
 */
function appWith(auth: Config['auth'], failures?: RateLimiter, extra?: (app: express.Express) => void) {
  const app = express();
  app.set('trust proxy', true);
  app.use(pinoHttp({ logger: createLogger('silent') }));
  const guard = authorizer(auth, failures);
  const answer: RequestHandler = (_req, res) => {
    res.json({ caller: callerOf(res) ?? null });
  };
  app.get('/chat', guard('chat'), answer);
  app.get('/admin', guard('admin'), answer);
  extra?.(app);
  app.use(errorHandler);
  return app;
}

const keys = () => loadConfig({ API_KEYS: 'chat-key-1,chat-key-2', ADMIN_API_KEYS: 'admin-key' }).auth;

describe('matchesAny', () => {
  const stored = ['alpha', 'beta'].map(sha256);

  it('is true only for a key exactly equal to one of them', () => {
    expect(matchesAny('alpha', stored)).toBe(true);
    expect(matchesAny('beta', stored)).toBe(true);
    for (const near of ['alph', 'alphaa', 'Alpha', 'alpha ', '', 'gamma'])
      expect(matchesAny(near, stored)).toBe(false);
    expect(matchesAny('alpha', [])).toBe(false);
  });

  it('compares every key even after one matched (no early exit that timing could reveal)', () => {
    // A stored value of the wrong length makes timingSafeEqual throw (a RangeError of Node's realm, so matched
    // by message): it throws here only if the comparison after the match is still made.
    expect(() => matchesAny('alpha', [sha256('alpha'), Buffer.alloc(1)])).toThrow(/same byte length/);
  });
});

describe('isOpen', () => {
  it('is open only with no API key, no admin key and no Forge app', () => {
    expect(isOpen(loadConfig({}).auth)).toBe(true);
    expect(isOpen(loadConfig({ API_KEYS: 'k' }).auth)).toBe(false);
    expect(isOpen(loadConfig({ ADMIN_API_KEYS: 'k' }).auth)).toBe(false);
    expect(isOpen(loadConfig({ FORGE_APP_ID: TEST_APP_ID, FORGE_INSTALLATION_IDS: '*' }).auth)).toBe(false);
  });
});

describe('authorizer: API keys', () => {
  // Made before each test, not while Jest collects them: Stryker counts what runs at collection as
  // covered by no test, and skips it as static.
  let app: express.Express;
  beforeEach(() => {
    app = appWith(keys());
  });

  it('lets every call in, with no caller, when no credentials are configured', async () => {
    const open = appWith(loadConfig({}).auth);
    expect((await request(open).get('/admin').expect(200)).body).toEqual({ caller: null });
    expect((await request(open).get('/chat').set('X-API-Key', 'anything').expect(200)).body).toEqual({
      caller: null,
    });
  });

  it('knows a chat key by its digest, never the key itself', async () => {
    const res = await request(app).get('/chat').set('X-API-Key', 'chat-key-2').expect(200);
    expect(res.body).toEqual({ caller: { kind: 'api-key', admin: false, keyDigest: keyId('chat-key-2') } });
    expect(JSON.stringify(res.body)).not.toContain('chat-key-2');
    // Two keys are two callers.
    const other = await request(app).get('/chat').set('X-API-Key', 'chat-key-1').expect(200);
    expect(other.body.caller.keyDigest).toBe(keyId('chat-key-1'));
    expect(other.body.caller.keyDigest).not.toBe(res.body.caller.keyDigest);
  });

  it('lets an admin key reach chat and admin routes, as an admin', async () => {
    const admin = { caller: { kind: 'api-key', admin: true, keyDigest: keyId('admin-key') } };
    expect((await request(app).get('/chat').set('X-API-Key', 'admin-key').expect(200)).body).toEqual(admin);
    expect((await request(app).get('/admin').set('X-API-Key', 'admin-key').expect(200)).body).toEqual(admin);
  });

  it('keeps admin routes from a chat key (403, contract JSON)', async () => {
    const res = await request(app).get('/admin').set('X-API-Key', 'chat-key-1').expect(403);
    expect(res.body).toEqual({ error: { code: 'forbidden', message: 'this route needs an admin API key' } });
  });

  it('refuses a key that is not exactly a configured one (401), without echoing it', async () => {
    for (const wrong of ['chat-key-3', 'chat-key-', 'chat-key-10', 'CHAT-KEY-1', 'admin-keyX']) {
      const res = await request(app).get('/chat').set('X-API-Key', wrong).expect(401);
      expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'the API key is not valid' } });
      expect(JSON.stringify(res.body)).not.toContain(wrong);
    }
  });

  it('refuses a call without credentials, or with an empty key, saying what to send', async () => {
    const noKey = { error: { code: 'unauthorized', message: 'send an API key in the X-API-Key header' } };
    expect((await request(app).get('/chat').expect(401)).body).toEqual(noKey);
    expect((await request(app).get('/admin').set('X-API-Key', '').expect(401)).body).toEqual(noKey);
  });

  it('refuses a bearer token when no Forge app is configured, naming FORGE_APP_ID', async () => {
    const res = await request(app).get('/chat').set('Authorization', 'Bearer abc.def.ghi').expect(401);
    expect(res.body).toEqual({
      error: {
        code: 'unauthorized',
        message: 'this service does not accept Forge tokens (FORGE_APP_ID is not set)',
      },
    });
  });
});

describe('authorizer: failed-authentication budget', () => {
  const limited = () => {
    const clock = manualClock();
    const failures = new RateLimiter(2, 100, clock.now);
    return { clock, failures, app: appWith(keys(), failures) };
  };
  const lockedOut = {
    error: {
      code: 'rate_limited',
      message:
        'too many failed authentication attempts from this address: at most 2 a minute; try again in 30 s',
      details: { retryAfterSeconds: 30 },
    },
  };

  it('locks an address out after its budget of wrong keys, even for a right key, until it earns one back', async () => {
    const { clock, app } = limited();
    await request(app).get('/chat').set('X-API-Key', 'wrong-1').expect(401);
    await request(app).get('/chat').set('X-API-Key', 'wrong-2').expect(401);
    // Two a minute: the next try is one 30 s away.
    const res = await request(app).get('/chat').set('X-API-Key', 'chat-key-1').expect(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.body).toEqual(lockedOut);
    expect((await request(app).get('/chat').expect(429)).body).toEqual(lockedOut);
    clock.advance(30_000);
    await request(app).get('/chat').set('X-API-Key', 'chat-key-1').expect(200);
  });

  it('keeps the lock to the address that guessed', async () => {
    const { app } = limited();
    const from = (ip: string) => request(app).get('/chat').set('X-Forwarded-For', ip);
    await from('203.0.113.1').set('X-API-Key', 'wrong-1').expect(401);
    await from('203.0.113.1').set('X-API-Key', 'wrong-2').expect(401);
    await from('203.0.113.1').set('X-API-Key', 'chat-key-1').expect(429);
    await from('203.0.113.2').set('X-API-Key', 'chat-key-1').expect(200);
  });

  it('spends nothing for a call that sent no credential, a right key, or a key refused only for its access', async () => {
    const { app } = limited();
    for (let i = 0; i < 3; i++) {
      await request(app).get('/chat').expect(401);
      // An empty X-API-Key is no key at all (a client with an unset variable), not a guess.
      await request(app).get('/chat').set('X-API-Key', '').expect(401);
      await request(app).get('/chat').set('X-API-Key', 'chat-key-1').expect(200);
      await request(app).get('/admin').set('X-API-Key', 'chat-key-1').expect(403);
    }
    // The whole budget is still there: two wrong keys are 401s, the third try is locked out.
    await request(app).get('/chat').set('X-API-Key', 'wrong-1').expect(401);
    await request(app).get('/chat').set('X-API-Key', 'wrong-2').expect(401);
    await request(app).get('/chat').set('X-API-Key', 'wrong-3').expect(429);
  });

  it('counts a refused bearer token as a failure too', async () => {
    const { app } = limited();
    await request(app).get('/chat').set('Authorization', 'Basic YTpi').expect(401);
    await request(app).get('/chat').set('Authorization', 'Bearer x').expect(401);
    await request(app).get('/chat').set('X-API-Key', 'chat-key-1').expect(429);
  });

  it('works without a budget at all', async () => {
    const app = appWith(keys());
    for (let i = 0; i < 3; i++) await request(app).get('/chat').set('X-API-Key', 'wrong').expect(401);
    await request(app).get('/chat').set('X-API-Key', 'chat-key-1').expect(200);
  });
});

describe('authorizer: Forge Invocation Tokens', () => {
  let forge: ForgeSigner;
  beforeAll(async () => {
    forge = await ForgeSigner.create();
  });
  afterAll(async () => {
    await forge.close();
  });

  const forgeAuth = (env: Record<string, string> = {}) =>
    loadConfig({
      FORGE_APP_ID: TEST_APP_ID,
      FORGE_JWKS_URL: forge.jwksUrl,
      FORGE_INSTALLATION_IDS: TEST_INSTALLATION_ID,
      FORGE_ENVIRONMENTS: 'DEVELOPMENT',
      ADMIN_API_KEYS: 'admin-key',
      ...env,
    }).auth;
  const bearer = (app: express.Express, path: string, header: string) =>
    request(app).get(path).set('Authorization', header);
  const reader = {
    kind: 'forge',
    accountId: 'acc-reader',
    installationId: TEST_INSTALLATION_ID,
    environment: 'DEVELOPMENT',
    apiBaseUrl: 'https://api.atlassian.com/ex/confluence/cloud-1',
  };
  const badHeader = {
    error: { code: 'unauthorized', message: 'send "Authorization: Bearer <Forge Invocation Token>"' },
  };

  it('lets a valid token reach chat and admin routes as the token’s user and installation', async () => {
    const app = appWith(forgeAuth());
    const token = await forge.token();
    expect((await bearer(app, '/chat', `Bearer ${token}`).expect(200)).body).toEqual({ caller: reader });
    expect((await bearer(app, '/admin', `Bearer ${token}`).expect(200)).body).toEqual({ caller: reader });
    // The scheme in any case, and any run of blanks after it.
    await bearer(app, '/chat', `bearer ${token}`).expect(200);
    await bearer(app, '/chat', `Bearer   ${token}`).expect(200);
  });

  it('refuses an Authorization header that is not exactly "Bearer <token>"', async () => {
    const app = appWith(forgeAuth());
    const token = await forge.token();
    for (const header of [`Basic ${token}`, `XBearer ${token}`, `Bearer ${token} extra`, `Bearer`, token]) {
      expect((await bearer(app, '/chat', header).expect(401)).body).toEqual(badHeader);
    }
  });

  it('refuses a bad token with 401 in the contract shape, and an unreachable JWKS with 503', async () => {
    const app = appWith(forgeAuth());
    expect((await bearer(app, '/chat', 'Bearer not-a-jwt').expect(401)).body).toEqual({
      error: { code: 'unauthorized', message: 'the Forge token is not valid' },
    });
    const down = appWith(forgeAuth({ FORGE_JWKS_URL: 'http://127.0.0.1:9/jwks.json' }));
    expect((await bearer(down, '/chat', `Bearer ${await forge.token()}`).expect(503)).body.error.code).toBe(
      'upstream_unavailable',
    );
  });

  it('refuses a token from an installation not served here (403), naming it; * serves any', async () => {
    const other = 'ari:cloud:ecosystem::installation/9999';
    const app = appWith(forgeAuth());
    const res = await bearer(
      app,
      '/chat',
      `Bearer ${await forge.token({ app: { installationId: other } })}`,
    ).expect(403);
    expect(res.body).toEqual({
      error: {
        code: 'forbidden',
        message: `the Forge installation ${other} is not served here (FORGE_INSTALLATION_IDS)`,
      },
    });
    // A token naming no installation is not served either.
    const none = await bearer(
      app,
      '/chat',
      `Bearer ${await forge.token({ app: { installationId: undefined } })}`,
    ).expect(403);
    expect(none.body.error.message).toBe(
      'the Forge installation (none) is not served here (FORGE_INSTALLATION_IDS)',
    );

    const any = appWith(forgeAuth({ FORGE_INSTALLATION_IDS: '*' }));
    expect(
      (
        await bearer(any, '/chat', `Bearer ${await forge.token({ app: { installationId: other } })}`).expect(
          200,
        )
      ).body.caller.installationId,
    ).toBe(other);
  });

  it('refuses a token from an environment not served here (403), naming it', async () => {
    const app = appWith(forgeAuth({ FORGE_ENVIRONMENTS: 'PRODUCTION,STAGING' }));
    const dev = await bearer(app, '/chat', `Bearer ${await forge.token()}`).expect(403);
    expect(dev.body).toEqual({
      error: {
        code: 'forbidden',
        message: `the Forge installation ${TEST_INSTALLATION_ID} runs in the DEVELOPMENT environment, not served here (FORGE_ENVIRONMENTS: PRODUCTION, STAGING)`,
      },
    });
    const unnamed = await bearer(
      app,
      '/chat',
      `Bearer ${await forge.token({ app: { environment: undefined } })}`,
    ).expect(403);
    expect(unnamed.body.error.message).toBe(
      `the Forge installation ${TEST_INSTALLATION_ID} runs in the unnamed environment, not served here (FORGE_ENVIRONMENTS: PRODUCTION, STAGING)`,
    );
    await bearer(
      app,
      '/chat',
      `Bearer ${await forge.token({ app: { environment: { type: 'STAGING' } } })}`,
    ).expect(200);
  });

  it('takes the account the app names only when the token names none, and only a well-formed one', async () => {
    const app = appWith(forgeAuth());
    const anonymous = await forge.token({ principal: undefined });
    const named = (token: string, account: string) =>
      bearer(app, '/chat', `Bearer ${token}`).set('X-Forge-Account-Id', account).expect(200);

    expect(
      (await bearer(app, '/chat', `Bearer ${anonymous}`).expect(200)).body.caller.accountId,
    ).toBeUndefined();
    expect((await named(anonymous, 'acc-1:x_y')).body.caller.accountId).toBe('acc-1:x_y');
    expect((await named(anonymous, 'a')).body.caller.accountId).toBe('a');
    expect((await named(anonymous, 'a'.repeat(128))).body.caller.accountId).toBe('a'.repeat(128));
    // The token's own principal wins over the header.
    expect((await named(await forge.token(), 'acc-other')).body.caller.accountId).toBe('acc-reader');
    for (const malformed of ['a!b', 'acc 1', 'a'.repeat(129), 'acc/1']) {
      expect((await named(anonymous, malformed)).body.caller.accountId).toBeUndefined();
    }
  });

  it('checks a signed token even from an address locked out for guessing keys, and counts it if refused', async () => {
    const clock = manualClock();
    const failures = new RateLimiter(1, 100, clock.now);
    const app = appWith(forgeAuth(), failures);
    await request(app).get('/chat').set('X-API-Key', 'wrong').expect(401);
    await request(app).get('/chat').set('X-API-Key', 'admin-key').expect(429);
    const token = await forge.token();
    expect((await bearer(app, '/chat', `Bearer ${token}`).expect(200)).body).toEqual({ caller: reader });
    // A key beside the token is still a key try, and this address may not make one.
    await bearer(app, '/chat', `Bearer ${token}`).set('X-API-Key', 'admin-key').expect(429);
    // A refused token from a locked-out address is answered as locked out.
    expect((await bearer(app, '/chat', 'Bearer not-a-jwt').expect(429)).headers['retry-after']).toBe('60');
  });

  it('spends nothing for a token refused for its installation (403) or an unreachable JWKS (503)', async () => {
    const failures = new RateLimiter(1, 100, manualClock().now);
    const app = appWith(forgeAuth(), failures);
    const other = await forge.token({ app: { installationId: 'ari:cloud:ecosystem::installation/9999' } });
    await bearer(app, '/chat', `Bearer ${other}`).expect(403);
    await bearer(app, '/chat', `Bearer ${other}`).expect(403);
    // Budget intact: one wrong key is a 401, the next try a 429.
    await request(app).get('/chat').set('X-API-Key', 'wrong').expect(401);
    await request(app).get('/chat').set('X-API-Key', 'admin-key').expect(429);
  });
});

describe('operatorCheck', () => {
  const operatorApp = (config: Config, failures?: RateLimiter) => {
    const isOperator = operatorCheck(config, failures);
    const app = express();
    app.get('/operator', (req, res) => {
      res.json({ operator: isOperator(req) });
    });
    return app;
  };
  const ask = (app: express.Express, key?: string) => {
    const r = request(app).get('/operator');
    return (key === undefined ? r : r.set('X-API-Key', key))
      .expect(200)
      .then((res) => res.body.operator as boolean);
  };

  it('is the local operator for anyone in open mode on loopback, nobody in open mode elsewhere', async () => {
    expect(await ask(operatorApp(loadConfig({})))).toBe(true);
    expect(await ask(operatorApp(loadConfig({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true' })))).toBe(
      false,
    );
  });

  it('is an admin key, not a chat key, a wrong key or none, when keys are configured (even on loopback)', async () => {
    const app = operatorApp(
      loadConfig({ API_KEYS: 'chat-key', ADMIN_API_KEYS: 'admin-key' }),
      new RateLimiter(100),
    );
    expect(await ask(app)).toBe(false);
    expect(await ask(app, 'admin-key')).toBe(true);
    expect(await ask(app, 'chat-key')).toBe(false);
    expect(await ask(app, 'admin-keyX')).toBe(false);
  });

  it('counts a wrong key as a failed authentication, and then refuses even the admin key', async () => {
    const clock = manualClock();
    const failures = new RateLimiter(1, 100, clock.now);
    const app = operatorApp(loadConfig({ API_KEYS: 'chat-key', ADMIN_API_KEYS: 'admin-key' }), failures);
    // A chat key and no key are not guesses.
    expect(await ask(app, 'chat-key')).toBe(false);
    expect(await ask(app)).toBe(false);
    expect(await ask(app, 'admin-key')).toBe(true);
    expect(await ask(app, 'guess')).toBe(false);
    expect(await ask(app, 'admin-key')).toBe(false);
    clock.advance(60_000);
    expect(await ask(app, 'admin-key')).toBe(true);
  });

  it('works without a budget', async () => {
    const app = operatorApp(loadConfig({ ADMIN_API_KEYS: 'admin-key' }));
    expect(await ask(app, 'guess')).toBe(false);
    expect(await ask(app, 'admin-key')).toBe(true);
  });
});

describe('requireJson', () => {
  const app = express();
  app.use(pinoHttp({ logger: createLogger('silent') }));
  app.post('/json', requireJson, (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler);

  it('lets a JSON body, an empty body, or no body through', async () => {
    await request(app).post('/json').send({ a: 1 }).expect(200);
    await request(app).post('/json').set('Content-Type', 'text/plain').send('').expect(200);
    await request(app).post('/json').expect(200);
  });

  it('refuses a body of another type (400), naming the type it got', async () => {
    const res = await request(app)
      .post('/json')
      .set('Content-Type', 'text/plain')
      .send('{"a":1}')
      .expect(400);
    expect(res.body).toEqual({
      error: { code: 'invalid_request', message: 'Content-Type must be application/json, not "text/plain"' },
    });
    const form = await request(app).post('/json').type('form').send({ a: '1' }).expect(400);
    expect(form.body.error.message).toBe(
      'Content-Type must be application/json, not "application/x-www-form-urlencoded"',
    );
  });

  it('refuses a chunked body or one without a type, though no Content-Length announces it', async () => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      const chunked = await rawRequest(base, {
        method: 'POST',
        path: '/json',
        // Node frames the body in chunks itself once the header says so.
        headers: { 'transfer-encoding': 'chunked', 'content-type': 'text/plain' },
        body: 'abc',
      });
      expect(chunked.status).toBe(400);
      const untyped = await rawRequest(base, {
        method: 'POST',
        path: '/json',
        headers: { 'content-length': '7' },
        body: '{"a":1}',
      });
      expect(untyped.status).toBe(400);
      expect(JSON.parse(untyped.body)).toEqual({
        error: { code: 'invalid_request', message: 'Content-Type must be application/json, not "none"' },
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
