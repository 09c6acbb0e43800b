import { ChatResponse, ErrorBody, Insights } from '@kb/contracts';
import request from 'supertest';
import { ForgeSigner, TEST_APP_ID } from '../fakes/forge-signer.js';
import { freshPostgres } from '../helpers/postgres.js';
import { seedHistory as seed, type Seeded } from '../helpers/seeded-history.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ADMIN = 'admin-key-insights';
const READER = 'reader-key-insights';
const SITE_A = 'ari:cloud:ecosystem::installation/site-a';
const SITE_B = 'ari:cloud:ecosystem::installation/site-b';

const TOPICS = ['How do I reindex a space?', 'Where do uploads go?', 'How do I rotate the API key?'];
const SLACK = [
  'Does it support Slack?',
  'Slack integration?',
  'Can I connect it to Slack',
  'does it support slack',
];
const REASONS = ['wrong', 'outdated', 'incomplete', 'not_relevant', 'other'];

function seedRows(): Seeded[] {
  const rows: Seeded[] = [];
  for (let i = 0; i < 360; i++) {
    const gap = i % 9 === 0;
    const rating = i % 7 === 0 ? 'down' : i % 5 === 0 ? 'up' : null;
    rows.push({
      user: `forge:${i % 3 ? SITE_A : SITE_B}:acc-${i % 11}`,
      question: gap ? SLACK[i % SLACK.length]! : `${TOPICS[i % TOPICS.length]!} (${i % 4})`,
      daysAgo: i % 40,
      spaceKey: i % 4 === 0 ? null : ['ENG', 'OPS', 'HR'][i % 3]!,
      product: (['confluence', 'jira', 'web'] as const)[i % 3]!,
      answered: !gap,
      rating,
      reason: rating === 'down' ? REASONS[i % REASONS.length]! : null,
      cited: gap ? null : `confluence:page:${100 + (i % 6)}`,
    });
  }
  return rows;
}

/** The figures counted straight from the seeded rows, to hold the service's SQL to. */
function expected(rows: Seeded[], days: number, site?: string) {
  const inScope = rows.filter((r) => r.daysAgo < days && (!site || r.user.startsWith(`forge:${site}:`)));
  const count = (f: (r: Seeded) => boolean) => inScope.filter(f).length;
  return {
    totals: {
      questions: inScope.length,
      conversations: inScope.length,
      users: new Set(inScope.map((r) => r.user)).size,
      answered: count((r) => r.answered),
      unanswered: count((r) => !r.answered),
    },
    feedback: {
      up: count((r) => r.rating === 'up'),
      down: count((r) => r.rating === 'down'),
      reasons: Object.fromEntries(REASONS.map((reason) => [reason, count((r) => r.reason === reason)])),
    },
  };
}

/** The service under test, on `databaseUrl`'s history, with an admin key, a reader key and two Forge sites. */
function startInsightsService(databaseUrl: string, forge: ForgeSigner): Promise<TestService> {
  return startTestService({
    ADMIN_API_KEYS: ADMIN,
    API_KEYS: READER,
    HISTORY: 'on',
    DATABASE_URL: databaseUrl,
    FORGE_APP_ID: TEST_APP_ID,
    FORGE_JWKS_URL: forge.jwksUrl,
    FORGE_INSTALLATION_IDS: `${SITE_A},${SITE_B}`,
    FORGE_ENVIRONMENTS: 'DEVELOPMENT',
  });
}

/**
 * For a test that adds to the history: a database and a service of its own, so the shared seeded history
 * stays exactly `seedRows()` for the tests that count it, whatever order they run in.
 */
async function withOwnHistory(forge: ForgeSigner, run: (t: TestService, url: string) => Promise<void>) {
  const database = await freshPostgres();
  try {
    const t = await startInsightsService(database.url, forge);
    try {
      await run(t, database.url);
    } finally {
      await t.close();
    }
  } finally {
    await database.drop();
  }
}

