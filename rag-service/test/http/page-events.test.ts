import type { ChatResponse } from '@kb/contracts';
import { ErrorBody, ForgeEventAccepted } from '@kb/contracts';
import request from 'supertest';
import { ConfluenceTestServer, type TestContent, type TestSpace } from '../fakes/confluence-server.js';
import { ForgeSigner, TEST_APP_ID, TEST_INSTALLATION_ID } from '../fakes/forge-signer.js';
import { reindexConfluence, startTestService, type TestService } from '../helpers/service.js';

const ADMIN_KEY = 'admin-key-for-events';
const READER_KEY = 'reader-key-for-events';

const storage = (marker: string) =>
  `<h2>Failover drill</h2><p>The failover drill for the payments cluster: ${marker} is the step to follow.</p>`;

/**
 * The Forge trigger forwards Confluence's page events to the service. Against the Confluence test server
 * (v2 requests and responses checked against the official spec): an edited page is answerable with its new
 * text within seconds, a trashed page leaves the answers, a burst is one sync, nothing re-lists a space, a
 * permissions change drops cached access decisions, and only the served installation's Forge tokens count.
 */
describe('page events from the Forge trigger keep the index fresh', () => {
  let confluence: ConfluenceTestServer;
  let forge: ForgeSigner;
  let t: TestService;
  let ops: TestSpace;
  let elsewhere: TestSpace;
  let docs: TestSpace;
  let drill: TestContent;
  let spare: TestContent;
  let outside: TestContent;

  // Each test builds its own site and service: events edit, trash and move pages, so a shared site would
  // hand each test what earlier ones left.
  beforeEach(async () => {
    confluence = await new ConfluenceTestServer().start();
    forge = await ForgeSigner.create();
    ops = confluence.addSpace('OPS', 'Operations');
    elsewhere = confluence.addSpace('HR', 'People');
    docs = confluence.addSpace('DOCS', 'Documentation');
    drill = confluence.addContent(ops, 'Failover drill', storage('marker-drill-v1'));
    spare = confluence.addContent(ops, 'Failover drill (spare copy)', storage('marker-spare'));
    outside = confluence.addContent(elsewhere, 'Failover drill for HR', storage('marker-outside'));
    t = await startTestService({
      CONFLUENCE_URL: confluence.url,
      CONFLUENCE_USERNAME: confluence.email,
      CONFLUENCE_API_TOKEN: confluence.token,
      CONFLUENCE_SPACES: 'OPS,DOCS',
      FORGE_APP_ID: TEST_APP_ID,
      FORGE_JWKS_URL: forge.jwksUrl,
      FORGE_INSTALLATION_IDS: TEST_INSTALLATION_ID,
      FORGE_EXTRA_API_ORIGINS: confluence.url,
      API_KEYS: READER_KEY,
      ADMIN_API_KEYS: ADMIN_KEY,
      API_KEY_CONFLUENCE_ACCESS: 'all',
      LOG_LEVEL: 'warn',
    });
    await t.synced;
    expect(await reindexConfluence(t, ADMIN_KEY)).toMatchObject({
      state: 'succeeded',
      progress: { indexed: 2 },
    });
    // What each test counts starts after the initial sync.
    confluence.requests.length = 0;
  });
  afterEach(async () => {
    await t.close();
    await Promise.all([confluence.close(), forge.close()]);
    // Asked Confluence only in the shapes its official specs allow.
    expect(confluence.violations).toEqual([]);
  });

  /** An event as Forge's trigger sends it to the remote endpoint: the payload, under an invocation token. */
  async function send(
    eventType: string,
    content: TestContent,
    options: { installationId?: string; prevSpace?: TestSpace; apiKey?: string } = {},
  ) {
    const space = confluence.spaces.find((s) => s.id === content.spaceId)!;
    const payload = {
      eventType,
      atlassianId: 'acc-editor',
      suppressNotifications: false,
      content: {
        id: content.id,
        type: content.kind,
        status: content.status,
        title: content.title,
        space: { id: Number(space.id), key: space.key, name: space.name },
        version: { number: content.version },
      },
      ...(options.prevSpace
        ? { prevContent: { id: content.id, space: { key: options.prevSpace.key } } }
        : {}),
    };
    const req = request(t.url).post('/api/v1/forge/events');
    if (options.apiKey) req.set('X-API-Key', options.apiKey);
    else {
      const fit = await forge.token({
        app: { id: TEST_APP_ID, installationId: options.installationId ?? TEST_INSTALLATION_ID },
      });
      req.set('Authorization', `Bearer ${fit}`);
    }
    return req.send(payload);
  }

  const ask = async (message: string) =>
    (await request(t.url).post('/api/v1/chat').set('X-API-Key', READER_KEY).send({ message }).expect(200))
      .body as ChatResponse;
  const snippets = async () => JSON.stringify((await ask('What is the failover drill step?')).sources);
  const listings = () =>
    confluence.requests.filter((r) => /\/spaces\/\d+\/(pages|blogposts)$|\/spaces$/.test(r.path));
  const fetchesOf = (c: TestContent) => confluence.requests.filter((r) => r.path.endsWith(`/pages/${c.id}`));

  it('makes an edited page answerable with its new text by the round the event queues, without listing a space', async () => {
    expect(await snippets()).toContain('marker-drill-v1');
    confluence.edit(drill.id, storage('marker-drill-v2'));
    const res = await send('avi:confluence:updated:page', drill);
    expect(res.status).toBe(202);
    expect(ForgeEventAccepted.parse(res.body)).toEqual({ status: 'queued' });
    // What happened, not how fast: once the queued round has run, the new text answers. (How long a round
    // waits to gather a burst is the queue's coalescing window, a constant of its own.)
    await t.service.pageEvents!.settled();
    expect(await snippets()).toContain('marker-drill-v2');
    expect(await snippets()).not.toContain('marker-drill-v1');
    expect(listings()).toEqual([]);
    expect(fetchesOf(drill)).toHaveLength(1);
    expect(confluence.requests.filter((r) => r.path.endsWith(`/pages/${spare.id}`))).toEqual([]);
  });

  it('leaves a page whose version has not changed as it is: read to learn its version, not re-indexed', async () => {
    const recordOf = async () =>
      (await t.service.store.listDocuments('confluence')).find((d) => d.pageId === drill.id);
    const before = await recordOf();
    expect(before).toBeDefined();
    expect((await send('avi:confluence:updated:page', drill)).status).toBe(202);
    await t.service.pageEvents!.settled();
    // The same record, down to when it was indexed: nothing was converted, embedded or written.
    expect(await recordOf()).toEqual(before);
    expect(fetchesOf(drill)).toHaveLength(1);
  });

  it('syncs a burst of events for one page once', async () => {
    confluence.edit(drill.id, storage('marker-drill-v3'));
    const sent = await Promise.all(
      Array.from({ length: 15 }, () => send('avi:confluence:updated:page', drill)),
    );
    expect(sent.map((r) => r.status)).toEqual(Array(15).fill(202));
    await t.service.pageEvents!.settled();
    expect(fetchesOf(drill)).toHaveLength(1);
    expect(await snippets()).toContain('marker-drill-v3');
  });

  it('takes a trashed page out of the answers', async () => {
    expect(await snippets()).toContain('marker-spare');
    confluence.trash(spare.id);
    expect((await send('avi:confluence:trashed:page', spare)).status).toBe(202);
    await t.service.pageEvents!.settled();
    expect(await snippets()).not.toContain('marker-spare');
    const docs = await t.service.store.listDocuments('confluence');
    expect(docs.map((d) => d.id)).not.toContain(`confluence:page:${spare.id}`);
    expect(listings()).toEqual([]);
  });

  it('ignores events for spaces outside CONFLUENCE_SPACES without asking Confluence', async () => {
    confluence.edit(outside.id, storage('marker-outside-v2'));
    const res = await send('avi:confluence:updated:page', outside);
    expect(res.status).toBe(202);
    expect(ForgeEventAccepted.parse(res.body)).toMatchObject({ status: 'ignored', reason: /does not index/ });
    await t.service.pageEvents!.settled();
    expect(confluence.requests).toEqual([]);
    expect(await snippets()).not.toContain('marker-outside');
  });

  it('removes a page moved out of the indexed spaces', async () => {
    const moving = confluence.addContent(ops, 'Failover drill, moving', storage('marker-moving'));
    await send('avi:confluence:created:page', moving);
    await t.service.pageEvents!.settled();
    expect(await snippets()).toContain('marker-moving');
    confluence.move(moving.id, { space: elsewhere });
    expect((await send('avi:confluence:moved:page', moving, { prevSpace: ops })).body).toEqual({
      status: 'queued',
    });
    await t.service.pageEvents!.settled();
    expect(await snippets()).not.toContain('marker-moving');
  });

  it('re-indexes a page moved to another indexed space under that space, even at the same version', async () => {
    const relocated = confluence.addContent(ops, 'Failover drill, relocated', storage('marker-relocated'));
    await send('avi:confluence:created:page', relocated);
    await t.service.pageEvents!.settled();
    confluence.move(relocated.id, { space: docs, keepVersion: true });
    await send('avi:confluence:moved:page', relocated, { prevSpace: ops });
    await t.service.pageEvents!.settled();
    const inSpace = async (key: string) => {
      const res = await request(t.url)
        .post('/api/v1/chat')
        .set('X-API-Key', READER_KEY)
        .send({ message: 'What is the failover drill step?', filters: { spaceKeys: [key] } })
        .expect(200);
      return JSON.stringify((res.body as ChatResponse).sources);
    };
    expect(await inSpace('DOCS')).toContain('marker-relocated');
    expect(await inSpace('OPS')).not.toContain('marker-relocated');
  });

  it('syncs a page whose parent is a folder, which the pages API cannot fetch', async () => {
    const filed = confluence.addContent(ops, 'Failover drill, filed', storage('marker-filed'), {
      parentId: '999999',
      parentType: 'folder',
    });
    await send('avi:confluence:created:page', filed);
    await t.service.pageEvents!.settled();
    expect(await snippets()).toContain('marker-filed');
  });

  it('deletes nothing for an event that names an indexed id as the wrong kind', async () => {
    const post = confluence.addContent(ops, 'Failover drill blog', storage('marker-blog'), {
      kind: 'blogpost',
    });
    await send('avi:confluence:created:blogpost', post);
    await t.service.pageEvents!.settled();
    expect(await snippets()).toContain('marker-blog');
    // Fetched as a page, the blog post's id is a 404: "gone" must not take the blog post with it.
    await send('avi:confluence:deleted:page', { ...post, kind: 'page' });
    await t.service.pageEvents!.settled();
    expect(await snippets()).toContain('marker-blog');
  });

  it('drops the cached access decisions for a page whose permissions changed', async () => {
    const account = 'acc-reader';
    const token = confluence.permissions.addUser(account);
    const askAsUser = async () => {
      const fit = await forge.token({
        principal: account,
        app: { id: TEST_APP_ID, installationId: TEST_INSTALLATION_ID, apiBaseUrl: confluence.apiBaseUrl },
      });
      const res = await request(t.url)
        .post('/api/v1/chat')
        .set('Authorization', `Bearer ${fit}`)
        .set('x-forge-oauth-user', token)
        .send({ message: 'What is the failover drill step?' })
        .expect(200);
      return (res.body as ChatResponse).sources.map((s) => s.pageId);
    };
    expect(await askAsUser()).toContain(drill.id);
    confluence.permissions.restrictRead(drill.id, ['acc-someone-else']);
    // Cached for a minute: without the event the reader would still get the page.
    expect(await askAsUser()).toContain(drill.id);
    expect((await send('avi:confluence:permissions_updated:page', drill)).body).toEqual({ status: 'queued' });
    expect(await askAsUser()).not.toContain(drill.id);
  });

  it('counts and logs a page that cannot be synced; the next event brings it in line', async () => {
    const metric = async () => {
      const text = (await request(t.url).get('/metrics').set('X-API-Key', ADMIN_KEY).expect(200)).text;
      return Number(/rag_page_syncs_total\{outcome="failed"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await metric();
    confluence.edit(drill.id, storage('marker-drill-v4'));
    confluence.fail({ status: 500, only: new RegExp(`/pages/${drill.id}$`), times: 20 });
    await send('avi:confluence:updated:page', drill);
    await t.service.pageEvents!.settled();
    confluence.clearFaults();
    expect(await metric()).toBe(before + 1);
    expect(await snippets()).not.toContain('marker-drill-v4');
    await send('avi:confluence:updated:page', drill);
    await t.service.pageEvents!.settled();
    expect(await snippets()).toContain('marker-drill-v4');
  });

  it('holds an event that comes during a reindex until the reindex ends, so the job cannot undo it', async () => {
    // The reindex's first listing is told to wait 3 s: the job is running while the event arrives.
    confluence.fail({ status: 429, retryAfter: '3', only: /\/spaces\/\d+\/pages$/, times: 1 });
    const started = await request(t.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN_KEY)
      .send({ source: 'confluence' })
      .expect(202);
    const jobId = started.body.jobId as string;
    while (listings().length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    confluence.edit(drill.id, storage('marker-drill-during-reindex'));
    expect((await send('avi:confluence:updated:page', drill)).body).toEqual({ status: 'queued' });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await t.service.jobs.get(jobId)).state).toBe('running');
    expect(fetchesOf(drill)).toEqual([]);
    await t.service.jobs.whenFinished(jobId);
    await t.service.pageEvents!.settled();
    expect(await snippets()).toContain('marker-drill-during-reindex');
  });

  it('takes events only from a Forge token of the served installation', async () => {
    const foreign = await send('avi:confluence:trashed:page', drill, {
      installationId: 'ari:cloud:ecosystem::installation/another-site',
    });
    expect(foreign.status).toBe(403);
    expect(ErrorBody.parse(foreign.body).error.message).toMatch(/another-site.*not served here/);
    const byKey = await send('avi:confluence:trashed:page', drill, { apiKey: ADMIN_KEY });
    expect(byKey.status).toBe(403);
    expect(ErrorBody.parse(byKey.body).error.message).toMatch(/only from the Forge app/);
    await t.service.pageEvents!.settled();
    expect(confluence.requests).toEqual([]);
  });

  it('answers a malformed event with a clear 400, and an unknown event type with "ignored"', async () => {
    const fit = await forge.token({ app: { id: TEST_APP_ID, installationId: TEST_INSTALLATION_ID } });
    const post = (body: unknown) =>
      request(t.url)
        .post('/api/v1/forge/events')
        .set('Authorization', `Bearer ${fit}`)
        .send(body as object);
    const noId = await post({ eventType: 'avi:confluence:updated:page', content: { type: 'page' } });
    expect(noId.status).toBe(400);
    expect(ErrorBody.parse(noId.body).error.message).toMatch(/content\.id/);
    const noType = await post({ content: { id: drill.id } });
    expect(noType.status).toBe(400);
    expect(ErrorBody.parse(noType.body).error.message).toMatch(/eventType/);
    const liked = await post({ eventType: 'avi:confluence:liked:page', content: { id: drill.id } });
    expect(liked.status).toBe(202);
    expect(liked.body).toMatchObject({ status: 'ignored' });
  });
});
