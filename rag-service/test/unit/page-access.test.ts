import { createServer } from 'node:net';
import { pino } from 'pino';
import {
  AccessUnverifiedError,
  CHECK_BUDGET_MS,
  ConfluenceVisibility,
} from '../../src/access/confluence-visibility.js';
import {
  CannotCheckForOthersError,
  ContentPermissionCheck,
  NOT_ADMIN_NOTICE,
} from '../../src/access/content-permission-check.js';
import { DecisionCache } from '../../src/access/decision-cache.js';
import { PageAccess, type AccessPolicy, type Viewer } from '../../src/access/page-access.js';
import type { RetryPolicy } from '../../src/net/retry.js';
import type { Call } from '../../src/models/chat-model.js';
import { ConfluenceTestServer, type TestContent } from '../fakes/confluence-server.js';

const call = (): Call => ({ signal: new AbortController().signal, deadline: Date.now() + 30_000 });
/** CHECK_RETRY's shape with millisecond waits: the rules under test are the same, the tests faster. */
const QUICK: RetryPolicy = {
  attempts: 3,
  rateLimitAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 5,
  attemptTimeoutMs: 4000,
};

let server: ConfluenceTestServer;
/** OPS is open; `locked` (and `nested` below it) only the lead may read; FIN is the lead's alone. */
let pages: { open: TestContent; locked: TestContent; nested: TestContent; vault: TestContent };
const LEAD = 'acc-lead';
const AGENT = 'acc-agent';

beforeAll(async () => {
  server = await new ConfluenceTestServer().start();
  const ops = server.addSpace('OPS');
  const fin = server.addSpace('FIN');
  const open = server.addContent(ops, 'Open', '<p>x</p>');
  const locked = server.addContent(ops, 'Locked', '<p>x</p>');
  const nested = server.addContent(ops, 'Nested', '<p>x</p>', { parentId: locked.id });
  const vault = server.addContent(fin, 'Vault', '<p>x</p>');
  pages = { open, locked, nested, vault };
  server.permissions.addUser(LEAD, 'jira');
  server.permissions.addUser(AGENT, 'jira');
  server.permissions.restrictRead(locked.id, [LEAD]);
  server.permissions.restrictSpace('FIN', [LEAD]);
});
afterAll(() => server.close());
afterEach(() => {
  server.clearFaults();
  server.serviceAccountIsAdmin = true;
  server.onRequest = undefined;
  server.latencyMs = 0;
});

const account = () => ({ url: server.url, username: server.email, apiToken: server.token });
const allPages = () => Object.values(pages).map((p) => p.id);
/** The content ids of the permission checks made since `from` (an index into the server's requests). */
const checkedSince = (from: number) =>
  server.requests
    .slice(from)
    .flatMap((r) => /^\/wiki\/rest\/api\/content\/([^/]+)\/permission\/check$/.exec(r.path)?.[1] ?? []);

