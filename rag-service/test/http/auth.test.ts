import { Writable } from 'node:stream';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import { useTestService } from '../helpers/service.js';

describe('API keys', () => {
  const t = useTestService({ API_KEYS: 'chat-key-1,chat-key-2', ADMIN_API_KEYS: 'admin-key' });

  const chat = () => request(t.url).post('/api/v1/chat').send({ message: 'reindex' });

  it('refuses a call without a key (401, contract JSON)', async () => {
    const res = await chat().expect(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('refuses a wrong key, and a bearer token when no FORGE_APP_ID is set', async () => {
    expect((await chat().set('X-API-Key', 'chat-key-3').expect(401)).body.error.code).toBe('unauthorized');
    const res = await request(t.url)
      .post('/api/v1/chat')
      .set('Authorization', 'Bearer abc')
      .send({ message: 'x' })
      .expect(401);
    expect(res.body.error.message).toContain('FORGE_APP_ID');
  });

  it('lets any chat key or the admin key ask', async () => {
    await chat().set('X-API-Key', 'chat-key-2').expect(200);
    await chat().set('X-API-Key', 'admin-key').expect(200);
  });

  it('keeps admin routes for admin keys (403 for a chat key)', async () => {
    const res = await request(t.url).get('/api/v1/admin/index').set('X-API-Key', 'chat-key-1').expect(403);
    expect(res.body.error.code).toBe('forbidden');
    await request(t.url).get('/api/v1/admin/index').expect(401);
    await request(t.url).get('/api/v1/admin/index').set('X-API-Key', 'admin-key').expect(200);
  });

  it('guards uploads too', async () => {
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('# x\n\ny'), 'x.md')
      .expect(401);
  });

  it('leaves health, the page and the API description open', async () => {
    await request(t.url).get('/healthz').expect(200);
    await request(t.url).get('/readyz').expect(200);
    await request(t.url).get('/').expect(200);
    await request(t.url).get('/openapi.json').expect(200);
  });
});

describe('secure by default', () => {
  it('refuses to listen beyond loopback without credentials', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/not a loopback address/);
  });

  it('never logs a key or a token', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        req: {
          headers: {
            authorization: 'Bearer secret-token',
            'x-api-key': 'secret-key',
            'x-forge-oauth-user': 'user-token',
          },
        },
      },
      'request',
    );
    log.info({ openai: { apiKey: 'sk-secret' }, confluence: { apiToken: 'atl-secret' } }, 'config');
    expect(logged).toContain('[redacted]');
    expect(logged).not.toMatch(/secret-token|secret-key|user-token|sk-secret|atl-secret/);
  });
});
