import { DocumentView, ErrorBody } from '@kb/contracts';
import request from 'supertest';
import { startTestService, type TestService } from '../helpers/service.js';

const path = (id: string) => `/api/v1/documents/${encodeURIComponent(id)}`;

describe('GET /api/v1/documents/{id}: a source opened from an answer', () => {
  let t: TestService;
  afterEach(() => t.close());

  it('shows a file the chat cited, at the section the source names', async () => {
    t = await startTestService();
    await t.synced;
    const chat = await request(t.url).post('/api/v1/chat').send({ message: 'How do I reindex?' }).expect(200);
    const source = (chat.body as { sources: { id: string; title: string }[] }).sources[0]!;
    const docId = source.id.replace(/#\d+$/, '');
    expect(docId).toMatch(/^file:/);

    const res = await request(t.url).get(path(docId)).expect(200);
    // The same without encoding: a path's slashes as they are.
    const plain = await request(t.url).get(`/api/v1/documents/${docId}`).expect(200);
    expect(plain.body).toEqual(res.body);
    const view = DocumentView.parse(res.body);
    expect(view.id).toBe(docId);
    expect(view.source).toBe('files');
    expect(res.headers['cache-control']).toBe('private, no-cache');
    // The cited passage is one of its sections, under the heading the source's title names.
    const section = view.sections.find((s) => s.id === source.id);
    expect(section).toBeDefined();
    expect(source.title).toContain(view.title);
    const stored = await t.service.store.documentRecord(docId);
    expect(view.sectionCount).toBe(stored!.chunks);
    expect(view.indexedAt).toBe(stored!.indexedAt);
    expect(view.location).toBe(stored!.url);
    expect(view.sections).toHaveLength(stored!.chunks);
  });

  it('shows an upload, under the id its upload answered with', async () => {
    t = await startTestService();
    await t.synced;
    const upload = await request(t.url)
      .post('/api/v1/documents')
      .attach(
        'file',
        Buffer.from('# Runbook\n\n## Failover\n\nPromote the replica, then repoint the DNS.\n'),
        'runbook.md',
      )
      .expect(201);
    const id = (upload.body as { id: string }).id;
    expect(id).toMatch(/^upload:local\//);
    const res = await request(t.url).get(path(id)).expect(200);
    expect((await request(t.url).get(`/api/v1/documents/${id}`).expect(200)).body).toEqual(res.body);
    expect(DocumentView.parse(res.body)).toMatchObject({
      title: 'Runbook',
      source: 'upload',
      sections: [
        { headingPath: ['Runbook', 'Failover'], text: 'Promote the replica, then repoint the DNS.' },
      ],
    });
  });

  it('never shows a Confluence page, and answers for one exactly as for a document that does not exist', async () => {
    t = await startTestService();
    await t.synced;
    const page = 'confluence:page:9001';
    await t.service.store.replaceDocuments([
      {
        record: {
          id: page,
          source: 'confluence',
          title: 'Salaries 2027',
          url: 'https://example.atlassian.net/wiki/spaces/HR/pages/9001',
          hash: 'h',
          chunks: 1,
          spaceKey: 'HR',
          pageId: '9001',
          indexedAt: new Date().toISOString(),
        },
        chunks: [
          {
            id: `${page}#0`,
            docId: page,
            ordinal: 0,
            source: 'confluence',
            title: 'Salaries 2027',
            headingPath: ['Salaries 2027'],
            url: 'https://example.atlassian.net/wiki/spaces/HR/pages/9001',
            text: 'Restricted figures.',
            spaceKey: 'HR',
            pageId: '9001',
          },
        ],
      },
    ]);
    const restricted = await request(t.url).get(path(page)).expect(404);
    const missing = await request(t.url).get(path('confluence:page:9002')).expect(404);
    expect(ErrorBody.parse(restricted.body).error.code).toBe('not_found');
    expect(restricted.body).toEqual(missing.body);
    expect(JSON.stringify(restricted.body)).not.toContain('Restricted figures');
  });

  it('needs the credentials a question needs, and refuses an id no document could have', async () => {
    t = await startTestService({ API_KEYS: 'chat-key' });
    await t.synced;
    const [doc] = await t.service.store.listDocuments('files');
    await request(t.url).get(path(doc!.id)).expect(401);
    await request(t.url).get(path(doc!.id)).set('X-API-Key', 'wrong').expect(401);
    await request(t.url).get(path(doc!.id)).set('X-API-Key', 'chat-key').expect(200);
    for (const around of ['-1', 'two', '1.5']) {
      const bad = await request(t.url)
        .get(`${path(doc!.id)}?around=${around}`)
        .set('X-API-Key', 'chat-key')
        .expect(400);
      expect(ErrorBody.parse(bad.body).error.message).toMatch(/around/);
    }
    await request(t.url)
      .get(`${path(doc!.id)}?around=3`)
      .set('X-API-Key', 'chat-key')
      .expect(200);
    // The longest id allowed is looked up (and not found), one character more is refused.
    await request(t.url)
      .get(path(`file:${'a'.repeat(995)}`))
      .set('X-API-Key', 'chat-key')
      .expect(404);
    const long = await request(t.url)
      .get(path(`file:${'a'.repeat(1001)}`))
      .set('X-API-Key', 'chat-key')
      .expect(400);
    expect(ErrorBody.parse(long.body).error.code).toBe('invalid_request');
  });
});