describe('ContentPermissionCheck: the service’s account asks, per page, what a Jira user may read', () => {
  it('admits exactly the pages each user may read — never a restricted page, its child or a closed space', async () => {
    const check = new ContentPermissionCheck(account(), QUICK, 2);
    expect(await check.visible(AGENT, allPages(), call())).toEqual(new Set([pages.open.id]));
    expect(await check.visible(LEAD, allPages(), call())).toEqual(new Set(allPages()));
  });

  it('asks about each page once, and about nothing that is not a content id', async () => {
    const check = new ContentPermissionCheck(account(), QUICK, 3);
    const from = server.requests.length;
    const asked = [...allPages(), pages.open.id, '12a', 'a12', '../1', ''];
    expect(await check.visible(LEAD, asked, call())).toEqual(new Set(allPages()));
    expect(checkedSince(from).sort()).toEqual(allPages().sort());
  });

  it('keeps at most its number of checks in flight at once', async () => {
    const inFlight = 2;
    const check = new ContentPermissionCheck(account(), QUICK, inFlight);
    const from = server.requests.length;
    const pending = () =>
      server.requests.slice(from).filter((r) => r.path.endsWith('/permission/check') && r.status === 0)
        .length;
    let most = 0;
    server.onRequest = () => {
      most = Math.max(most, pending());
    };
    // Slow answers: were more checks started at once, they would all be pending together.
    server.latencyMs = 30;
    expect(await check.visible(LEAD, allPages(), call())).toEqual(new Set(allPages()));
    expect(most).toBe(inFlight);
  });

  it('takes a page Confluence no longer has (404) as not visible, and decides the rest', async () => {
    const gone = server.addContent(server.spaces[0]!, 'Gone', '<p>x</p>');
    server.purge(gone.id);
    const check = new ContentPermissionCheck(account(), QUICK, 1);
    expect(await check.visible(LEAD, [gone.id, pages.open.id], call())).toEqual(new Set([pages.open.id]));
  });

  it('retries a passing failure', async () => {
    server.fail({ status: 500, only: /permission\/check$/ });
    const check = new ContentPermissionCheck(account(), QUICK);
    expect(await check.visible(AGENT, [pages.open.id], call())).toEqual(new Set([pages.open.id]));
  });

  it('retries a failing Confluence, then fails the whole check closed, saying so with the status', async () => {
    server.fail({ status: 500, only: /permission\/check$/, times: 100 });
    const check = new ContentPermissionCheck(account(), QUICK);
    const from = server.requests.length;
    const failing = check.visible(LEAD, [pages.open.id], call());
    await expect(failing).rejects.toThrow(AccessUnverifiedError);
    await expect(failing).rejects.toThrow('Confluence could not check your access (HTTP 500)');
    expect(checkedSince(from)).toHaveLength(QUICK.attempts);
    // Not the not-admin refusal: nothing for an admin to do.
    expect(check.notice).toBeUndefined();
  });

  it('says when Confluence refuses the service’s account, pointing at CONFLUENCE_API_TOKEN', async () => {
    const check = new ContentPermissionCheck({ ...account(), apiToken: 'wrong' }, QUICK);
    const failing = check.visible(LEAD, [pages.open.id], call());
    await expect(failing).rejects.toThrow(
      "Confluence refused the service's account while checking your access (HTTP 401: check CONFLUENCE_API_TOKEN)",
    );
    await expect(failing).rejects.toMatchObject({ name: 'AccessUnverifiedError' });
    expect(check.notice).toBeUndefined();
  });

  it('says when Confluence is rate limiting the checks', async () => {
    server.fail({ status: 429, retryAfter: '0', only: /permission\/check$/, times: 100 });
    const check = new ContentPermissionCheck(account(), QUICK);
    await expect(check.visible(LEAD, [pages.open.id], call())).rejects.toThrow(
      new AccessUnverifiedError('Confluence is rate limiting access checks right now'),
    );
  });

  it('says when Confluence cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const check = new ContentPermissionCheck({ ...account(), url: `http://127.0.0.1:${port}` }, QUICK);
    await expect(check.visible(LEAD, ['1'], call())).rejects.toThrow(
      new AccessUnverifiedError('Confluence could not be reached to check your access'),
    );
  });

  it('spends at most CHECK_BUDGET_MS of a long turn waiting', async () => {
    server.fail({ status: 429, retryAfter: String(CHECK_BUDGET_MS / 1000 + 1), only: /permission\/check$/ });
    const check = new ContentPermissionCheck(account(), QUICK);
    const from = server.requests.length;
    await expect(check.visible(LEAD, [pages.open.id], call())).rejects.toThrow(
      'Confluence is rate limiting access checks right now',
    );
    expect(checkedSince(from)).toHaveLength(1);
  });

  it('ends the turn’s checks at the first failure: no page is asked about after it, none waited for', async () => {
    const { open, locked, nested, vault } = pages;
    // One worker: the failure on `open` comes before any other page is taken.
    const single = new ContentPermissionCheck(account(), QUICK, 1);
    server.fail({ status: 400, only: new RegExp(`/${open.id}/permission/check$`) });
    let from = server.requests.length;
    await expect(single.visible(LEAD, [open.id, locked.id, nested.id], call())).rejects.toThrow(
      'Confluence could not check your access (HTTP 400)',
    );
    expect(checkedSince(from)).toEqual([open.id]);
    // Two workers: `vault`'s worker is waiting out a Retry-After within the budget when `open` fails; it stops.
    const pair = new ContentPermissionCheck(account(), QUICK, 2);
    server.fail({ status: 400, only: new RegExp(`/${open.id}/permission/check$`) });
    server.fail({
      status: 429,
      retryAfter: String(CHECK_BUDGET_MS / 1000 - 1),
      only: new RegExp(`/${vault.id}/`),
    });
    // `open`'s answer is held until `vault`'s request has arrived: otherwise a fast 400 could stop `vault`'s
    // worker before it asked, and the test would depend on which socket was ready first.
    let vaultAsked!: () => void;
    const vaultArrived = new Promise<void>((resolve) => (vaultAsked = resolve));
    server.onRequest = (r) => {
      if (r.path.includes(`/${vault.id}/`)) vaultAsked();
      return r.path.includes(`/${open.id}/`) ? vaultArrived : undefined;
    };
    from = server.requests.length;
    await expect(pair.visible(LEAD, [open.id, vault.id], call())).rejects.toThrow(
      'Confluence could not check your access (HTTP 400)',
    );
    expect(checkedSince(from).sort()).toEqual([open.id, vault.id].sort());
  });

  it('while the account is not a Confluence administrator: refuses with the notice, until a check succeeds again', async () => {
    const check = new ContentPermissionCheck(account(), QUICK);
    expect(check.notice).toBeUndefined();
    server.serviceAccountIsAdmin = false;
    const refused = check.visible(AGENT, [pages.open.id], call());
    await expect(refused).rejects.toThrow(CannotCheckForOthersError);
    await expect(refused).rejects.toMatchObject({
      name: 'CannotCheckForOthersError',
      message: NOT_ADMIN_NOTICE,
    });
    expect(check.notice).toBe(NOT_ADMIN_NOTICE);
    // A turn with no page to check proves nothing: the notice stays.
    expect(await check.visible(AGENT, ['not-a-page'], call())).toEqual(new Set());
    expect(check.notice).toBe(NOT_ADMIN_NOTICE);
    server.serviceAccountIsAdmin = true;
    expect(await check.visible(AGENT, [pages.open.id], call())).toEqual(new Set([pages.open.id]));
    expect(check.notice).toBeUndefined();
  });

  it('has no notice while its checks succeed', async () => {
    const check = new ContentPermissionCheck(account(), QUICK);
    await check.visible(AGENT, allPages(), call());
    expect(check.notice).toBeUndefined();
  });

  it('asked Confluence only in the shapes its official v1 spec allows', async () => {
    await new ContentPermissionCheck(account(), QUICK).visible(AGENT, allPages(), call());
    expect(server.violations).toEqual([]);
  });
});

