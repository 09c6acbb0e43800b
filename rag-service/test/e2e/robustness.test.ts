import { ChatResponse, ErrorBody, TokenEvent } from '@kb/contracts';
import request from 'supertest';
import { malformedRequests, probeAll } from '../../src/bench/malformed.js';
import { ConfluenceTestServer } from '../fakes/confluence-server.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { QdrantTestServer } from '../fakes/qdrant-server.js';
import { parseSse, startTestService, type TestService } from '../helpers/service.js';

const KEYS = { chat: 'chat-key', admin: 'admin-key' };
const QUESTION = 'How do I reindex the knowledge base?';

/** Robustness at CI scale: malformed input, a crowd of streaming chats, and faults while answering. */
describe('robustness', () => {
  const model = new OpenAITestServer();
  const qdrant = new QdrantTestServer();
  const confluence = new ConfluenceTestServer();
  let t: TestService;
  /**
   * What each chat request leaves behind, held weakly: the server's request and response, and the turn's
   * budget signal (the turn's own state holds it). Anything kept per stream once it is over (a listener on
   * a long-lived emitter, a map entry, a closure kept somewhere) keeps one of them reachable.
   */
  const chatObjects: WeakRef<object>[] = [];

  beforeAll(async () => {
    await Promise.all([model.start(), qdrant.start(), confluence.start()]);
    const space = confluence.addSpace('ENG');
    for (let i = 0; i < 30; i++)
      confluence.addContent(space, `Runbook ${i}`, `<p>Step ${i} of the runbook.</p>`);
    t = await startTestService(
      {
        API_KEYS: KEYS.chat,
        ADMIN_API_KEYS: KEYS.admin,
        OPENAI_API_KEY: model.apiKey,
        OPENAI_BASE_URL: model.baseUrl,
        QDRANT_URL: qdrant.url,
        CONFLUENCE_URL: confluence.url,
        CONFLUENCE_USERNAME: confluence.email,
        CONFLUENCE_API_TOKEN: confluence.token,
        CHAT_TIMEOUT_MS: '5000',
      },
      {
        // Readiness is probed among the malformed requests; what it says under load is not this suite's subject.
        readinessProbeMs: 60_000,
        // This suite fires no budget: the fault tests below end by retries or by the store, not by time.
        chatBudgetSignal: () => {
          const signal = new AbortController().signal;
          chatObjects.push(new WeakRef(signal));
          return signal;
        },
        onRequest: (req, res) => {
          if (req.url === '/api/v1/chat') chatObjects.push(new WeakRef(req), new WeakRef(res));
        },
      },
    );
    await t.synced;
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([model.close(), qdrant.close(), confluence.close()]);
  });

  it('answers 1,200 malformed requests across every route with a 4xx in the contract’s shape, never a 5xx', async () => {
    const requests = malformedRequests(1200, KEYS);
    const outcomes = await probeAll(t.url, requests);
    expect(outcomes.filter((o) => o.problem).map((o) => `${o.request.name}: ${o.problem}`)).toEqual([]);
    const statuses = new Set(outcomes.map((o) => o.status));
    // The mix reached the routes' own checks, not only the authenticator.
    for (const status of [400, 401, 403, 404, 413]) expect(statuses).toContain(status);
    expect(new Set(requests.map((r) => r.name)).size).toBeGreaterThanOrEqual(12);
    // And the service still answers properly afterwards.
    await request(t.url)
      .post('/api/v1/chat')
      .set('X-API-Key', KEYS.chat)
      .send({ message: QUESTION })
      .expect(200);
  }, 120_000);

  it('serves 200 concurrent streaming chats without an error, and gives every turn back', async () => {
    const ask = async () => {
      const res = await fetch(`${t.url}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': KEYS.chat },
        body: JSON.stringify({ message: QUESTION }),
      });
      return parseSse(await res.text()).map((e) => e.event);
    };
    // The test script runs node with --expose-gc, so what is still reachable can be told after a collection.
    expect(typeof global.gc).toBe('function');
    const from = chatObjects.length;
    const streams = await Promise.all(Array.from({ length: 200 }, ask));
    expect(streams.filter((events) => events.at(-1) !== 'done' || events.includes('error'))).toEqual([]);
    expect(streams.every((events) => events[0] === 'sources')).toBe(true);
    const turns = chatObjects.slice(from);
    expect(turns).toHaveLength(3 * 200);
    // Nothing per stream is kept once the streams are over: every request, response and budget signal has
    // been collected. (A WeakRef is cleared only after the job that read it ends: a macrotask before each.)
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      global.gc!();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(turns.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  }, 120_000);

  it('faults mid-flight end as the contract says: model down, model cut mid-stream, store down', async () => {
    const json = () => request(t.url).post('/api/v1/chat').set('X-API-Key', KEYS.chat);
    model.fail({ kind: 'status', status: 500, times: 20, only: /chat\/completions/ });
    const down = await json().send({ message: QUESTION });
    model.clearFaults();
    expect(down.status).toBe(503);
    expect(ErrorBody.parse(down.body).error.code).toBe('upstream_unavailable');

    const tokensOf = (events: ReturnType<typeof parseSse>) =>
      events
        .filter((e) => e.event === 'token')
        .map((e) => TokenEvent.parse(e.data).text)
        .join('');
    const streamed = () => json().set('Accept', 'text/event-stream').buffer(true).send({ message: QUESTION });
    const whole = (await json().send({ message: QUESTION }).expect(200)).body.answer as string;

    // Cut before the first token: retried, and the stream ends in `done` only with the whole answer, the
    // one the model gives uncut, every word of it streamed.
    model.fail({ kind: 'cut', afterTokens: 0, only: /chat\/completions/ });
    const retried = parseSse((await streamed()).text);
    model.clearFaults();
    expect(retried.map((e) => e.event)).not.toContain('error');
    expect(retried.at(-1)!.event).toBe('done');
    expect(ChatResponse.parse(retried.at(-1)!.data).answer).toBe(whole);
    expect(tokensOf(retried)).toBe(whole);

    // Cut after tokens reached the client: a retry would repeat them, so the stream ends in an error, never
    // in `done` with half an answer. (Paced, so the first tokens are out before the cut.)
    model.tokenDelayMs = 30;
    model.fail({ kind: 'cut', afterTokens: 3, times: 20, only: /chat\/completions/ });
    const cut = parseSse((await streamed()).text);
    model.clearFaults();
    model.tokenDelayMs = 0;
    expect(tokensOf(cut).length).toBeGreaterThan(0);
    expect(whole.startsWith(tokensOf(cut))).toBe(true);
    expect(cut.map((e) => e.event)).not.toContain('done');
    expect(cut.at(-1)).toMatchObject({ event: 'error', data: { code: 'upstream_unavailable' } });

    qdrant.outage = 503;
    const storeDown = await json().send({ message: QUESTION });
    qdrant.outage = undefined;
    expect(storeDown.status).toBe(503);
    expect(ErrorBody.parse(storeDown.body).error.code).toBe('upstream_unavailable');
    await json().send({ message: QUESTION }).expect(200);
  }, 60_000);

  it('a Confluence sync waits out 429s and rides over 500s; a Confluence that stays down fails the job clearly', async () => {
    const sync = async () => {
      const res = await request(t.url)
        .post('/api/v1/admin/reindex')
        .set('X-API-Key', KEYS.admin)
        .send({ source: 'confluence' })
        .expect(202);
      return t.service.jobs.whenFinished(res.body.jobId as string);
    };
    // This test's counts are its own: a job an earlier test started (the malformed mix asks for reindexes)
    // ends first, and whatever was synced or not is brought up to date, without faults.
    const jobs = await request(t.url).get('/api/v1/admin/jobs').set('X-API-Key', KEYS.admin).expect(200);
    for (const job of jobs.body.jobs as { id: string; state: string }[])
      if (job.state === 'queued' || job.state === 'running') await t.service.jobs.whenFinished(job.id);
    expect((await sync()).state).toBe('succeeded');
    // Then pages of a new space, synced through the faults.
    const ops = confluence.addSpace('OPS');
    for (let i = 0; i < 10; i++) confluence.addContent(ops, `Playbook ${i}`, `<p>Play ${i}.</p>`);
    const before = confluence.requests.length;
    confluence.fail({ status: 429, retryAfter: '0', times: 3 });
    confluence.fail({ status: 500, times: 2 });
    expect(await sync()).toMatchObject({ state: 'succeeded', progress: { indexed: 10, failed: 0 } });
    const statuses = confluence.requests.slice(before).map((r) => r.status);
    expect([statuses.filter((s) => s === 429).length, statuses.filter((s) => s === 500).length]).toEqual([
      3, 2,
    ]);
    confluence.fail({ status: 503, times: 1000 });
    const failed = await sync();
    confluence.clearFaults();
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/Confluence/);
  }, 120_000);
});
