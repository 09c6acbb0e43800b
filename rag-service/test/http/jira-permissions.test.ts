import type { ChatResponse } from '@kb/contracts';
import { IndexStatus } from '@kb/contracts';
import request from 'supertest';
import { ConfluenceTestServer, type TestContent } from '../fakes/confluence-server.js';
import { ForgeSigner, TEST_APP_ID } from '../fakes/forge-signer.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { reindexConfluence, startTestService, type TestService } from '../helpers/service.js';

const ADMIN_KEY = 'admin-key-for-jira-tests';
const QUESTION = 'How do I restart the billing worker?';
const JIRA_INSTALLATION = 'ari:cloud:ecosystem::installation/jira-1';

/** One marker word per page: a marker in a prompt or a source proves that page reached it. */
const MARKERS = {
  open: 'marker-open-guide',
  locked: 'marker-locked-notes',
  nested: 'marker-nested',
  vault: 'marker-vault',
};

/**
 * A support agent in the Jira panel: the Forge call carries the Jira installation's user token and a Jira
 * API base. Confluence refuses that token (the test server does, as Confluence would), so the service asks
 * with its own account, per page, with the documented content permission check — which the test server
 * validates against the official v1 spec and answers by the same rule as for users (space permission, the
 * page's restriction, every ancestor's).
 */
