import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ChatResponse } from '@kb/contracts';
import request from 'supertest';
import { ConfluenceTestServer, type TestContent } from '../fakes/confluence-server.js';
import { ForgeSigner, TEST_APP_ID } from '../fakes/forge-signer.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

const ADMIN_KEY = 'admin-key-for-tests';
const QUESTION = 'How do I rotate the deploy keys?';

/** Each page says one marker word; a marker in a prompt or a source proves the page reached it. */
const MARKERS = {
  public: 'marker-public-alpha',
  runbook: 'marker-secret-runbook',
  child: 'marker-secret-child',
  space: 'marker-secret-space',
  file: 'marker-file-handbook',
} as const;

interface User {
  accountId: string;
  token: string;
}

type SitePages = Record<'public' | 'runbook' | 'child' | 'space', TestContent>;

/**
 * Two spaces with a public page, a runbook with a child, and a page in a second space. Built in the same
 * order on every test server, the pages get the same ids on each: page ids collide across sites.
 */
function buildSite(site: ConfluenceTestServer): SitePages {
  const eng = site.addSpace('ENG', 'Engineering');
  const sec = site.addSpace('SEC', 'Security');
  const page = (space: typeof eng, title: string, marker: string, parentId?: string) =>
    site.addContent(
      space,
      title,
      `<h2>Deploy keys</h2><p>To rotate the deploy keys, follow this page: ${marker} explains the steps.</p>`,
      { parentId },
    );
  const publicPage = page(eng, 'Rotating deploy keys', MARKERS.public);
  const runbook = page(eng, 'Deploy keys incident runbook', MARKERS.runbook);
  const child = page(eng, 'Deploy keys escalation', MARKERS.child, runbook.id);
  return { public: publicPage, runbook, child, space: page(sec, 'Deploy keys vault', MARKERS.space) };
}

/**
 * The permission filter through the whole service: Forge calls carry the user's token, the service asks the
 * Confluence test server (which applies space permissions, page restrictions and ancestors' restrictions)
 * as that user, and the OpenAI test server records every prompt, so a test can prove what never reached it.
 */
