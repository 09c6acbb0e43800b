import { Insights } from '@kb/contracts';
import request from 'supertest';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { freshPostgres } from '../helpers/postgres.js';
import { seedHistory, type Seeded } from '../helpers/seeded-history.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ADMIN = 'admin-key-insights-meaning';

/** Unanswered questions: one missing topic (single sign-on) in words that share nothing but its meaning. */
const OKTA = 'How do I log in with Okta?';
const SSO = 'How do I log in with SSO?';
const SLACK = 'Does it support Slack?';

function unanswered(question: string, times: number, daysAgo: number): Seeded[] {
  return Array.from({ length: times }, (_, i) => ({
    user: `api-key:reader-${i}`,
    question,
    daysAgo,
    spaceKey: 'ENG',
    product: 'web' as const,
    answered: false,
    rating: null,
    reason: null,
    cited: null,
  }));
}

const ROWS = [...unanswered(OKTA, 3, 1), ...unanswered(SSO, 2, 2), ...unanswered(SLACK, 2, 1)];
const embeddingRequests = (model: OpenAITestServer) =>
  model.requests.filter((r) => r.path === '/v1/embeddings').length;

describe('content gaps grouped by meaning, with an embedding model (a real PostgreSQL server)', () => {
  let database: Awaited<ReturnType<typeof freshPostgres>>;
  let model: OpenAITestServer;
  let t: TestService;
  const insights = async () =>
    Insights.parse(
      (await request(t.url).get('/api/v1/admin/insights?days=7').set('X-API-Key', ADMIN).expect(200)).body,
    );

  /** The service on `url`'s history, asking `model` for embeddings. */
  const start = async (url: string) => {
    const service = await startTestService({
      ADMIN_API_KEYS: ADMIN,
      HISTORY: 'on',
      DATABASE_URL: url,
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
      INSIGHTS_GAP_SIMILARITY: '0.8',
    });
    await service.synced;
    return service;
  };

  beforeAll(async () => {
    database = await freshPostgres();
    model = await new OpenAITestServer().start();
    // What the model knows and words alone miss: Okta is a way to single sign-on.
    model.embedder.synonyms.set('okta', 'sso');
    t = await start(database.url);
    await seedHistory(database.url, ROWS, Date.now());
  });
  afterAll(async () => {
    await t.close();
    await model.close();
    await database.drop();
  });
  afterEach(() => model.clearFaults());

  it('puts rephrasings that share only their meaning in one gap, and keeps other topics apart', async () => {
    const before = embeddingRequests(model);
    const body = await insights();
    expect(body.gapsGroupedBy).toBe('meaning');
    expect(body.gaps.map((g) => [g.representative, g.count, g.examples])).toEqual([
      [OKTA, 5, [SSO]],
      [SLACK, 2, []],
    ]);
    expect(embeddingRequests(model)).toBeGreaterThan(before);
    // The same data, the same groups; the phrasings' vectors are kept, so the model is not asked again.
    const asked = embeddingRequests(model);
    expect((await insights()).gaps).toEqual(body.gaps);
    expect(embeddingRequests(model)).toBe(asked);
  });

  it('groups by words, and says so, when the embedding model does not answer', async () => {
    // A history and service of its own: the shared one's kept vectors (if the test above ran first) would
    // spare the model the question, and its extra phrasing would be in the groups the test above counts.
    const own = await freshPostgres();
    const service = await start(own.url);
    try {
      await seedHistory(own.url, [...ROWS, ...unanswered('Is there a mobile app?', 1, 0)], Date.now());
      model.fail({ kind: 'status', status: 500, times: 50, only: /embeddings/ });
      const body = Insights.parse(
        (await request(service.url).get('/api/v1/admin/insights?days=7').set('X-API-Key', ADMIN).expect(200))
          .body,
      );
      expect(body.gapsGroupedBy).toBe('words');
      // Okta and SSO share no word a reader would group them by: apart, as the analyzer sees them.
      expect(body.gaps.map((g) => g.representative).sort()).toEqual(
        [OKTA, SSO, SLACK, 'Is there a mobile app?'].sort(),
      );
    } finally {
      await service.close();
      await own.drop();
    }
  });
});
