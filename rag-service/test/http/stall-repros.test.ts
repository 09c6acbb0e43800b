import request from 'supertest';
import { conversionsInWorkers } from '../../src/ingest/convert/text-converter.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { startTestService, type TestService } from '../helpers/service.js';

/**
 * The inputs a security review found to stop the whole service for seconds to minutes (a Jira description
 * or history turn of one long run: 27–124 s; a 6 KB upload of one long "word": 27 s). Each must now get a
 * normal answer while `/healthz` keeps answering. What keeps them cheap is asserted, not timed (a loaded
 * machine would fail a time bound; `bench --suites hostile` measures the real figures): a document is
 * parsed on a converter thread (counted), a long field reaches the model cut to its budget, and a long word
 * is cut into the chunk budget. The fence check's linear cost is its own unit test (prompt.test.ts).
 */
describe('inputs that once stalled the service', () => {
  let model: OpenAITestServer;
  let t: TestService;

  beforeAll(async () => {
    model = await new OpenAITestServer().start();
    t = await startTestService({
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
      EMBEDDINGS_PROVIDER: 'none',
    });
    await t.synced;
  });
  afterAll(async () => {
    await t.close();
    await model.close();
  });

  /**
   * Runs `work` while polling `/healthz`: its result, how many health answers came while it was still
   * pending (in order of events, not timed), and how many documents went to a converter thread meanwhile.
   */
  async function whileWatchingHealth<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T; healthAnswers: number; inWorkers: number }> {
    const probe = { done: false, pending: true, healthAnswers: 0 };
    const converted = conversionsInWorkers();
    const watching = (async () => {
      while (!probe.done) {
        await fetch(`${t.url}/healthz`).then((r) => r.arrayBuffer());
        if (probe.pending) probe.healthAnswers++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      const result = await work();
      probe.pending = false;
      probe.done = true;
      await watching;
      return { result, healthAnswers: probe.healthAnswers, inWorkers: conversionsInWorkers() - converted };
    } finally {
      probe.done = true;
      await watching;
    }
  }

  const chat = (body: object) => request(t.url).post('/api/v1/chat').send(body);

  it('answers a Jira chat whose description is 32,000 characters of one run', async () => {
    const { result, healthAnswers } = await whileWatchingHealth(() =>
      chat({
        message: 'Draft a reply',
        context: {
          product: 'jira',
          issue: { key: 'SUP-7', summary: 'Upload fails', description: 'a'.repeat(32_000) },
        },
      }),
    );
    expect(result.status).toBe(200);
    expect(typeof result.body.answer).toBe('string');
    expect(healthAnswers).toBeGreaterThan(0);
    // The description reached the model fenced and cut, not whole.
    const prompt = JSON.stringify(model.requestsTo(/chat\/completions/).at(-1)?.body);
    expect(prompt).toContain('<issue>');
    expect(prompt).not.toContain('a'.repeat(2000));
  }, 20_000);

  it('answers a chat whose history holds a 16,000-character run', async () => {
    const { result, healthAnswers } = await whileWatchingHealth(() =>
      chat({
        message: 'How do I reindex the knowledge base?',
        history: [
          { role: 'user', content: 'x'.repeat(16_000) },
          { role: 'assistant', content: 'I do not know.' },
        ],
      }),
    );
    expect(result.status).toBe(200);
    expect(healthAnswers).toBeGreaterThan(0);
    // The turn reached the model cut to the history's budget, not whole.
    const prompt = JSON.stringify(model.requestsTo(/chat\/completions/).at(-1)?.body);
    expect(prompt).toContain('x'.repeat(100));
    expect(prompt).not.toContain('x'.repeat(16_000));
  }, 20_000);

  it('answers a question of spaces around a tag name (the fence check was cubic: 27 s)', async () => {
    const { result, healthAnswers } = await whileWatchingHealth(() =>
      chat({ message: `<${' '.repeat(1330)}context${' '.repeat(2650)}x` }),
    );
    expect(result.status).toBe(200);
    expect(healthAnswers).toBeGreaterThan(0);
  }, 20_000);

  it('indexes 21 KB of Markdown emphasis runs (marked took 17 s on the event loop)', async () => {
    const { result, healthAnswers, inWorkers } = await whileWatchingHealth(() =>
      request(t.url)
        .post('/api/v1/documents')
        .attach('file', Buffer.from(`# Runs\n\n${' *a'.repeat(7000)}`), 'runs.md'),
    );
    expect(result.status).toBe(201);
    expect(result.body.title).toBe('Runs');
    // marked ran on a converter thread, not on the event loop the health probe needs.
    expect(inWorkers).toBe(1);
    expect(healthAnswers).toBeGreaterThan(0);
  }, 20_000);

  it.each([6_000, 10_000, 200_000])(
    'indexes an upload of one %i-character word, within the chunk budget',
    async (size) => {
      const { result, healthAnswers, inWorkers } = await whileWatchingHealth(() =>
        request(t.url)
          .post('/api/v1/documents')
          .attach('file', Buffer.from('q'.repeat(size)), `long-word-${size}.txt`),
      );
      expect(result.status).toBe(201);
      // Cut into chunks of the budget's size, each tokenised on its own: the word is never tokenised whole.
      expect(result.body.chunks).toBe(Math.ceil(size / 700));
      expect(inWorkers).toBe(1);
      expect(healthAnswers).toBeGreaterThan(0);
    },
    20_000,
  );
});
