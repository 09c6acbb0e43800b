import { SuggestionList } from '@kb/contracts';
import request from 'supertest';
import { suggestionsFrom } from '../../src/http/routes/suggestions.js';
import type { DocumentRecord, VectorStore } from '../../src/store/vector-store.js';
import { startTestService, type TestService } from '../helpers/service.js';

const record = (
  id: string,
  source: DocumentRecord['source'],
  title: string,
  chunks: number,
): DocumentRecord => ({
  id,
  source,
  title,
  url: '',
  hash: 'h',
  chunks,
  indexedAt: '2026-12-07T00:00:00.000Z',
});

describe('suggested questions', () => {
  it('come from the documents folders alone, fullest first, each title once, at most four', async () => {
    const records = [
      record('file:a.md', 'files', 'Getting started', 3),
      record('file:b.md', 'files', 'Reindexing', 9),
      record('file:c.md', 'files', 'Configuration', 5),
      record('file:d.md', 'files', 'Configuration', 4),
      record('file:e.md', 'files', 'API keys', 5),
      record('file:f.md', 'files', 'Uploads', 1),
      record('confluence:page:1', 'confluence', 'Layoffs 2027 (restricted)', 50),
      record('upload:key-1/x.md', 'upload', 'My private notes', 40),
    ];
    const asked: (string | undefined)[] = [];
    const store = {
      listDocuments: (source?: string) => {
        asked.push(source);
        return Promise.resolve(records.filter((r) => r.source === source));
      },
    } as unknown as VectorStore;
    expect(await suggestionsFrom(store)).toEqual([
      { title: 'Reindexing', question: 'Tell me about Reindexing.' },
      { title: 'API keys', question: 'Tell me about API keys.' },
      { title: 'Configuration', question: 'Tell me about Configuration.' },
      { title: 'Getting started', question: 'Tell me about Getting started.' },
    ]);
    expect(asked).toEqual(['files']);
  });

  describe('GET /api/v1/suggestions', () => {
    let t: TestService;
    afterEach(() => t.close());

    it('answers with the sample documents’ titles, and never an upload’s', async () => {
      t = await startTestService();
      await t.synced;
      await request(t.url)
        .post('/api/v1/documents')
        .attach('file', Buffer.from('# Private upload\n\nMine alone, and long. '.repeat(200)), 'mine.md')
        .expect(201);
      const res = await request(t.url).get('/api/v1/suggestions').expect(200);
      const list = SuggestionList.parse(res.body);
      expect(list.suggestions).toHaveLength(4);
      const titles = list.suggestions.map((s) => s.title);
      expect(titles).not.toContain('Private upload');
      for (const s of list.suggestions) expect(s.question).toBe(`Tell me about ${s.title}.`);
      // Each title is a document of the sample folder.
      const index = await t.service.store.listDocuments('files');
      for (const title of titles) expect(index.map((d) => d.title)).toContain(title);
    });

    it('needs the same credentials as a question', async () => {
      t = await startTestService({ API_KEYS: 'chat-key' });
      await t.synced;
      await request(t.url).get('/api/v1/suggestions').expect(401);
      await request(t.url).get('/api/v1/suggestions').set('X-API-Key', 'chat-key').expect(200);
    });
  });
});
