import { IndexStatus, type Job } from '@kb/contracts';
import request from 'supertest';
import { ExtractiveAnswerer, LexicalCondenser } from '../../src/chat/extractive.js';
import { ConfluenceTestServer, type TestContent, type TestSpace } from '../fakes/confluence-server.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';
import { makePdf } from '../helpers/pdf.js';
import { startTestService, type TestService } from '../helpers/service.js';

const PAGES_PER_SPACE = 100;
const POSTS_PER_SPACE = 5;
const PER_SPACE = PAGES_PER_SPACE + POSTS_PER_SPACE;

function storage(space: string, i: number): string {
  return (
    `<h2>Overview of ${space} topic ${i}</h2><p>The ${space.toLowerCase()}topic${i} procedure keeps systems healthy.</p>` +
    `<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[run-${space.toLowerCase()}-${i} --safe]]></ac:plain-text-body></ac:structured-macro>` +
    `<table><tr><th>Setting</th><th>Value</th></tr><tr><td>retries</td><td>${i}</td></tr></table>`
  );
}

describe('Confluence sync through the whole service (confluence.js v2 against the spec-checked test server)', () => {
  // Each test builds its own site and service: none relies on what an earlier test synced or changed.
  let server: ConfluenceTestServer;
  let t: TestService;
  let embedder: HashingEmbedder;
  let spaces: TestSpace[];
  let pages: TestContent[];

  const sync = async (body: object = {}): Promise<Job> => {
    const res = await request(t.url)
      .post('/api/v1/admin/reindex')
      .send({ source: 'confluence', ...body })
      .expect(202);
    return t.service.jobs.whenFinished(res.body.jobId);
  };
  /** The state most tests start from: every space synced once, and nothing counted since. */
  const syncedOnce = async () => {
    expect(await sync()).toMatchObject({ state: 'succeeded', progress: { indexed: 3 * PER_SPACE } });
  };
  const ask = async (message: string) =>
    (await request(t.url).post('/api/v1/chat').send({ message }).expect(200)).body;

  beforeEach(async () => {
    embedder = new HashingEmbedder(64);
    spaces = [];
    pages = [];
    server = await new ConfluenceTestServer().start();
    server.maxPageSize = 25;
    for (const key of ['ENG', 'OPS', 'HR']) {
      const space = server.addSpace(key, `${key} handbook`);
      spaces.push(space);
      let parent: string | undefined;
      for (let i = 0; i < PAGES_PER_SPACE; i++) {
        const page = server.addContent(space, `${key} page ${i}`, storage(key, i), {
          parentId: i % 10 ? parent : undefined,
        });
        if (i % 10 === 0) parent = page.id;
        pages.push(page);
      }
      for (let i = 0; i < POSTS_PER_SPACE; i++)
        server.addContent(space, `${key} news ${i}`, `<p>${key} announcement ${i}.</p>`, {
          kind: 'blogpost',
        });
    }
    t = await startTestService(
      {
        CONFLUENCE_URL: server.url,
        CONFLUENCE_USERNAME: server.email,
        CONFLUENCE_API_TOKEN: server.token,
        CONFLUENCE_SPACES: 'ENG,OPS,HR',
      },
      { models: { answerer: new ExtractiveAnswerer(), condenser: new LexicalCondenser(), embedder } },
    );
    await t.synced;
  });
  afterEach(async () => {
    await t.close();
    await server.close();
    expect(server.violations).toEqual([]);
  });

  it('a full sync of 3 spaces and 315 documents succeeds with exactly the right counts, following every listing page', async () => {
    const job = await sync();
    expect(job).toMatchObject({
      state: 'succeeded',
      error: null,
      progress: { discovered: 3 * PER_SPACE, indexed: 3 * PER_SPACE, failed: 0, deleted: 0 },
    });
    for (const space of spaces) {
      const listings = server.requests.filter((r) => r.path.endsWith(`/spaces/${space.id}/pages`));
      // Versions first; then, with every page new, the bodies in bulk: each listing follows _links.next.
      expect(listings.filter((r) => !r.query.includes('body-format')).length).toBe(
        Math.ceil(PAGES_PER_SPACE / 25),
      );
      expect(listings.filter((r) => r.query.includes('body-format=storage')).length).toBe(
        Math.ceil(PAGES_PER_SPACE / 25),
      );
    }
    expect(server.bodyFetches()).toBe(0);
    const status = IndexStatus.parse((await request(t.url).get('/api/v1/admin/index').expect(200)).body);
    expect(
      status.bySource.filter((s) => s.source === 'confluence').map((s) => [s.spaceKey, s.documents]),
    ).toEqual([
      ['ENG', PER_SPACE],
      ['HR', PER_SPACE],
      ['OPS', PER_SPACE],
    ]);
  });

  it('a second sync indexes nothing, fetches no body and makes no embedding call', async () => {
    await syncedOnce();
    const calls = embedder.calls;
    const bodies = server.bodyFetches();
    const job = await sync();
    expect(job.progress).toMatchObject({ indexed: 0, unchanged: 3 * PER_SPACE, deleted: 0 });
    expect(embedder.calls).toBe(calls);
    expect(server.bodyFetches()).toBe(bodies);
  });

  it('answers from a Confluence page and links to that page, with its breadcrumb', async () => {
    await syncedOnce();
    const page = pages[13]!;
    const answer = await ask('What does the engtopic13 procedure do?');
    expect(answer.sources[0]).toMatchObject({
      pageId: page.id,
      spaceKey: 'ENG',
      title: 'ENG page 13 › Overview of ENG topic 13',
    });
    expect(answer.sources[0].url).toBe(
      `${server.url}/wiki/spaces/ENG/pages/${page.id}#Overview-of-ENG-topic-13`,
    );
    expect(answer.sources[0].snippet).toContain('run-eng-13 --safe');
  });

  it('editing one page re-indexes exactly that page: the new text answers, the old is gone', async () => {
    await syncedOnce();
    const page = pages[42]!;
    server.edit(page.id, '<h2>Rewritten</h2><p>The quetzal rotation now happens weekly.</p>');
    const job = await sync();
    expect(job.progress).toMatchObject({ indexed: 1, unchanged: 3 * PER_SPACE - 1 });
    expect((await ask('How often does the quetzal rotation happen?')).sources[0].pageId).toBe(page.id);
    const old = await ask('What does the engtopic42 procedure do?');
    expect(old.sources.map((s: { pageId?: string }) => s.pageId)).not.toContain(page.id);
  });

  it('deleting one page removes its chunks', async () => {
    await syncedOnce();
    const page = pages[7]!;
    server.contents.delete(page.id);
    expect((await sync()).progress).toMatchObject({ deleted: 1, indexed: 0 });
    const answer = await ask('What does the engtopic7 procedure do?');
    expect(answer.sources.map((s: { pageId?: string }) => s.pageId)).not.toContain(page.id);
  });

  it('text attachments become documents of their own, linked to their page; images and oversized files are left out', async () => {
    await syncedOnce();
    const page = pages[20]!;
    const pdf = server.addAttachment(
      page,
      'runbook.pdf',
      'application/pdf',
      makePdf([['The heron failover takes eleven minutes.']], 'Runbook'),
    );
    server.addAttachment(
      page,
      'notes.md',
      'text/markdown',
      Buffer.from('# Notes\n\nThe kestrel cache warms up at boot.'),
    );
    server.addAttachment(page, 'huge.txt', 'text/plain', Buffer.alloc(6 * 1024 * 1024, 'a'));
    server.addAttachment(page, 'diagram.png', 'image/png', Buffer.from([0x89, 0x50]));
    const job = await sync();
    expect(job.progress).toMatchObject({ indexed: 2, failed: 0 });
    const answer = await ask('How long does the heron failover take?');
    expect(answer.sources[0]).toMatchObject({
      id: `confluence:attachment:${pdf.id}#0`,
      title: 'runbook.pdf',
      pageId: page.id,
      spaceKey: 'ENG',
    });
    expect(answer.sources[0].url).toBe(
      `${server.url}/wiki/spaces/ENG/pages/${page.id}/attachments/${pdf.id}`,
    );
    expect((await ask('When does the kestrel cache warm up?')).sources[0].title).toBe('notes.md › Notes');
  });

  it('syncing one space never removes the others', async () => {
    await syncedOnce();
    const job = await sync({ spaceKeys: ['HR'] });
    expect(job.progress).toMatchObject({ discovered: PER_SPACE, deleted: 0, unchanged: PER_SPACE });
    expect(job.spaceKeys).toEqual(['HR']);
  });

  it('a mass disappearance trips the guard: the job fails, nothing is deleted; a full reindex confirms it', async () => {
    await syncedOnce();
    const ops = pages.filter((p) => p.spaceId === spaces[1]!.id).slice(0, 60);
    for (const p of ops) server.contents.delete(p.id);
    const guarded = await sync();
    expect(guarded.state).toBe('failed');
    expect(guarded.error).toMatch(/stopped before removing 60 of 105 documents of space OPS/);
    const before = IndexStatus.parse((await request(t.url).get('/api/v1/admin/index')).body);
    expect(before.bySource.find((s) => s.spaceKey === 'OPS')?.documents).toBe(PER_SPACE);
    const confirmed = await sync({ full: true });
    expect(confirmed).toMatchObject({ state: 'succeeded', progress: { deleted: 60 } });
  });

  it('survives a 429 storm, honouring Retry-After', async () => {
    await syncedOnce();
    server.fail({ status: 429, retryAfter: '0', times: 30 });
    server.fail({ status: 503, times: 3 });
    server.edit(pages[250]!.id, '<p>The ibis escalation path changed.</p>');
    const job = await sync();
    expect(job).toMatchObject({ state: 'succeeded', progress: { indexed: 1, failed: 0 } });
    expect(server.requests.filter((r) => r.status === 429).length).toBe(30);
  });

  it('cancelled mid-way and run again: everything indexed once, no duplicate chunks', async () => {
    await syncedOnce();
    // The embedding model lets three batches through, then holds the fourth until the job is cancelled:
    // the job is mid-way by construction, not because a slow model made it likely.
    let midway!: () => void;
    const reached = new Promise<void>((resolve) => (midway = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const from = embedder.calls;
    embedder.beforeBatch = async (previous) => {
      if (previous - from < 3) return;
      midway();
      await held;
    };
    const res = await request(t.url)
      .post('/api/v1/admin/reindex')
      .send({ source: 'confluence', full: true })
      .expect(202);
    await reached;
    expect((await t.service.jobs.get(res.body.jobId)).state).toBe('running');
    await request(t.url).post(`/api/v1/admin/jobs/${res.body.jobId}/cancel`).expect(202);
    embedder.beforeBatch = undefined;
    release();
    expect((await t.service.jobs.whenFinished(res.body.jobId)).state).toBe('cancelled');
    expect((await sync()).state).toBe('succeeded');
    const stats = await t.service.store.stats();
    const records = await t.service.store.listDocuments('confluence');
    expect(
      stats.chunks - (await t.service.store.listDocuments('files')).reduce((n, d) => n + d.chunks, 0),
    ).toBe(records.reduce((n, d) => n + d.chunks, 0));
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
  });
});

describe('Confluence errors say what is wrong, never "succeeded, 0 documents"', () => {
  let server: ConfluenceTestServer;
  beforeAll(async () => {
    server = await new ConfluenceTestServer().start();
    server.addContent(server.addSpace('ENG'), 'Only page', '<p>x</p>');
  });
  afterAll(() => server.close());

  it.each([
    ['a wrong space key', { CONFLUENCE_SPACES: 'ENG,NOPE' }, /space.*not found.*NOPE/],
    ['wrong credentials', { CONFLUENCE_API_TOKEN: 'wrong' }, /rejected the credentials \(401\)/],
    ['an unreachable site', { CONFLUENCE_URL: 'http://127.0.0.1:9' }, /Confluence \(spaces\) is unavailable/],
  ])('%s fails the job with a clear message', async (_what, env, message) => {
    const t = await startTestService({
      CONFLUENCE_URL: server.url,
      CONFLUENCE_USERNAME: server.email,
      CONFLUENCE_API_TOKEN: server.token,
      ...env,
    });
    try {
      await t.synced;
      const res = await request(t.url).post('/api/v1/admin/reindex').send({}).expect(202);
      const job = await t.service.jobs.whenFinished(res.body.jobId);
      expect(job).toMatchObject({ state: 'failed', source: 'confluence' });
      expect(job.error).toMatch(message);
    } finally {
      await t.close();
    }
  });
});
