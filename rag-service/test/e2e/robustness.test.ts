import { ErrorBody } from '@kb/contracts';
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

  beforeAll(async () => {
    await Promise.all([model.start(), qdrant.start(), confluence.start()]);
    const space = confluence.addSpace('ENG');
    for (let i = 0; i < 30; i++)
      confluence.addContent(space, `Runbook ${i}`, `<p>Step ${i} of the runbook.</p>`);
    t = await startTestService({
      API_KEYS: KEYS.chat,
      ADMIN_API_KEYS: KEYS.admin,
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
      QDRANT_URL: qdrant.url,
      CONFLUENCE_URL: confluence.url,
      CONFLUENCE_USERNAME: confluence.email,
      CONFLUENCE_API_TOKEN: confluence.token,
      CHAT_TIMEOUT_MS: '5000',
    });
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

  it('serves 200 concurrent streaming chats without an error, and gives the memory back', async () => {
    const ask = async () => {
      const res = await fetch(`${t.url}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': KEYS.chat },
        body: JSON.stringify({ message: QUESTION }),
      });
      return parseSse(await res.text()).map((e) => e.event);
    };
    // The test script runs node with --expose-gc, so the heap is measured after a full collection.
    expect(typeof global.gc).toBe('function');
    await ask();
    global.gc!();
    const before = process.memoryUsage().heapUsed;
    const streams = await Promise.all(Array.from({ length: 200 }, ask));
    expect(streams.filter((events) => events.at(-1) !== 'done' || events.includes('error'))).toEqual([]);
    expect(streams.every((events) => events[0] === 'sources')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    global.gc!();
    // Near baseline: nothing per stream is kept once the streams are over.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);

  it('faults mid-flight end as the contract says: model down, model cut mid-stream, store down', async () => {
    const json = () => request(t.url).post('/api/v1/chat').set('X-API-Key', KEYS.chat);
    model.fail({ kind: 'status', status: 500, times: 20, only: /chat\/completions/ });
    const down = await json().send({ message: QUESTION });
    model.clearFaults();
    expect(down.status).toBe(503);
    expect(ErrorBody.parse(down.body).error.code).toBe('upstream_unavailable');

    model.fail({ kind: 'cut', afterTokens: 2, times: 20, only: /chat\/completions/ });
    const cut = await json().set('Accept', 'text/event-stream').buffer(true).send({ message: QUESTION });
    model.clearFaults();
    const events = parseSse(cut.text);
    expect(events.at(-1)!.event).toMatch(/^(done|error)$/);
    if (events.at(-1)!.event === 'error')
      expect(events.at(-1)!.data).toMatchObject({ code: 'upstream_unavailable' });

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
    // Pages of a new space: earlier tests may already have synced the first one.
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