describe('admin insights (a real PostgreSQL server)', () => {
  const rows = seedRows();
  let database: Awaited<ReturnType<typeof freshPostgres>>;
  let forge: ForgeSigner;
  let t: TestService;
  let now: number;
  const insights = (query = '') =>
    request(t.url).get(`/api/v1/admin/insights${query}`).set('X-API-Key', ADMIN);

  beforeAll(async () => {
    database = await freshPostgres();
    forge = await ForgeSigner.create();
    t = await startInsightsService(database.url, forge);
    now = Date.now();
    await seed(database.url, rows, now);
  });
  afterAll(async () => {
    await t.close();
    await forge.close();
    await database.drop();
  });

  it('counts what a direct count of the stored history gives, per period and per day', async () => {
    for (const days of [7, 30]) {
      const body = Insights.parse((await insights(`?days=${days}`).expect(200)).body);
      expect(body).toMatchObject({ days, scope: 'service', ...expected(rows, days) });
      expect(body.perDay).toHaveLength(days);
      expect(body.perDay.reduce((n, d) => n + d.questions, 0)).toBe(body.totals.questions);
      expect(body.perDay.reduce((n, d) => n + d.unanswered, 0)).toBe(body.totals.unanswered);
      const today = body.perDay.at(-1)!;
      expect(today.date).toBe(new Date(now - 60_000).toISOString().slice(0, 10));
      expect(today.questions).toBe(rows.filter((r) => r.daysAgo === 0).length);
    }
    const month = Insights.parse((await insights().expect(200)).body);
    expect(month.days).toBe(30);
    const inMonth = rows.filter((r) => r.daysAgo < 30);
    expect(month.perSpace).toEqual(
      expect.arrayContaining(
        ['ENG', 'OPS', 'HR', null].map((spaceKey) => ({
          spaceKey,
          questions: inMonth.filter((r) => r.spaceKey === spaceKey).length,
        })),
      ),
    );
    expect(month.perProduct.map((p) => p.questions).reduce((a, b) => a + b)).toBe(inMonth.length);
    const cited = inMonth.filter((r) => r.cited === 'confluence:page:100').length;
    expect(month.topSources).toContainEqual({
      id: 'confluence:page:100',
      title: 'Page confluence:page:100',
      url: 'https://x/confluence:page:100',
      citations: cited,
    });
  });

  it('groups the rephrasings of one missing topic into one content gap, the same on every call', async () => {
    const first = Insights.parse((await insights().expect(200)).body);
    // No embedding model on this service: the analyzer's words are all there is to group by.
    expect(first.gapsGroupedBy).toBe('words');
    const slack = first.gaps.filter((g) => /slack/i.test(g.representative));
    expect(slack).toHaveLength(1);
    const inMonth = rows.filter((r) => r.daysAgo < 30);
    expect(slack[0]!.count).toBe(inMonth.filter((r) => SLACK.includes(r.question)).length);
    expect(slack[0]!.examples.every((e) => /slack/i.test(e))).toBe(true);
    // Rated down but answered: a gap of its own kind, counted apart.
    expect(first.gaps.reduce((n, g) => n + g.ratedDown, 0)).toBe(
      inMonth.filter((r) => r.rating === 'down').length,
    );
    const again = Insights.parse((await insights().expect(200)).body);
    expect(again.gaps).toEqual(first.gaps);
  });

  it("shows a Forge admin their own site's questions only", async () => {
    const token = await forge.token({
      app: {
        id: TEST_APP_ID,
        installationId: SITE_B,
        environment: { type: 'DEVELOPMENT', id: 'env-1' },
      },
    });
    const body = Insights.parse(
      (
        await request(t.url)
          .get('/api/v1/admin/insights?days=30')
          .set('Authorization', `Bearer ${token}`)
          .expect(200)
      ).body,
    );
    expect(body).toMatchObject({ scope: 'installation', ...expected(rows, 30, SITE_B) });
  });

  it('exports the period’s questions as CSV, for admins only', async () => {
    const res = await request(t.url)
      .get('/api/v1/admin/insights/questions.csv?days=7')
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.text
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
    expect(lines[0]).toBe('asked_at,question,product,space_key,answered,rating,reason');
    expect(lines).toHaveLength(1 + rows.filter((r) => r.daysAgo < 7).length);
    await request(t.url).get('/api/v1/admin/insights/questions.csv').set('X-API-Key', READER).expect(403);
    await request(t.url).get('/api/v1/admin/insights').set('X-API-Key', READER).expect(403);
  });

  it('makes inert, in the CSV, a question a spreadsheet would run as a formula', async () => {
    const formulas = [' =HYPERLINK("https://x")', '\n=1+1', '＝1+1', '＠SUM(A1)'];
    await withOwnHistory(forge, async (own, url) => {
      await seed(
        url,
        formulas.map((question) => ({ ...rows[1]!, question, daysAgo: 0, spaceKey: null })),
        Date.now(),
      );
      const res = await request(own.url)
        .get('/api/v1/admin/insights/questions.csv?days=1')
        .set('X-API-Key', ADMIN)
        .expect(200);
      for (const question of formulas) expect(res.text).toContain(`,"'${question.replaceAll('"', '""')}",`);
    });
  });

  it('refuses a period that is not 1 to 365 whole days written in digits, naming it', async () => {
    // Number() reads "0x1e", "1e1", "3.0" and " 30 " as 30, 10, 3 and 30: a typo would pass as a period.
    const refused = ['0', '366', 'ten', '1.5', '0x1e', '1e1', '3.0', '%2030%20', '+30', '-1', '30%0A', ''];
    for (const days of refused) {
      const res = await insights(`?days=${days}`).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(ErrorBody.parse(res.body).error.message).toMatch(/^invalid query: days: days must be/);
    }
    const twice = await insights('?days=7&days=30').expect(400);
    expect(ErrorBody.parse(twice.body).error.message).toMatch(
      /^invalid query: days: days must be given once/,
    );
    const csv = await request(t.url)
      .get('/api/v1/admin/insights/questions.csv?days=1e1')
      .set('X-API-Key', ADMIN)
      .expect(400);
    expect(ErrorBody.parse(csv.body).error.message).toMatch(/^invalid query: days: /);
    // Digits are digits, leading zeros too.
    expect(Insights.parse((await insights('?days=07').expect(200)).body).days).toBe(7);
  });

  it('keeps where a question was asked, from the chat request', async () => {
    await withOwnHistory(forge, async (own) => {
      const asked = ChatResponse.parse(
        (
          await request(own.url)
            .post('/api/v1/chat')
            .set('X-API-Key', READER)
            .send({
              message: 'How do I reindex the knowledge base?',
              context: { product: 'web', spaceKey: 'KB' },
            })
            .expect(200)
        ).body,
      );
      expect(asked.messageId).not.toBeNull();
      const body = Insights.parse(
        (await request(own.url).get('/api/v1/admin/insights?days=1').set('X-API-Key', ADMIN).expect(200))
          .body,
      );
      expect(body.perSpace).toContainEqual({ spaceKey: 'KB', questions: 1 });
    });
  });
});

describe('admin insights with HISTORY=off', () => {
  it('says insights are off', async () => {
    const t = await startTestService({ ADMIN_API_KEYS: ADMIN, HISTORY: 'off' });
    try {
      const res = await request(t.url).get('/api/v1/admin/insights').set('X-API-Key', ADMIN).expect(404);
      expect(ErrorBody.parse(res.body).error.message).toMatch(/insights are off/);
    } finally {
      await t.close();
    }
  });
});