describe('answers respect each user’s Confluence permissions', () => {
  let confluence: ConfluenceTestServer;
  /** Another site with the same page ids, where the same account may see less. */
  let otherSite: ConfluenceTestServer;
  /** A server no Forge site API may point at: it must never see a user's token. */
  let stranger: ConfluenceTestServer;
  let model: OpenAITestServer;
  let forge: ForgeSigner;
  let t: TestService;
  let docs: { dir: string; remove(): Promise<void> };
  let pages: SitePages;
  let alice: User;
  let bob: User;
  let logged = '';

  beforeAll(async () => {
    confluence = await new ConfluenceTestServer().start();
    otherSite = await new ConfluenceTestServer().start();
    stranger = await new ConfluenceTestServer().start();
    model = await new OpenAITestServer().start();
    forge = await ForgeSigner.create();
    pages = buildSite(confluence);
    buildSite(otherSite);
    buildSite(stranger);

    alice = { accountId: 'acc-alice', token: confluence.permissions.addUser('acc-alice') };
    bob = { accountId: 'acc-bob', token: confluence.permissions.addUser('acc-bob') };
    // The runbook is restricted to Alice; its child has no restriction of its own, only its ancestor's.
    confluence.permissions.restrictRead(pages.runbook.id, [alice.accountId]);
    confluence.permissions.restrictSpace('SEC', [alice.accountId]);

    docs = await tempDir();
    await mkdir(docs.dir, { recursive: true });
    await writeFile(
      path.join(docs.dir, 'handbook.md'),
      `# Deploy keys\n\nTo rotate the deploy keys from the handbook, ${MARKERS.file} lists the steps.\n`,
    );
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    t = await startTestService(
      {
        DOCS_DIR: docs.dir,
        CONFLUENCE_URL: confluence.url,
        CONFLUENCE_USERNAME: confluence.email,
        CONFLUENCE_API_TOKEN: confluence.token,
        OPENAI_API_KEY: model.apiKey,
        OPENAI_BASE_URL: model.baseUrl,
        FORGE_APP_ID: TEST_APP_ID,
        FORGE_JWKS_URL: forge.jwksUrl,
        ADMIN_API_KEYS: ADMIN_KEY,
        // The test sites stand where Atlassian's gateway would; port 9 is a site that cannot be reached.
        FORGE_EXTRA_API_ORIGINS: `${confluence.url},${otherSite.url},http://127.0.0.1:9`,
        LOG_LEVEL: 'warn',
      },
      { logTo: sink },
    );
    await t.synced;
    const started = await request(t.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN_KEY)
      .send({ source: 'confluence' })
      .expect(202);
    const job = await t.service.jobs.whenFinished(started.body.jobId as string);
    expect(job).toMatchObject({ state: 'succeeded', progress: { indexed: 4 } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(
      [confluence, otherSite, stranger, model, forge].map((s) => s.close()).concat(docs.remove()),
    );
  });
  beforeEach(() => {
    confluence.userSearches.length = 0;
    model.requests.length = 0;
  });

  /** A chat as the Forge app sends it for `user`: the invocation token, and the user's own token. */
  async function askAs(
    user: User | undefined,
    body: object = { message: QUESTION },
    apiBaseUrl = confluence.apiBaseUrl,
    installationId = 'ari:cloud:ecosystem::installation/1',
  ): Promise<ChatResponse> {
    const fit = await forge.token({
      principal: user?.accountId,
      app: { id: TEST_APP_ID, installationId, apiBaseUrl },
    });
    const req = request(t.url).post('/api/v1/chat').set('Authorization', `Bearer ${fit}`);
    if (user) req.set('x-forge-oauth-user', user.token);
    return (await req.send(body).expect(200)).body as ChatResponse;
  }

  /** Everything the language model was sent since the test began: condensing and answering prompts. */
  const prompts = () => JSON.stringify(model.requestsTo(/chat\/completions/).map((r) => r.body));
  const markersIn = (text: string) =>
    Object.entries(MARKERS)
      .filter(([, marker]) => text.includes(marker))
      .map(([name]) => name)
      .sort();
  const sourcePages = (response: ChatResponse) => new Set(response.sources.map((s) => s.pageId));

  it('gives Alice, who may read everything, every page — in sources and in the prompt', async () => {
    const response = await askAs(alice);
    expect(sourcePages(response)).toEqual(
      new Set([pages.public.id, pages.runbook.id, pages.child.id, pages.space.id, undefined]),
    );
    expect(markersIn(prompts())).toEqual(['child', 'file', 'public', 'runbook', 'space']);
    expect(response.answer).not.toMatch(/left out/);
  });

  it('never gives Bob the restricted page, its child, or the space he cannot view — not even to the model', async () => {
    const response = await askAs(bob);
    expect(sourcePages(response)).toEqual(new Set([pages.public.id, undefined]));
    expect(markersIn(JSON.stringify(response))).toEqual(['file', 'public']);
    expect(markersIn(prompts())).toEqual(['file', 'public']);
    expect(model.requestsTo(/chat\/completions/).length).toBeGreaterThan(0);
  });

  it('asks Confluence once per chat on a cold cache, and not at all on a warm one', async () => {
    const carol = { accountId: 'acc-carol', token: confluence.permissions.addUser('acc-carol') };
    await askAs(carol);
    expect(confluence.userSearches).toHaveLength(1);
    expect(confluence.userSearches[0]).toMatchObject({ accountId: 'acc-carol' });
    expect(new Set(confluence.userSearches[0]!.ids)).toEqual(
      new Set([pages.public.id, pages.runbook.id, pages.child.id, pages.space.id]),
    );
    await askAs(carol);
    await askAs(carol, { message: 'Where are the deploy keys rotated?' });
    expect(confluence.userSearches).toHaveLength(1);
  });

  it('uses no Confluence content when Confluence refuses the check, and says so', async () => {
    const dave = { accountId: 'acc-dave', token: confluence.permissions.addUser('acc-dave') };
    confluence.fail({ status: 403, only: /\/search$/ });
    const response = await askAs(dave);
    expect(response.sources.filter((s) => s.pageId)).toEqual([]);
    expect(markersIn(prompts())).toEqual(['file']);
    expect(response.answer).toMatch(
      /^Some Confluence pages were left out of this answer: Confluence refused/,
    );
    // Nothing unverified was cached: once Confluence answers again, Dave gets what he may see.
    const again = await askAs(dave);
    expect(sourcePages(again)).toEqual(new Set([pages.public.id, undefined]));
  });

  it('retries a failing Confluence, then fails closed with a clear message', async () => {
    const erin = { accountId: 'acc-erin', token: confluence.permissions.addUser('acc-erin') };
    confluence.fail({ status: 500, only: /\/search$/, times: 10 });
    const response = await askAs(erin);
    confluence.clearFaults();
    expect(response.sources.filter((s) => s.pageId)).toEqual([]);
    expect(markersIn(prompts())).toEqual(['file']);
    expect(response.answer).toMatch(/Confluence could not check your access \(HTTP 500\)/);
    expect(confluence.requests.filter((r) => r.path.endsWith('/search')).length).toBeGreaterThanOrEqual(3);
  });

  it('uses no Confluence content when Confluence cannot be reached', async () => {
    const response = await askAs(alice, { message: QUESTION }, 'http://127.0.0.1:9/ex/confluence/x');
    // Decisions are cached per site: Alice has none on this one, and it cannot be asked.
    expect(response.sources.filter((s) => s.pageId)).toEqual([]);
    expect(markersIn(prompts())).toEqual(['file']);
    expect(response.answer).toMatch(/could not be reached/);
  });

  it('decides anew for the same account on another site: decisions are kept per site and account', async () => {
    expect(sourcePages(await askAs(alice))).toContain(pages.runbook.id);
    // On the other site the same account id belongs to someone who may see only the public page.
    const aliceThere = { accountId: alice.accountId, token: otherSite.permissions.addUser(alice.accountId) };
    otherSite.permissions.restrictRead(pages.runbook.id, ['acc-someone-else']);
    otherSite.permissions.restrictSpace('SEC', ['acc-someone-else']);
    model.requests.length = 0;
    const there = await askAs(aliceThere, { message: QUESTION }, otherSite.apiBaseUrl);
    expect(sourcePages(there)).toEqual(new Set([pages.public.id, undefined]));
    expect(markersIn(prompts())).not.toContain('runbook');
    expect(otherSite.userSearches).toHaveLength(1);
    // And the first site's decisions are still its own.
    expect(sourcePages(await askAs(alice))).toContain(pages.runbook.id);
  });

  it('decides anew for the same account and site in another installation: decisions are kept per installation', async () => {
    await askAs(alice);
    confluence.userSearches.length = 0;
    await askAs(alice); // warm: no question to Confluence
    expect(confluence.userSearches).toHaveLength(0);
    await askAs(alice, { message: QUESTION }, confluence.apiBaseUrl, 'ari:cloud:ecosystem::installation/2');
    expect(confluence.userSearches).toHaveLength(1);
  });

  it.each([
    ['a host of its own', () => stranger.apiBaseUrl],
    ['Atlassian’s gateway under another name', () => 'https://api.atlassian.com.example/ex/confluence/c1'],
    ['plain HTTP to the gateway', () => 'http://api.atlassian.com/ex/confluence/c1'],
    ['another path on the gateway', () => 'https://api.atlassian.com/ex/confluence/c1/wiki/rest/api'],
  ])(
    'never sends the user’s token to a site API outside the allowed ones (%s): no Confluence content, and a warning',
    async (_case, apiBaseUrl) => {
      logged = '';
      const response = await askAs(alice, { message: QUESTION }, apiBaseUrl());
      expect(stranger.requests).toEqual([]);
      expect(response.sources.filter((s) => s.pageId)).toEqual([]);
      expect(markersIn(prompts())).toEqual(['file']);
      expect(response.answer).toMatch(
        /^Confluence pages were left out of this answer: the Forge call named a site this service does not check access with/,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(logged).toContain('outside the allowed origins');
      expect(logged).not.toContain(alice.token);
    },
  );

  it('uses no Confluence content for a Forge call without the user token', async () => {
    const response = await askAs(undefined);
    expect(response.sources.filter((s) => s.pageId)).toEqual([]);
    expect(markersIn(prompts())).toEqual(['file']);
    expect(response.answer).toMatch(/^Confluence pages were left out of this answer: the app did not pass/);
    expect(confluence.userSearches).toHaveLength(0);
  });

  it('narrows to filters.spaceKeys inside the store query, and prefers the page’s space', async () => {
    const inEng = await askAs(alice, { message: QUESTION, filters: { spaceKeys: ['SEC'] } });
    expect(sourcePages(inEng)).toEqual(new Set([pages.space.id]));
    const onSecPage = await askAs(alice, {
      message: QUESTION,
      context: { product: 'confluence', spaceKey: 'SEC', pageId: pages.space.id },
    });
    expect(onSecPage.sources[0]!.pageId).toBe(pages.space.id);
  });

  it('asked Confluence only in the shape its official v1 spec allows', () => {
    expect(confluence.violations).toEqual([]);
  });
});

describe('callers without a user identity see what the operator allows', () => {
  let confluence: ConfluenceTestServer;
  const services: TestService[] = [];

  beforeAll(async () => {
    confluence = await new ConfluenceTestServer().start();
    for (const key of ['ENG', 'HR']) {
      confluence.addContent(
        confluence.addSpace(key),
        `${key} leave policy`,
        `<p>The ${key} leave policy: request leave in the portal.</p>`,
      );
    }
  });
  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    await confluence.close();
  });

  /** The spaces a chat's sources come from, on a service with `env`; with keys unless `keys` is false. */
  async function spacesSeen(env: Record<string, string>, keys = true): Promise<string[]> {
    const t = await startTestService({
      CONFLUENCE_URL: confluence.url,
      CONFLUENCE_USERNAME: confluence.email,
      CONFLUENCE_API_TOKEN: confluence.token,
      ...(keys ? { API_KEYS: 'chat-key', ADMIN_API_KEYS: 'admin-key' } : {}),
      ...env,
    });
    services.push(t);
    await t.synced;
    const as = (key: string) => (keys ? { 'X-API-Key': key } : {});
    const started = await request(t.url)
      .post('/api/v1/admin/reindex')
      .set(as('admin-key'))
      .send({ source: 'confluence' })
      .expect(202);
    await t.service.jobs.whenFinished(started.body.jobId as string);
    const res = await request(t.url)
      .post('/api/v1/chat')
      .set(as('chat-key'))
      .send({ message: 'How do I request leave?' })
      .expect(200);
    return [...new Set((res.body as ChatResponse).sources.flatMap((s) => s.spaceKey ?? []))].sort();
  }

  it('API keys: no space by default, all with "all", the listed ones otherwise — and asks Confluence nothing', async () => {
    expect(await spacesSeen({})).toEqual([]);
    expect(await spacesSeen({ API_KEY_CONFLUENCE_ACCESS: 'all' })).toEqual(['ENG', 'HR']);
    expect(await spacesSeen({ API_KEY_CONFLUENCE_ACCESS: 'HR' })).toEqual(['HR']);
    expect(confluence.userSearches).toHaveLength(0);
  });

  it('without credentials: every space on loopback (the operator), what API keys see beyond it', async () => {
    expect(await spacesSeen({}, false)).toEqual(['ENG', 'HR']);
    const proxied = { HOST: '0.0.0.0', ALLOW_UNAUTHENTICATED: 'true', ALLOWED_HOSTS: '*' };
    expect(await spacesSeen(proxied, false)).toEqual([]);
    expect(await spacesSeen({ ...proxied, API_KEY_CONFLUENCE_ACCESS: 'HR' }, false)).toEqual(['HR']);
  });
});
