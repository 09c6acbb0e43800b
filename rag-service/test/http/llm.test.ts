import { ChatResponse, SourcesEvent, TokenEvent } from '@kb/contracts';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { Indexer } from '../../src/ingest/indexer.js';
import { syncSource } from '../../src/ingest/sync.js';
import { createLogger } from '../../src/logging.js';
import { createModels } from '../../src/models/registry.js';
import { createService } from '../../src/service.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { IndexMismatchError } from '../../src/store/vector-store.js';
import { CHAT_RETRY } from '../../src/net/retry.js';
import { GeminiTestServer } from '../fakes/gemini-server.js';
import type { ModelServer, RecordedRequest } from '../fakes/model-server.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { parseSse, startTestService, type TestService } from '../helpers/service.js';
import { thousandChunkSource } from '../helpers/synthetic.js';
import { tempDir } from '../helpers/temp.js';

interface Provider {
  name: string;
  server: () => Promise<ModelServer>;
  env: (server: ModelServer) => Record<string, string>;
  chatPath: RegExp;
  embedPath: RegExp;
  llm: string;
  embeddings: string;
  batch: number;
  /** Whether a recorded chat request asked for a streamed answer. */
  streamed: (req: RecordedRequest) => boolean;
}

const PROVIDERS: Provider[] = [
  {
    name: 'OpenAI',
    server: () => new OpenAITestServer().start(),
    env: (s) => ({ OPENAI_API_KEY: s.apiKey, OPENAI_BASE_URL: s.baseUrl }),
    chatPath: /^\/v1\/chat\/completions$/,
    embedPath: /^\/v1\/embeddings$/,
    llm: 'openai:gpt-4o-mini',
    embeddings: 'openai:text-embedding-3-small',
    batch: 128,
    streamed: (req) => (req.body as { stream?: boolean }).stream === true,
  },
  {
    name: 'Gemini',
    server: () => new GeminiTestServer().start(),
    env: (s) => ({ GOOGLE_API_KEY: s.apiKey, GEMINI_BASE_URL: s.url }),
    chatPath: /:(streamGenerateContent|generateContent)/,
    embedPath: /:(batchEmbedContents|embedContent)$/,
    llm: 'gemini:gemini-2.5-flash',
    embeddings: 'gemini:gemini-embedding-001',
    batch: 100,
    streamed: (req) => req.path.includes(':streamGenerateContent'),
  },
];

const BUDGET_MS = 4000;
const REINDEX = 'How do I reindex the knowledge base?';

function sse(req: request.Test): request.Test {
  return req
    .set('Accept', 'text/event-stream')
    .buffer(true)
    .parse((res, cb) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => cb(null, data));
    });
}

