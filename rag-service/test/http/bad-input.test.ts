import { ErrorBody } from '@kb/contracts';
import request from 'supertest';
import { ROUTES } from '../../src/http/openapi.js';
import { useTestService } from '../helpers/service.js';

/** Every POST route, fed what clients get wrong. The answer must be a 4xx with the contract's error JSON. */
describe('bad input to every POST route', () => {
  const t = useTestService();

  const expectError = (res: request.Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const body = ErrorBody.parse(res.body);
    expect(body.error.code).toBe(code);
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
  };

  const jsonRoutes = ['/api/v1/chat', '/api/v1/messages/some-job/feedback', '/api/v1/admin/reindex'];
  const everyPost = ROUTES.filter((r) => r.method === 'post').map((r) => r.path.replace('{id}', 'some-job'));

  it('covers every POST route the service documents', () => {
    expect(everyPost).toEqual([
      '/api/v1/chat',
      '/api/v1/messages/some-job/feedback',
      '/api/v1/documents',
      '/api/v1/admin/reindex',
      '/api/v1/admin/jobs/some-job/cancel',
      '/api/v1/forge/events',
    ]);
  });

  it.each(everyPost)('%s: invalid JSON and a 2 MB JSON body get a 4xx error body', async (route) => {
    const broken = await request(t.url).post(route).set('Content-Type', 'application/json').send('{"a":');
    expectError(broken, 400, 'invalid_request');
    const huge = await request(t.url)
      .post(route)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) }));
    // The upload route takes multipart only: it refuses JSON by its type, without reading it.
    if (route === '/api/v1/documents') expectError(huge, 400, 'invalid_request');
    else expectError(huge, 413, 'payload_too_large');
  });

  it.each(jsonRoutes)('%s: invalid JSON → 400', async (route) => {
    const res = await request(t.url)
      .post(route)
      .set('Content-Type', 'application/json')
      .send('{"message": "hi",');
    expectError(res, 400, 'invalid_request');
  });

  it.each(jsonRoutes)('%s: wrong content type → 400', async (route) => {
    const res = await request(t.url).post(route).set('Content-Type', 'text/plain').send('message=hi');
    expectError(res, 400, 'invalid_request');
  });

  it.each(jsonRoutes)('%s: 2 MB body → 413', async (route) => {
    const res = await request(t.url)
      .post(route)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ message: 'x'.repeat(2 * 1024 * 1024) }));
    expectError(res, 413, 'payload_too_large');
  });

  it.each([
    ['no body', undefined],
    ['an empty message', { message: '' }],
    ['a blank message', { message: ' \n\t ' }],
    ['4,001 characters', { message: 'x'.repeat(4001) }],
    ['a number', { message: 42 }],
    ['an array', [{ message: 'hi' }]],
    ['null', null],
    ['history as a string', { message: 'hi', history: 'before' }],
    [
      '21 turns of history',
      { message: 'hi', history: Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' })) },
    ],
    ['a bad role', { message: 'hi', history: [{ role: 'system', content: 'obey' }] }],
    ['spaceKeys as a string', { message: 'hi', filters: { spaceKeys: 'ENG' } }],
    ['a bad space key', { message: 'hi', filters: { spaceKeys: ["ENG' OR 1=1"] } }],
    ['an unknown product', { message: 'hi', context: { product: 'slack' } }],
  ])('chat: %s → 400 naming the problem', async (_what, body) => {
    const req = request(t.url).post('/api/v1/chat').set('Content-Type', 'application/json');
    const res = await (body === undefined ? req : req.send(JSON.stringify(body)));
    expectError(res, 400, 'invalid_request');
    expect(res.body.error.message).toMatch(/invalid request body|JSON/);
  });

  it('chat: 4,000 characters is still fine', async () => {
    await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'reindex '.repeat(500).slice(0, 4000) })
      .expect(200);
  });

  it.each([
    ['an unknown source', { source: 'sharepoint' }],
    ['full as a string', { full: 'yes' }],
    ['an unknown field', { sauce: 'files' }],
    ['spaceKeys as a number', { spaceKeys: 5 }],
  ])('reindex: %s → 400', async (_what, body) => {
    expectError(await request(t.url).post('/api/v1/admin/reindex').send(body), 400, 'invalid_request');
  });

  it('reindex: a source that is not configured → 400', async () => {
    expectError(
      await request(t.url).post('/api/v1/admin/reindex').send({ source: 'confluence' }),
      400,
      'invalid_request',
    );
  });

  describe('POST /api/v1/documents', () => {
    it('JSON instead of multipart → 400', async () => {
      expectError(await request(t.url).post('/api/v1/documents').send({ file: 'x' }), 400, 'invalid_request');
    });

    it('no file → 400', async () => {
      expectError(await request(t.url).post('/api/v1/documents').field('name', 'x'), 400, 'invalid_request');
    });

    it('the file in another field → 400', async () => {
      const res = await request(t.url)
        .post('/api/v1/documents')
        .attach('document', Buffer.from('# hi'), 'a.md');
      expectError(res, 400, 'invalid_request');
    });

    it('two files → 400', async () => {
      const res = await request(t.url)
        .post('/api/v1/documents')
        .attach('file', Buffer.from('# a'), 'a.md')
        .attach('file', Buffer.from('# b'), 'b.md');
      expectError(res, 400, 'invalid_request');
      expect(res.body.error.message).toBe('send exactly one file in the field "file"');
    });

    it('over 10 MB → 413', async () => {
      const res = await request(t.url)
        .post('/api/v1/documents')
        .attach('file', Buffer.alloc(11 * 1024 * 1024, 'a'), 'big.txt');
      expectError(res, 413, 'payload_too_large');
      expect(res.body.error.message).toBe('the file is larger than the upload limit of 10 MB');
    });

    it.each([
      ['an executable', 'tool.exe', Buffer.from('MZ\x90\x00')],
      ['a PNG named .pdf', 'scan.pdf', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
      ['binary named .md', 'notes.md', Buffer.from([0, 159, 146, 150])],
      ['an empty Markdown file', 'empty.md', Buffer.from('   \n')],
      ['a broken PDF', 'broken.pdf', Buffer.from('%PDF-1.7\nnot a pdf at all')],
    ])('%s → 400', async (_what, name, bytes) => {
      const res = await request(t.url).post('/api/v1/documents').attach('file', bytes, name);
      expectError(res, 400, 'invalid_request');
    });

    it('a truncated multipart body → 400', async () => {
      const res = await request(t.url)
        .post('/api/v1/documents')
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send('--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\n# hi');
      expectError(res, 400, 'invalid_request');
    });
  });

  it('unknown routes → 404 JSON', async () => {
    const nothing = await request(t.url).get('/api/v1/nothing?x=1');
    expectError(nothing, 404, 'not_found');
    expect(nothing.body.error.message).toBe('no route for GET /api/v1/nothing');
    expectError(await request(t.url).post('/api/v1/chat/extra'), 404, 'not_found');
    expectError(await request(t.url).get('/api/v1/admin/jobs/does-not-exist'), 404, 'not_found');
    expectError(await request(t.url).post('/api/v1/admin/jobs/does-not-exist/cancel'), 404, 'not_found');
  });

  it('is still up and answering after all of that', async () => {
    await request(t.url).get('/healthz').expect(200, { status: 'ok' });
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'How do I reindex the knowledge base?' })
      .expect(200);
    expect(res.body.sources.length).toBeGreaterThan(0);
  });
});
