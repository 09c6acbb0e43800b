import { createServer } from 'node:net';
import {
  AccessUnverifiedError,
  CHECK_BUDGET_MS,
  CHECK_RETRY,
  confluenceApiBase,
  ConfluenceVisibility,
  IDS_PER_SEARCH,
  tokenDigest,
  untilAborted,
} from '../../src/access/confluence-visibility.js';
import { DecisionCache } from '../../src/access/decision-cache.js';
import type { PageCheck } from '../../src/access/page-access.js';
import { ATLASSIAN_API_ORIGIN, isJiraApi, siteApiOf } from '../../src/access/site-api.js';
import type { Call } from '../../src/models/chat-model.js';
import { admitVisible } from '../../src/retrieval/admission.js';
import type { RetrievedChunk } from '../../src/store/vector-store.js';
import { ConfluenceTestServer } from '../fakes/confluence-server.js';

const call = (): Call => ({ signal: new AbortController().signal, deadline: Date.now() + 10_000 });

describe('DecisionCache', () => {
  it('forgets a decision after its time to live', () => {
    let now = 1000;
    const cache = new DecisionCache(60_000, 10, () => now);
    cache.set('alice', '1', true);
    cache.set('alice', '2', false);
    expect([cache.get('alice', '1'), cache.get('alice', '2'), cache.get('bob', '1')]).toEqual([
      true,
      false,
      undefined,
    ]);
    now += 60_000;
    expect(cache.get('alice', '1')).toBeUndefined();
  });

  it('stays within its bound, dropping the least recently used first', () => {
    const cache = new DecisionCache(60_000, 3);
    for (const id of ['1', '2', '3']) cache.set('u', id, true);
    cache.get('u', '1');
    cache.set('u', '4', true);
    expect(cache.size).toBe(3);
    expect(['1', '2', '3', '4'].map((id) => cache.get('u', id))).toEqual([true, undefined, true, true]);
  });

  it('keeps nothing when its time to live is 0', () => {
    const cache = new DecisionCache(0, 10);
    cache.set('u', '1', true);
    // Not even an expired entry: a cache that is off holds no memory (asked before get(), which drops one).
    expect(cache.size).toBe(0);
    expect(cache.get('u', '1')).toBeUndefined();
  });

  it('keeps nothing when its bound is 0', () => {
    const cache = new DecisionCache(60_000, 0);
    cache.set('u', '1', true);
    expect(cache.size).toBe(0);
    expect(cache.get('u', '1')).toBeUndefined();
  });
});

describe('isJiraApi: whose user token a site API carries', () => {
  it.each([
    ['https://api.atlassian.com/ex/jira/c1', true],
    ['https://api.atlassian.com/ex/confluence/c1', false],
    // Only the gateway's product path says so, not a segment further in.
    ['https://api.atlassian.com/wiki/ex/jira/c1', false],
    ['not a url', false],
  ])('%s → %s', (apiBaseUrl, jira) => {
    expect(isJiraApi(apiBaseUrl)).toBe(jira);
  });
});

