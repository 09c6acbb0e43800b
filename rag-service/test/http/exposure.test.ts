import { readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { ErrorBody, Readiness } from '@kb/contracts';
import { WEB_DIR } from '../../src/web/location.js';
import { startTestService, useTestService, type TestService } from '../helpers/service.js';

const KEYS = { chat: 'chat-key', admin: 'admin-key' };

const readiness = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/readyz`, { headers });
  return { text: await res.clone().text(), body: Readiness.parse(await res.json()) };
};

/** What the service shows to whoever asks without credentials: verdicts, not the layout behind them. */
describe('readiness detail', () => {
  const t = useTestService({ API_KEYS: KEYS.chat, ADMIN_API_KEYS: KEYS.admin });

  it('gives strangers and chat keys the verdicts only: no paths, URLs or model names', async () => {
    for (const headers of [{}, { 'x-api-key': KEYS.chat }] as Record<string, string>[]) {
      const { text, body } = await readiness(t.url, headers);
      expect(body).toEqual({
        status: 'ok',
        checks: { store: { status: 'ok' }, llm: { status: 'ok' }, embeddings: { status: 'ok' } },
      });
      expect(text).not.toContain(t.dataDir);
    }
  });

  it('gives an admin key the detail', async () => {
    const { body } = await readiness(t.url, { 'x-api-key': KEYS.admin });
    expect(body.checks.store.detail).toContain(t.dataDir);
    expect(body.checks.llm.detail).toMatch(/extractive/);
  });

  describe('in open mode on loopback', () => {
    const local = useTestService();

    it('gives the detail to the local operator', async () => {
      expect((await readiness(local.url)).body.checks.store.detail).toContain(local.dataDir);
    });
  });

  describe('in open mode on a non-loopback address (ALLOW_UNAUTHENTICATED)', () => {
    // Listens on 127.0.0.1 like every test service; HOST is what tells the service it is reachable from afar.
    const exposed = useTestService({ HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true' });

    it('gives whoever asks the verdicts only: the caller is not the operator at their machine', async () => {
      const { text, body } = await readiness(exposed.url);
      expect(body).toEqual({
        status: 'ok',
        checks: { store: { status: 'ok' }, llm: { status: 'ok' }, embeddings: { status: 'ok' } },
      });
      expect(text).not.toContain(exposed.dataDir);
      expect(text).not.toMatch(/extractive/);
    });
  });
});

describe('/docs/assets', () => {
  const t = useTestService();

  it('serves the Swagger UI files the API page loads, and they are all it loads from there', async () => {
    const page = await readFile(path.join(WEB_DIR, 'api-docs.html'), 'utf8');
    const assets = [...page.matchAll(/"(\/docs\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.sort()).toEqual(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css']);
    for (const asset of assets)
      expect([asset, (await fetch(`${t.url}${asset}`)).status]).toEqual([asset, 200]);
  });

  it.each(['index.html', 'swagger-initializer.js', 'package.json', 'oauth2-redirect.html', 'swagger-ui.js'])(
    'does not serve the rest of swagger-ui-dist: %s → 404',
    async (file) => {
      const res = await fetch(`${t.url}/docs/assets/${file}`);
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(await res.json()).error.code).toBe('not_found');
    },
  );
});

describe('request logs', () => {
  let logged = '';
  let t: TestService;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.toString();
        done();
      },
    });
    t = await startTestService({ LOG_LEVEL: 'info' }, { logTo: sink });
    await t.synced;
  });
  afterAll(() => t.close());

  it('never carry a secret a client put in the query string', async () => {
    const secrets = ['s3cr3t-a', 's3cr3t-b', 's3cr3t-c', 's3cr3t-d', 's3cr3t-e', 's3cr3t-f', 's3cr3t-g'];
    const names = ['api_key', 'APIKEY', 'Key', 'token', 'Access_Token', 'password', 'SECRET'];
    const query = names.map((n, i) => `${n}=${secrets[i]!}`).join('&');
    const res = await fetch(`${t.url}/api/v1/admin/jobs?limit=5&${query}`, {
      headers: { 'x-request-id': 'query-secrets' },
    });
    expect(res.status).toBe(200);
    // The line is written when the response finishes, which may be a moment after the client has it.
    for (let i = 0; i < 100 && !logged.includes('query-secrets'); i++)
      await new Promise((r) => setTimeout(r, 20));
    const line = logged.split('\n').find((l) => l.includes('query-secrets'))!;
    expect(line).toBeDefined();
    for (const secret of secrets) expect(logged).not.toContain(secret);
    const url = (JSON.parse(line) as { req: { url: string } }).req.url;
    expect(url).toBe(`/api/v1/admin/jobs?limit=5&${names.map((n) => `${n}=[redacted]`).join('&')}`);
  });
});

describe('a DATA_DIR the service makes', () => {
  const fresh = path.join(os.tmpdir(), `kb-fresh-${process.pid}-${Date.now()}`, 'data');
  const t = useTestService({ DATA_DIR: fresh });
  afterAll(() => rm(path.dirname(fresh), { recursive: true, force: true }));

  it('is the service’s alone: the index holds restricted pages’ text', async () => {
    await t.synced;
    expect((await stat(fresh)).mode & 0o777).toBe(0o700);
    expect((await stat(path.dirname(fresh))).mode & 0o777).toBe(0o700);
  });
});