describe('Jira-panel chats see exactly the Confluence pages the agent may read', () => {
  let confluence: ConfluenceTestServer;
  let model: OpenAITestServer;
  let forge: ForgeSigner;
  let t: TestService;
  let pages: Record<keyof typeof MARKERS, TestContent>;
  const agents = { lead: 'acc-lead', agent: 'acc-agent' };
  const jiraTokens: Record<string, string> = {};

  beforeAll(async () => {
    confluence = await new ConfluenceTestServer().start();
    model = await new OpenAITestServer().start();
    forge = await ForgeSigner.create();
    const ops = confluence.addSpace('OPS', 'Operations');
    const fin = confluence.addSpace('FIN', 'Finance');
    const body = (marker: string) =>
      `<h2>Billing worker</h2><p>To restart the billing worker, ${marker} gives the exact steps.</p>`;
    const open = confluence.addContent(ops, 'Restarting the billing worker', body(MARKERS.open));
    const locked = confluence.addContent(ops, 'Billing worker on-call notes', body(MARKERS.locked));
    const nested = confluence.addContent(ops, 'Billing worker escalation', body(MARKERS.nested), {
      parentId: locked.id,
    });
    const vault = confluence.addContent(fin, 'Billing worker credentials', body(MARKERS.vault));
    pages = { open, locked, nested, vault };
    for (const [name, account] of Object.entries(agents))
      jiraTokens[name] = confluence.permissions.addUser(account, 'jira');
    confluence.permissions.restrictRead(locked.id, [agents.lead]);
    confluence.permissions.restrictSpace('FIN', [agents.lead]);

    t = await startTestService({
      CONFLUENCE_URL: confluence.url,
      CONFLUENCE_USERNAME: confluence.email,
      CONFLUENCE_API_TOKEN: confluence.token,
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
      FORGE_APP_ID: TEST_APP_ID,
      FORGE_JWKS_URL: forge.jwksUrl,
      ADMIN_API_KEYS: ADMIN_KEY,
      FORGE_EXTRA_API_ORIGINS: confluence.url,
      LOG_LEVEL: 'warn',
    });
    await t.synced;
    expect(await reindexConfluence(t, ADMIN_KEY)).toMatchObject({
      state: 'succeeded',
      progress: { indexed: 4 },
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([confluence, model, forge].map((s) => s.close()));
  });
  beforeEach(() => {
    confluence.permissionChecks.length = 0;
    confluence.userSearches.length = 0;
    confluence.requests.length = 0;
    model.requests.length = 0;
  });

  /** A chat as the Jira panel sends it: a token of the Jira installation, naming Jira's API base. */
  async function askFromJira(accountId: string, token: string): Promise<ChatResponse> {
    const fit = await forge.token({
      principal: accountId,
      app: { id: TEST_APP_ID, installationId: JIRA_INSTALLATION, apiBaseUrl: confluence.jiraApiBaseUrl },
    });
    const res = await request(t.url)
      .post('/api/v1/chat')
      .set('Authorization', `Bearer ${fit}`)
      .set('x-forge-oauth-user', token)
      .send({
        message: QUESTION,
        context: { product: 'jira', issue: { key: 'SUP-7', summary: 'Billing down' } },
      })
      .expect(200);
    return res.body as ChatResponse;
  }

  const prompts = () => JSON.stringify(model.requestsTo(/chat\/completions/).map((r) => r.body));
  const markersIn = (text: string) =>
    Object.entries(MARKERS)
      .filter(([, marker]) => text.includes(marker))
      .map(([name]) => name)
      .sort();
  const pagesOf = (response: ChatResponse) =>
    new Set(response.sources.map((s) => s.pageId).filter((id): id is string => !!id));
  const notices = async () =>
    IndexStatus.parse(
      (await request(t.url).get('/api/v1/admin/index').set('X-API-Key', ADMIN_KEY).expect(200)).body,
    ).notices;

  it('the premise: Confluence refuses the Jira installation’s user token', async () => {
    const res = await fetch(
      `${confluence.apiBaseUrl}/wiki/rest/api/search?cql=${encodeURIComponent('id in (1)')}`,
      {
        headers: { authorization: `Bearer ${jiraTokens.agent}` },
      },
    );
    expect(res.status).toBe(401);
  });

  it('gives an agent the public pages only — never the restricted page, its child or the space they cannot view', async () => {
    const response = await askFromJira(agents.agent, jiraTokens.agent!);
    expect(pagesOf(response)).toEqual(new Set([pages.open.id]));
    expect(markersIn(JSON.stringify(response))).toEqual(['open']);
    expect(markersIn(prompts())).toEqual(['open']);
    expect(response.answer).not.toMatch(/left out/);
    // Asked by the service's account about this agent, page by page; the Jira token never went to Confluence.
    expect(new Set(confluence.permissionChecks.map((c) => c.accountId))).toEqual(new Set([agents.agent]));
    expect(new Set(confluence.permissionChecks.map((c) => c.id))).toEqual(
      new Set(Object.values(pages).map((p) => p.id)),
    );
    expect(confluence.userSearches).toEqual([]);
  });

  it('gives the lead, who may read everything, every page', async () => {
    const response = await askFromJira(agents.lead, jiraTokens.lead!);
    expect(pagesOf(response)).toEqual(new Set(Object.values(pages).map((p) => p.id)));
    expect(markersIn(prompts())).toEqual(['locked', 'nested', 'open', 'vault']);
  });

  it('caches the decisions like the as-the-user ones: a second turn asks Confluence nothing', async () => {
    const account = 'acc-cache';
    const token = confluence.permissions.addUser(account, 'jira');
    await askFromJira(account, token);
    expect(confluence.permissionChecks).toHaveLength(4);
    await askFromJira(account, token);
    expect(confluence.permissionChecks).toHaveLength(4);
  });

  it('retries a failing Confluence, then fails closed and says so', async () => {
    const account = 'acc-flaky';
    const token = confluence.permissions.addUser(account, 'jira');
    confluence.fail({ status: 500, only: /permission\/check$/, times: 40 });
    const response = await askFromJira(account, token);
    confluence.clearFaults();
    expect(pagesOf(response)).toEqual(new Set());
    expect(markersIn(prompts())).toEqual([]);
    expect(response.answer).toMatch(
      /^Some Confluence pages were left out of this answer: Confluence could not check your access \(HTTP 500\)\. Try again in a moment\./,
    );
    expect(
      confluence.requests.filter((r) => /permission\/check$/.test(r.path)).length,
    ).toBeGreaterThanOrEqual(3);
    // Failures are not cached: once Confluence answers, the agent gets what they may see.
    expect(pagesOf(await askFromJira(account, token))).toEqual(new Set([pages.open.id]));
  });

  it('while the service’s account is not a Confluence administrator: no page unchecked, one notice in the answer and on the admin status', async () => {
    const account = 'acc-no-admin';
    const token = confluence.permissions.addUser(account, 'jira');
    expect(await notices()).toEqual([]);
    confluence.serviceAccountIsAdmin = false;
    try {
      const response = await askFromJira(account, token);
      expect(pagesOf(response)).toEqual(new Set());
      expect(markersIn(prompts())).toEqual([]);
      expect(response.answer).toMatch(
        /^Some Confluence pages were left out of this answer: the service's Confluence account \(CONFLUENCE_USERNAME\) is not a Confluence administrator/,
      );
      expect(response.answer).not.toMatch(/Try again/);
      const said = await notices();
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/^Jira users see no Confluence pages: .*not a Confluence administrator/);
    } finally {
      confluence.serviceAccountIsAdmin = true;
    }
    // Granted: the next turn checks again, shows what the agent may read, and the notice goes.
    expect(pagesOf(await askFromJira(account, token))).toEqual(new Set([pages.open.id]));
    expect(await notices()).toEqual([]);
  });

  it('asked Confluence only in the shapes its official v1 spec allows', () => {
    expect(confluence.violations).toEqual([]);
  });
});