describe('tokenDigest: a cache key names a user token without keeping it', () => {
  it('is the first 22 base64url characters of the token’s SHA-256', () => {
    // FIPS 180-2's test vector: SHA-256("abc") = ba7816bf…15ad.
    const sha256OfAbc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(tokenDigest('abc')).toBe(Buffer.from(sha256OfAbc, 'hex').toString('base64url').slice(0, 22));
  });

  it('tells tokens apart and never contains the token', () => {
    const token = 'forge-user-token-0123456789';
    expect(tokenDigest(token)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(tokenDigest(token)).not.toContain(token.slice(0, 8));
    expect(tokenDigest(token)).not.toBe(tokenDigest(`${token}x`));
  });
});

describe('untilAborted: a Confluence request past its time is no longer waited for', () => {
  const never = () => new Promise<never>(() => {});

  it('gives up on unfinished work when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = untilAborted(never(), controller.signal);
    const reason = new Error('attempt timed out');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });

  it('does not start waiting on a signal that has already aborted', async () => {
    const reason = new Error('turn cancelled');
    await expect(untilAborted(never(), AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it('is the work itself without a signal, and its answer while the signal holds', async () => {
    const work = Promise.resolve(42);
    expect(untilAborted(work, undefined)).toBe(work);
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
  });
});

describe('siteApiOf: where a Forge site API may take a user’s token', () => {
  const origins = [ATLASSIAN_API_ORIGIN, 'http://127.0.0.1:8090'];

  it.each([
    [
      'https://api.atlassian.com/ex/confluence/4c822e2f-510f',
      'https://api.atlassian.com/ex/confluence/4c822e2f-510f',
    ],
    [
      'https://api.atlassian.com/ex/jira/4c822e2f-510f/',
      'https://api.atlassian.com/ex/confluence/4c822e2f-510f',
    ],
    ['HTTPS://API.Atlassian.com:443/ex/confluence/c1', 'https://api.atlassian.com/ex/confluence/c1'],
    ['http://127.0.0.1:8090/ex/confluence/c1', 'http://127.0.0.1:8090/ex/confluence/c1'],
  ])('takes %s as the site at %s', (apiBaseUrl, confluenceBase) => {
    expect(siteApiOf(apiBaseUrl, origins)).toEqual({ confluenceBase });
  });

  it.each([
    'http://api.atlassian.com/ex/confluence/c1',
    'https://api.atlassian.com.example/ex/confluence/c1',
    'https://api.atlassian.com@example.com/ex/confluence/c1',
    'https://user:pw@api.atlassian.com/ex/confluence/c1',
    'https://api.atlassian.com/ex/confluence/c1/wiki',
    'https://api.atlassian.com/ex/confluence/../../evil/c1',
    'https://api.atlassian.com/ex/bitbucket/c1',
    'https://api.atlassian.com/ex/confluence/c%2F1',
    'https://api.atlassian.com/ex/confluence/c1?next=https://example.com',
    'https://api.atlassian.com/ex/confluence/c1#x',
    'http://127.0.0.1:8091/ex/confluence/c1',
    'not a url',
  ])('refuses %s', (apiBaseUrl) => {
    expect(siteApiOf(apiBaseUrl, origins)).toBeUndefined();
  });
});

describe('admitVisible', () => {
  const chunk = (
    n: number,
    source: RetrievedChunk['source'] = 'confluence',
  ): { hit: { chunk: RetrievedChunk } } => ({
    hit: {
      chunk: {
        id: `${source}:${n}#0`,
        docId: `${source}:${n}`,
        ordinal: 0,
        source,
        title: `Page ${n}`,
        headingPath: [],
        url: '',
        text: '',
        ...(source === 'confluence' ? { pageId: String(n) } : {}),
      },
    },
  });
  /** A check that lets even page ids through and records each batch it was asked about. */
  function evenPages(unverifiedFrom = Infinity) {
    const batches: string[][] = [];
    const check: PageCheck = {
      decide: (ids) => {
        batches.push([...ids]);
        if (batches.length >= unverifiedFrom)
          return Promise.resolve({ visible: new Set(), unverified: 'down' });
        return Promise.resolve({ visible: new Set(ids.filter((id) => Number(id) % 2 === 0)) });
      },
    };
    return { batches, check };
  }

  it('asks about the best-ranked pages in one batch when that is enough', async () => {
    const ranked = Array.from({ length: 120 }, (_, i) => chunk(i));
    const { batches, check } = evenPages();
    const { admitted } = await admitVisible(ranked, check, call(), (a) => a.length >= 5);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(IDS_PER_SEARCH);
    expect(batches[0]![0]).toBe('0');
    expect(admitted.map((c) => c.hit.chunk.pageId)).toEqual(
      Array.from({ length: IDS_PER_SEARCH / 2 }, (_, i) => String(i * 2)),
    );
  });

  it('asks about the next batch only while too few are visible', async () => {
    const ranked = Array.from({ length: 120 }, (_, i) => chunk(i));
    const { batches, check } = evenPages();
    const { admitted } = await admitVisible(ranked, check, call(), (a) => a.length >= 40);
    expect(batches.map((b) => b.length)).toEqual([IDS_PER_SEARCH, IDS_PER_SEARCH]);
    expect(admitted).toHaveLength(IDS_PER_SEARCH);
  });

  it('keeps other sources, and drops Confluence it could not check or that has no page id', async () => {
    const noPage = chunk(7);
    delete noPage.hit.chunk.pageId;
    const ranked = [
      chunk(2),
      chunk(1, 'files'),
      noPage,
      ...Array.from({ length: 60 }, (_, i) => chunk(i + 10)),
      chunk(3, 'upload'),
    ];
    const { batches, check } = evenPages(2);
    const { admitted, unverified } = await admitVisible(ranked, check, call(), () => false);
    expect(batches).toHaveLength(2);
    expect(unverified).toBe('down');
    const ids = admitted.map((c) => c.hit.chunk.id);
    expect(ids.filter((id) => !id.startsWith('confluence'))).toEqual(['files:1#0', 'upload:3#0']);
    // Only the first batch was decided: its even pages, none of the rest.
    const pages = admitted.flatMap((c) => (c.hit.chunk.pageId ? [Number(c.hit.chunk.pageId)] : []));
    expect(Math.max(...pages)).toBeLessThan(10 + IDS_PER_SEARCH);
    expect(pages.every((p) => p % 2 === 0)).toBe(true);
  });
});

describe('ConfluenceVisibility (confluence.js v1 against the Confluence test server)', () => {
  let server: ConfluenceTestServer;
  beforeAll(async () => {
    server = await new ConfluenceTestServer().start();
  });
  afterAll(() => server.close());

  it('follows the search’s next link when Confluence pages its results', async () => {
    const space = server.addSpace('DOC');
    const ids = Array.from({ length: 7 }, (_, i) => server.addContent(space, `Doc ${i}`, '<p>x</p>').id);
    const token = server.permissions.addUser('acc-pager');
    server.maxSearchLimit = 3;
    const user = { key: 'k', apiBaseUrl: server.apiBaseUrl, token };
    const visible = await new ConfluenceVisibility().visible(user, [...ids, 'DROP TABLE', '999999'], call());
    server.maxSearchLimit = 100;
    expect([...visible].sort()).toEqual([...ids].sort());
    const searches = server.userSearches.filter((s) => s.accountId === 'acc-pager');
    expect(searches).toHaveLength(3);
    expect(searches[0]!.ids).toEqual(ids.concat('999999'));
    expect(server.violations).toEqual([]);
  });

  it('ends with the turn’s own reason when the turn is cancelled mid-check, not as an access failure', async () => {
    const { ids, user } = userWithPages('quitter', 1);
    const controller = new AbortController();
    const reason = new Error('turn cancelled');
    // Cancelled as Confluence receives the search: the check must not turn the cancel into "could not check".
    server.onRequest = () => controller.abort(reason);
    try {
      const checking = new ConfluenceVisibility().visible(user, ids, {
        signal: controller.signal,
        deadline: Date.now() + 10_000,
      });
      await expect(checking).rejects.toBe(reason);
    } finally {
      server.onRequest = undefined;
    }
  });

  it('waits out a 429 with Retry-After', async () => {
    const space = server.addSpace('RATE');
    const id = server.addContent(space, 'Rate', '<p>x</p>').id;
    const token = server.permissions.addUser('acc-rate');
    server.fail({ status: 429, retryAfter: '0', only: /\/search$/ });
    const user = { key: 'k2', apiBaseUrl: server.apiBaseUrl, token };
    expect(await new ConfluenceVisibility().visible(user, [id], call())).toEqual(new Set([id]));
  });

  afterEach(() => server.clearFaults());

  /** A user of the test server who may view every page of a space of their own. */
  function userWithPages(name: string, pages: number) {
    const space = server.addSpace(name.toUpperCase());
    const ids = Array.from(
      { length: pages },
      (_, i) => server.addContent(space, `${name} ${i}`, '<p>x</p>').id,
    );
    const token = server.permissions.addUser(`acc-${name}`);
    return { ids, user: { key: name, apiBaseUrl: server.apiBaseUrl, token } };
  }
  const searchesOf = (name: string) => server.userSearches.filter((s) => s.accountId === `acc-${name}`);
  const searchRequests = () => server.requests.filter((r) => r.path.endsWith('/wiki/rest/api/search')).length;

  it('never admits a page the user may not view: a restricted page, its child, or a space closed to them', async () => {
    const { ids, user } = userWithPages('hider', 1);
    const space = server.addSpace('HIDDEN');
    const secret = server.addContent(space, 'Secret', '<p>x</p>').id;
    server.permissions.restrictSpace('HIDDEN', ['acc-someone-else']);
    const restricted = server.addContent(
      server.spaces.find((s) => s.key === 'HIDER')!,
      'Locked',
      '<p>x</p>',
    );
    const child = server.addContent(
      server.spaces.find((s) => s.key === 'HIDER')!,
      'Child',
      '<p>x</p>',
      {
        parentId: restricted.id,
      },
    );
    server.permissions.restrictRead(restricted.id, ['acc-someone-else']);
    const visible = await new ConfluenceVisibility().visible(
      user,
      [ids[0]!, secret, restricted.id, child.id],
      call(),
    );
    expect(visible).toEqual(new Set([ids[0]]));
  });

  it('asks about at most IDS_PER_SEARCH pages per search, each page once', async () => {
    const { ids, user } = userWithPages('batcher', 3);
    // Two full batches: pages the server does not have stand in for the rest.
    const asked = [
      ...ids,
      ...Array.from({ length: 2 * IDS_PER_SEARCH - 3 }, (_, i) => String(9_000_000 + i)),
    ];
    const visible = await new ConfluenceVisibility().visible(user, [...asked, ...asked], call());
    expect(visible).toEqual(new Set(ids));
    const searches = searchesOf('batcher');
    expect(searches.map((s) => s.ids.length)).toEqual([IDS_PER_SEARCH, IDS_PER_SEARCH]);
    expect(searches.flatMap((s) => s.ids)).toEqual(asked);
  });

  it('puts nothing but content ids into the CQL', async () => {
    const { ids, user } = userWithPages('cql', 1);
    const visible = await new ConfluenceVisibility().visible(
      user,
      ['12a', 'a12', '1) OR (type=page', '123456789012345678901', ids[0]!],
      call(),
    );
    expect(visible).toEqual(new Set(ids));
    expect(searchesOf('cql').map((s) => s.ids)).toEqual([ids]);
  });

  it('asks nothing when no page id is left to ask about', async () => {
    const { user } = userWithPages('none', 0);
    const before = searchRequests();
    expect(await new ConfluenceVisibility().visible(user, ['x', ''], call())).toEqual(new Set());
    expect(searchRequests()).toBe(before);
  });

  it('says Confluence refused the check when it will not take the user’s token (401)', async () => {
    const { ids } = userWithPages('refused', 1);
    const user = { key: 'r', apiBaseUrl: server.apiBaseUrl, token: 'not-a-token-confluence-knows' };
    const failing = new ConfluenceVisibility().visible(user, ids, call());
    await expect(failing).rejects.toThrow(AccessUnverifiedError);
    await expect(failing).rejects.toMatchObject({
      name: 'AccessUnverifiedError',
      message: 'Confluence refused to check your access (HTTP 401)',
    });
  });

  it('says Confluence refused the check on a 403', async () => {
    const { ids, user } = userWithPages('forbidden', 1);
    server.fail({ status: 403, only: /\/search$/ });
    await expect(new ConfluenceVisibility().visible(user, ids, call())).rejects.toThrow(
      'Confluence refused to check your access (HTTP 403)',
    );
  });

  it('waits out rate limits a few times, then says Confluence is rate limiting', async () => {
    const { ids, user } = userWithPages('limited', 1);
    server.fail({ status: 429, retryAfter: '0', only: /\/search$/, times: 50 });
    const before = searchRequests();
    await expect(new ConfluenceVisibility().visible(user, ids, call())).rejects.toThrow(
      new AccessUnverifiedError('Confluence is rate limiting access checks right now'),
    );
    expect(searchRequests() - before).toBe(CHECK_RETRY.rateLimitAttempts);
  });

  it('retries a failing Confluence, then says it could not check, with the status', async () => {
    const { ids, user } = userWithPages('failing', 1);
    server.fail({ status: 500, only: /\/search$/, times: 50 });
    const before = searchRequests();
    await expect(new ConfluenceVisibility().visible(user, ids, call())).rejects.toThrow(
      new AccessUnverifiedError('Confluence could not check your access (HTTP 500)'),
    );
    expect(searchRequests() - before).toBe(CHECK_RETRY.attempts);
  });

  it('says Confluence could not be reached when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const user = { key: 'gone', apiBaseUrl: `http://127.0.0.1:${port}/ex/confluence/c1`, token: 't' };
    await expect(new ConfluenceVisibility().visible(user, ['1'], call())).rejects.toThrow(
      new AccessUnverifiedError('Confluence could not be reached to check your access'),
    );
  });

  it('does not wait for a Retry-After past the turn’s deadline', async () => {
    const { ids, user } = userWithPages('deadline', 1);
    server.fail({ status: 429, retryAfter: '1', only: /\/search$/ });
    const before = searchRequests();
    const shortTurn = { signal: new AbortController().signal, deadline: Date.now() + 500 };
    await expect(new ConfluenceVisibility().visible(user, ids, shortTurn)).rejects.toThrow(
      'Confluence is rate limiting access checks right now',
    );
    expect(searchRequests() - before).toBe(1);
  });

  it('spends at most CHECK_BUDGET_MS of a long turn waiting', async () => {
    const { ids, user } = userWithPages('budget', 1);
    // A second past the budget, though well within the turn's minute.
    server.fail({ status: 429, retryAfter: String(CHECK_BUDGET_MS / 1000 + 1), only: /\/search$/ });
    const before = searchRequests();
    const longTurn = { signal: new AbortController().signal, deadline: Date.now() + 60_000 };
    await expect(new ConfluenceVisibility().visible(user, ids, longTurn)).rejects.toThrow(
      'Confluence is rate limiting access checks right now',
    );
    expect(searchRequests() - before).toBe(1);
  });

  it('reaches Confluence beside the Jira API base that Forge names for a Jira call', () => {
    expect(confluenceApiBase('https://api.atlassian.com/ex/jira/abc/')).toBe(
      'https://api.atlassian.com/ex/confluence/abc',
    );
    expect(confluenceApiBase('https://api.atlassian.com/ex/jira/abc//')).toBe(
      'https://api.atlassian.com/ex/confluence/abc',
    );
    expect(confluenceApiBase('https://api.atlassian.com/ex/confluence/abc')).toBe(
      'https://api.atlassian.com/ex/confluence/abc',
    );
  });
});