describe.each(PROVIDERS)('$name through the whole service', (p) => {
  let server: ModelServer;
  let t: TestService;
  /** Each turn's budget, fired by the test rather than by a timer: "out of time" is then an event, not a wait. */
  const budgets: AbortController[] = [];
  beforeAll(async () => {
    server = await p.server();
    t = await startTestService(
      { ...p.env(server), CHAT_TIMEOUT_MS: String(BUDGET_MS) },
      {
        chatBudgetSignal: () => {
          const budget = new AbortController();
          budgets.push(budget);
          return budget.signal;
        },
      },
    );
    await t.synced;
  });
  afterAll(async () => {
    await t.close();
    await server.close();
  });
  beforeEach(() => {
    server.clearFaults();
    server.release();
    server.tokenDelayMs = 0;
  });
  const lastChatBody = () => JSON.stringify(server.requestsTo(p.chatPath).at(-1)?.body);

  it('streams the answer token by token; the prompt holds the retrieved passages; [n] resolves to a source', async () => {
    const res = await sse(request(t.url).post('/api/v1/chat').send({ message: REINDEX })).expect(200);
    const events = parseSse(res.body as string);
    expect(events[0]?.event).toBe('sources');
    const tokens = events.filter((e) => e.event === 'token').map((e) => TokenEvent.parse(e.data).text);
    expect(tokens.length).toBeGreaterThan(5);
    const done = ChatResponse.parse(events.at(-1)?.data);
    expect(tokens.join('')).toBe(done.answer);
    expect(done.model).toEqual({ llm: p.llm, embeddings: p.embeddings });
    expect(done.answer).toMatch(/\[1\]$/);
    const sources = SourcesEvent.parse(events[0]?.data).sources;
    expect(sources.length).toBeGreaterThan(1);
    expect(done.sources.find((s) => s.n === 1)?.cited).toBe(true);
    const prompt = lastChatBody();
    const flat = (text: string) => text.replace(/(?:\\n|\s)+/g, ' ');
    for (const s of sources)
      expect(flat(prompt)).toContain(flat(JSON.stringify(s.snippet.slice(0, 40)).slice(1, -1)));
    expect(prompt).toMatch(/only from the numbered passages/);
  });

  it('drops citation markers that point nowhere, alike in the stream and the JSON answer', async () => {
    const original = server.reply;
    server.reply = () => 'Use the admin page [1][9], or the API [2, 12].';
    try {
      const res = await sse(request(t.url).post('/api/v1/chat').send({ message: REINDEX })).expect(200);
      const events = parseSse(res.body as string);
      const streamed = events
        .filter((e) => e.event === 'token')
        .map((e) => TokenEvent.parse(e.data).text)
        .join('');
      const done = ChatResponse.parse(events.at(-1)?.data);
      expect(done.answer).toBe('Use the admin page [1], or the API [2].');
      expect(streamed).toBe(done.answer);
      expect(done.sources.filter((s) => s.cited).map((s) => s.n)).toEqual([1, 2]);
      const json = await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200);
      expect(json.body.answer).toBe(done.answer);
    } finally {
      server.reply = original;
    }
  });

  it('streams from the model only for a streaming client; a JSON client gets one whole model response', async () => {
    const asked = () => server.requestsTo(p.chatPath).at(-1)!;
    const json = await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200);
    expect(p.streamed(asked())).toBe(false);
    const res = await sse(request(t.url).post('/api/v1/chat').send({ message: REINDEX })).expect(200);
    expect(p.streamed(asked())).toBe(true);
    expect(ChatResponse.parse(parseSse(res.body as string).at(-1)?.data).answer).toBe(json.body.answer);
  });

  it('indexes and asks with the provider embeddings (hybrid retrieval)', async () => {
    const status = await request(t.url).get('/api/v1/admin/index').expect(200);
    expect(status.body.embeddings).toBe(p.embeddings);
    const before = server.requestsTo(p.embedPath).length;
    await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'Which port does the service use?' })
      .expect(200);
    expect(server.requestsTo(p.embedPath).length).toBe(before + 1);
  });

  it('two 429s, then success: the user gets the answer', async () => {
    server.fail({ kind: 'status', status: 429, retryAfter: '0', times: 2, only: p.chatPath });
    const before = server.requestsTo(p.chatPath).length;
    const res = await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200);
    expect(res.body.answer).toMatch(/According to the documentation/);
    expect(server.requestsTo(p.chatPath).length - before).toBe(3);
  });

  it('provider down: a clean 503 within the budget, and the service stays healthy', async () => {
    server.fail({ kind: 'status', status: 503, times: 1000, only: p.chatPath });
    const before = server.requestsTo(p.chatPath).length;
    const budgetsBefore = budgets.length;
    const res = await request(t.url).post('/api/v1/chat').send({ message: REINDEX });
    // Within the budget: the budget never fired (only the test fires it), so the 503 came from the retries
    // giving up, after the policy's attempts, not from running out of time.
    expect(budgets.slice(budgetsBefore).map((b) => b.signal.aborted)).toEqual([false]);
    expect(server.requestsTo(p.chatPath).length - before).toBe(CHAT_RETRY.attempts);
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({
      code: 'upstream_unavailable',
      message: expect.stringContaining(p.llm),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/\.ts:\d+|\.js:\d+|at /);

    const stream = await sse(request(t.url).post('/api/v1/chat').send({ message: REINDEX })).expect(200);
    const names = parseSse(stream.body as string).map((e) => e.event);
    expect(names).toEqual(['sources', 'error']);

    await request(t.url).get('/healthz').expect(200);
    const ready = await request(t.url).get('/readyz').expect(200);
    expect(ready.body).toMatchObject({ status: 'degraded', checks: { llm: { status: 'degraded' } } });
    server.clearFaults();
    await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200);
    expect((await request(t.url).get('/readyz')).body.status).toBe('ok');
  });

  it('embeddings down: the question is still answered, from lexical retrieval', async () => {
    server.fail({ kind: 'status', status: 503, times: 1000, only: p.embedPath });
    const res = await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200);
    expect(res.body.sources.length).toBeGreaterThan(0);
    expect(res.body.answer).toMatch(/According to the documentation/);
    const ready = await request(t.url).get('/readyz').expect(200);
    expect(ready.body.checks.embeddings.status).toBe('degraded');
  });

  it('a provider slower than the budget: the error comes at the budget, not later', async () => {
    server.fail({ kind: 'hold', times: 5, only: p.chatPath });
    const arrived = server.nextRequest(p.chatPath);
    const answered = request(t.url)
      .post('/api/v1/chat')
      .send({ message: REINDEX })
      .then((r) => r);
    const upstream = await arrived;
    // The model has the question and is still "thinking": the turn's budget runs out now.
    budgets.at(-1)!.abort();
    const res = await answered;
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/time budget/);
    // Not later: the model holds its request until the test releases it, so this answer came from the
    // service giving up at the budget; and it gave up, rather than trying the model again.
    expect(server.requestsTo(p.chatPath).at(-1)).toBe(upstream);
    if (p.name === 'OpenAI') {
      // The OpenAI client also hangs up on the model; LangChain's Gemini client leaves its request open.
      await server.closed(upstream);
      expect(upstream.aborted).toBe(true);
    }
  });

  it('a client that disconnects aborts the upstream request', async () => {
    server.tokenDelayMs = 150;
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ message: REINDEX }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: token')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    // Waits for the model's connection to close, however long that takes: closed before its last token
    // means aborted; left alone, the stream would end normally and `aborted` would stay false.
    const upstream = server.requestsTo(p.chatPath).at(-1)!;
    await server.closed(upstream);
    expect(upstream.aborted).toBe(true);
  });

  it('rewrites a follow-up with the history before retrieving', async () => {
    const before = server.requestsTo(p.chatPath).length;
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({
        message: 'and how long does that take?',
        history: [
          { role: 'user', content: REINDEX },
          { role: 'assistant', content: 'From the admin page [1].' },
        ],
      })
      .expect(200);
    const calls = server.requestsTo(p.chatPath).slice(before);
    expect(calls).toHaveLength(2);
    const condense = JSON.stringify(calls[0]?.body);
    expect(condense).toMatch(/standalone question/);
    expect(condense).toContain(REINDEX);
    expect(res.body.sources[0].title).toBe('Reindexing the knowledge base › How long does reindexing take?');
  });

  it('drafts a reply to a Jira issue from the knowledge base', async () => {
    await request(t.url)
      .post('/api/v1/chat')
      .send({
        message: 'Draft a reply to the customer',
        context: {
          product: 'jira',
          issue: { key: 'SUP-7', summary: 'Upload refused', description: 'My PDF upload is refused' },
        },
      })
      .expect(200);
    const prompt = lastChatBody();
    expect(prompt).toContain('reply the agent can send');
    expect(prompt).toContain('Jira issue SUP-7: Upload refused');
  });

  it(`ingesting 1,000 chunks makes ceil(1000 / ${p.batch}) embedding calls`, async () => {
    const tmp = await tempDir();
    const config = loadConfig({ ...p.env(server), DATA_DIR: tmp.dir });
    const { embedder } = await createModels(config);
    const store = await EmbeddedStore.open({
      dir: tmp.dir,
      identity: { embeddings: embedder!.id, dimensions: embedder!.dimensions },
    });
    try {
      const before = server.requestsTo(p.embedPath).length;
      const progress = await syncSource({
        source: thousandChunkSource(),
        store,
        indexer: new Indexer(store, embedder),
      });
      expect(progress.chunks).toBe(1000);
      expect(server.requestsTo(p.embedPath).length - before).toBe(Math.ceil(1000 / p.batch));
    } finally {
      await store.close();
      await tmp.remove();
    }
  });
});

describe('index consistency', () => {
  it('refuses to start on an index built without embeddings, telling the operator to run a full reindex', async () => {
    const tmp = await tempDir();
    const server = await new OpenAITestServer().start();
    const log = createLogger('silent');
    try {
      const lexical = await createService(loadConfig({ DATA_DIR: tmp.dir }), log);
      await lexical.close();
      const withEmbeddings = loadConfig({
        DATA_DIR: tmp.dir,
        OPENAI_API_KEY: server.apiKey,
        OPENAI_BASE_URL: server.baseUrl,
      });
      const err = await createService(withEmbeddings, log).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IndexMismatchError);
      expect((err as Error).message).toMatch(
        /built with embeddings "none".*openai:text-embedding-3-small.*ingest --full/s,
      );
    } finally {
      await server.close();
      await tmp.remove();
    }
  });
});
