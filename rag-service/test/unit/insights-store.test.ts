import type { Database, SqlValue } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrations.js';
import { PostgresDatabase } from '../../src/db/postgres.js';
import { QUESTION_CHARS } from '../../src/insights/content-gaps.js';
import { InsightsStore } from '../../src/insights/insights-store.js';
import { freshPostgres } from '../helpers/postgres.js';
import { seedHistory, type Seeded } from '../helpers/seeded-history.js';

const SERVICE = { kind: 'service' } as const;
const question = (text: string, answered: boolean): Seeded => ({
  user: 'api-key:reader',
  question: text,
  daysAgo: 0,
  spaceKey: null,
  product: 'web',
  answered,
  rating: null,
  reason: null,
  cited: answered ? 'confluence:page:1' : null,
});

/** The database as the store uses it, with every statement it sends and the longest text it read. */
function recorded(db: Database) {
  const log = { statements: [] as string[], longestText: 0 };
  const wrapped: Database = {
    kind: db.kind,
    location: db.location,
    transaction: (work) => db.transaction(work),
    reserve: () => db.reserve(),
    close: () => db.close(),
    async query<Row extends object>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
      log.statements.push(sql);
      const rows = await db.query<Row>(sql, params);
      for (const row of rows)
        for (const value of Object.values(row))
          if (typeof value === 'string') log.longestText = Math.max(log.longestText, value.length);
      return rows;
    },
  };
  return { db: wrapped, log };
}

/** InsightsStore over a real PostgreSQL server: what it reads, and which period it counts. */
describe('InsightsStore', () => {
  let server: Awaited<ReturnType<typeof freshPostgres>>;
  let db: PostgresDatabase;
  beforeEach(async () => {
    server = await freshPostgres();
    db = new PostgresDatabase(server.url);
    await migrate(db);
  });
  afterEach(async () => {
    await db.close();
    await server.drop();
  });

  it('counts the period it names: the clock is read once per request', async () => {
    // Noon on the 10th; the clock then crosses midnight between two readings.
    const noon = Date.UTC(2026, 10, 10, 12);
    await seedHistory(server.url, [question('How do I reindex a space?', true)], noon + 60_000);
    const readings = [Date.UTC(2026, 10, 10, 23, 59, 59, 999), Date.UTC(2026, 10, 11)];
    let read = 0;
    const store = new InsightsStore(db, { now: () => new Date(readings[Math.min(read++, 1)]!) });
    const body = await store.insights(1, SERVICE);
    expect(body.from).toBe('2026-11-10T00:00:00.000Z');
    expect(body.totals.questions).toBe(1);
    expect(body.perDay).toEqual([{ date: '2026-11-10', questions: 1, unanswered: 0, up: 0, down: 0 }]);
    expect(read).toBe(1);
  });

  it('reads what people ask for word rarity only when there is a gap, and no question past its first characters', async () => {
    const long = `Does it support Slack? ${'a pasted log line '.repeat(250)}`;
    await seedHistory(server.url, [question(long, true), question('Where do uploads go?', true)], Date.now());
    const answeredOnly = recorded(db);
    const none = await new InsightsStore(answeredOnly.db).insights(7, SERVICE);
    expect(none.gaps).toEqual([]);

    await seedHistory(server.url, [question(long, false)], Date.now());
    const withGap = recorded(db);
    const some = await new InsightsStore(withGap.db).insights(7, SERVICE);
    expect(some.gaps).toHaveLength(1);
    expect(some.gaps[0]!.representative).toMatch(/^Does it support Slack\? a pasted log line .*…$/);
    // One statement more with a gap to group: the vocabulary, read for it alone.
    expect(withGap.log.statements.length).toBe(answeredOnly.log.statements.length + 1);
    // A 4,500-character question leaves the database cut to what is grouped (and one to tell it was cut).
    expect(withGap.log.longestText).toBe(QUESTION_CHARS + 1);
  });
});