describe('PageAccess: what each viewer may see of Confluence', () => {
  const INSTALLATION = 'ari:cloud:ecosystem::installation/site-1';
  let logged: Record<string, unknown>[];
  const logger = () => {
    logged = [];
    return pino(
      { level: 'warn' },
      { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
    );
  };
  function access(options: { cache?: DecisionCache; policy?: Partial<AccessPolicy> } = {}) {
    const cache = options.cache ?? new DecisionCache(60_000, 1000);
    const policy: AccessPolicy = {
      unauthenticatedSpaces: [],
      userTokenOrigins: [server.url],
      checkForOthers: new ContentPermissionCheck(account(), QUICK),
      ...options.policy,
    };
    return {
      cache,
      policy,
      access: new PageAccess(new ConfluenceVisibility(QUICK), cache, policy, logger()),
    };
  }
  /** A Confluence user of the test server, as a Forge call from Confluence names them. */
  function confluenceUser(accountId: string): Extract<Viewer, { kind: 'forge-user' }> {
    const token = server.permissions.addUser(accountId);
    return {
      kind: 'forge-user',
      installation: INSTALLATION,
      apiBaseUrl: server.apiBaseUrl,
      account: accountId,
      token,
    };
  }
  /** A Jira user: Forge names the Jira API base, and Confluence refuses the token. */
  const jiraUser = (accountId: string): Extract<Viewer, { kind: 'forge-user' }> => ({
    kind: 'forge-user',
    installation: INSTALLATION,
    apiBaseUrl: server.jiraApiBaseUrl,
    account: accountId,
    token: server.permissions.addUser(accountId, 'jira'),
  });
  const decide = (a: PageAccess, viewer: Viewer, ids: readonly string[], c = call()) =>
    a.plan(viewer).check!.decide(ids, c);
  const searchesBy = (accountId: string) =>
    server.userSearches.filter((s) => s.accountId === accountId).length;
  const checksFor = (accountId: string) =>
    server.permissionChecks.filter((c) => c.accountId === accountId).length;

  it('gives API keys and callers without credentials the operator’s spaces, unchecked', () => {
    const { access: a } = access({ policy: { unauthenticatedSpaces: ['OPS'] } });
    expect(a.plan({ kind: 'api-key', confluenceSpaces: 'all' })).toEqual({});
    expect(a.plan({ kind: 'api-key', confluenceSpaces: ['FIN'] })).toEqual({
      filter: { confluenceSpaces: ['FIN'] },
    });
    expect(a.plan({ kind: 'unauthenticated' })).toEqual({ filter: { confluenceSpaces: ['OPS'] } });
  });

  it('gives a caller who cannot be checked no Confluence page, and says why', () => {
    const { access: a } = access();
    expect(a.plan({ kind: 'unidentified', reason: 'no token' })).toEqual({
      filter: { confluenceSpaces: [] },
      notice: 'Confluence pages were left out of this answer: no token.',
    });
  });

  it('sends a user token to no site outside the allowed origins, and logs the site named (bounded)', () => {
    const { access: a } = access();
    const elsewhere = `https://evil.example/ex/confluence/${'c'.repeat(300)}`;
    expect(a.plan({ ...confluenceUser('acc-elsewhere'), apiBaseUrl: elsewhere })).toEqual({
      filter: { confluenceSpaces: [] },
      notice:
        'Confluence pages were left out of this answer: the Forge call named a site this service does not check access with, so I could not check which pages you may view.',
    });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 40, apiBaseUrl: elsewhere.slice(0, 200) });
  });

  it('decides a Confluence user’s pages as that user: never a page hidden from them', async () => {
    const { access: a } = access();
    const viewer = confluenceUser('acc-pa-agent');
    const decisions = await decide(a, viewer, allPages());
    expect(decisions).toEqual({ visible: new Set([pages.open.id]) });
    expect(searchesBy('acc-pa-agent')).toBe(1);
  });

  it('caches each decision per user: a second turn asks Confluence nothing, and keeps one entry per page', async () => {
    const { access: a, cache } = access();
    const viewer = confluenceUser('acc-pa-cached');
    await decide(a, viewer, allPages());
    expect(cache.size).toBe(allPages().length);
    expect(await decide(a, viewer, allPages())).toEqual({ visible: new Set([pages.open.id]) });
    expect(searchesBy('acc-pa-cached')).toBe(1);
    expect(cache.size).toBe(allPages().length);
  });

  it('decides anew once told that permissions changed', async () => {
    const { access: a } = access();
    const viewer = confluenceUser('acc-pa-forget');
    await decide(a, viewer, [pages.open.id]);
    a.forgetDecisions();
    await decide(a, viewer, [pages.open.id]);
    expect(searchesBy('acc-pa-forget')).toBe(2);
  });

  it('decides a Jira user’s pages with the service’s account, by their account id — their token goes nowhere', async () => {
    const { access: a } = access();
    const viewer = jiraUser('acc-pa-jira');
    expect(await decide(a, viewer, allPages())).toEqual({ visible: new Set([pages.open.id]) });
    expect(checksFor('acc-pa-jira')).toBe(allPages().length);
    expect(searchesBy('acc-pa-jira')).toBe(0);
  });

  it('answers a Jira user from the cache alone once decided: not even a cancelled turn asks Confluence', async () => {
    const { access: a } = access();
    const viewer = jiraUser('acc-pa-jira-cached');
    await decide(a, viewer, allPages());
    const cancelled = new AbortController();
    cancelled.abort(new Error('the user left'));
    const decisions = await decide(a, viewer, allPages(), { signal: cancelled.signal, deadline: Date.now() });
    expect(decisions).toEqual({ visible: new Set([pages.open.id]) });
    expect(checksFor('acc-pa-jira-cached')).toBe(allPages().length);
  });

  it('gives a Jira user no page when no Confluence account is configured, and says what to set', () => {
    const { access: a } = access({ policy: { checkForOthers: undefined } });
    expect(a.plan(jiraUser('acc-pa-noaccount'))).toEqual({
      filter: { confluenceSpaces: [] },
      notice:
        'Confluence pages were left out of this answer: this service has no Confluence account to check what Jira users may view (CONFLUENCE_URL, CONFLUENCE_USERNAME, CONFLUENCE_API_TOKEN).',
    });
  });

  it('gives a Jira call that named no account (only a token digest) no page', () => {
    const { access: a } = access();
    expect(a.plan({ ...jiraUser('acc-pa-anon'), account: 'token:Zm9vYmFy' })).toEqual({
      filter: { confluenceSpaces: [] },
      notice:
        'Confluence pages were left out of this answer: the Jira call named no account, so I could not check which pages you may view.',
    });
  });

  it('leaves pages out when Confluence fails, says why, logs it, and does not cache the failure', async () => {
    const { access: a, cache } = access();
    const viewer = confluenceUser('acc-pa-down');
    server.fail({ status: 500, only: /\/search$/, times: 100 });
    const decisions = await decide(a, viewer, allPages());
    expect(decisions).toEqual({
      visible: new Set(),
      unverified: 'Confluence could not check your access (HTTP 500)',
    });
    expect(cache.size).toBe(0);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 40,
        pages: allPages().length,
        reason: 'Confluence could not check your access (HTTP 500)',
        msg: 'page access check failed; pages left out',
      }),
    ]);
    server.clearFaults();
    expect(await decide(a, viewer, allPages())).toEqual({ visible: new Set([pages.open.id]) });
  });

  it('while the service’s account is not an administrator: no page, a lasting reason, and one admin notice', async () => {
    const { access: a } = access();
    const viewer = jiraUser('acc-pa-noadmin');
    expect(a.notices()).toEqual([]);
    server.serviceAccountIsAdmin = false;
    expect(await decide(a, viewer, allPages())).toEqual({
      visible: new Set(),
      unverified: NOT_ADMIN_NOTICE,
      lasting: true,
    });
    expect(a.notices()).toEqual([`Jira users see no Confluence pages: ${NOT_ADMIN_NOTICE}.`]);
    server.serviceAccountIsAdmin = true;
    expect(await decide(a, viewer, allPages())).toEqual({ visible: new Set([pages.open.id]) });
    expect(a.notices()).toEqual([]);
  });

  it('has no admin notice without a Confluence account', () => {
    expect(access({ policy: { checkForOthers: undefined } }).access.notices()).toEqual([]);
  });
});
