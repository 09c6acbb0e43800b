import {
  confluenceApiBase,
  ConfluenceVisibility,
  IDS_PER_SEARCH,
} from '../../src/access/confluence-visibility.js';
import { DecisionCache } from '../../src/access/decision-cache.js';
import type { PageCheck } from '../../src/access/page-access.js';
import { ATLASSIAN_API_ORIGIN, siteApiOf } from '../../src/access/site-api.js';
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
    expect(cache.get('u', '1')).toBeUndefined();
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
    expect(server.userSearches).toHaveLength(3);
    expect(server.userSearches[0]!.ids).toEqual(ids.concat('999999'));
    expect(server.violations).toEqual([]);
  });

  it('waits out a 429 with Retry-After', async () => {
    const space = server.addSpace('RATE');
    const id = server.addContent(space, 'Rate', '<p>x</p>').id;
    const token = server.permissions.addUser('acc-rate');
    server.fail({ status: 429, retryAfter: '0', only: /\/search$/ });
    const user = { key: 'k2', apiBaseUrl: server.apiBaseUrl, token };
    expect(await new ConfluenceVisibility().visible(user, [id], call())).toEqual(new Set([id]));
  });

  it('reaches Confluence beside the Jira API base that Forge names for a Jira call', () => {
    expect(confluenceApiBase('https://api.atlassian.com/ex/jira/abc/')).toBe(
      'https://api.atlassian.com/ex/confluence/abc',
    );
    expect(confluenceApiBase('https://api.atlassian.com/ex/confluence/abc')).toBe(
      'https://api.atlassian.com/ex/confluence/abc',
    );
  });
});
