import { migrate } from '../../src/db/migrations.js';
import { PostgresDatabase } from '../../src/db/postgres.js';
import { ConversationStore, type Owner } from '../../src/history/conversation-store.js';
import { RetentionSchedule } from '../../src/history/retention.js';
import { createLogger } from '../../src/logging.js';
import { freshPostgres } from '../helpers/postgres.js';

const log = createLogger('silent');
const owner: Owner = { id: 'local', kind: 'local' };

/** HISTORY_RETENTION_DAYS on a schedule: the first pass at start deletes what is older; 0 keeps all. */
describe('RetentionSchedule', () => {
  let server: Awaited<ReturnType<typeof freshPostgres>>;
  let db: PostgresDatabase;
  let store: ConversationStore;
  beforeEach(async () => {
    server = await freshPostgres();
    db = new PostgresDatabase(server.url);
    await migrate(db);
    store = new ConversationStore(db);
  });
  afterEach(async () => {
    await db.close();
    await server.drop();
  });

  const aged = async (question: string, days: number) => {
    const { conversationId } = await store.appendTurn(owner, {
      question,
      answer: { content: 'An answer', sources: [], answered: true },
    });
    await db.query('UPDATE conversations SET updated_at = now() - make_interval(days => $2) WHERE id = $1', [
      conversationId,
      days,
    ]);
    return conversationId;
  };
  const remaining = async () =>
    (await store.list(owner, { limit: 10 })).conversations.map((c) => c.title).sort();

  it('deletes, on its first pass, what was untouched for longer than the days, and keeps the rest', async () => {
    await aged('Ninety-one days old', 91);
    await aged('Eighty-nine days old', 89);
    const schedule = new RetentionSchedule(store, 90, log);
    schedule.start();
    await schedule.stop(); // waits for the pass under way
    expect(await remaining()).toEqual(['Eighty-nine days old']);
  });

  it('deletes a backlog larger than one batch', async () => {
    await aged('Seed', 1); // the caller's row
    await db.query(
      `INSERT INTO conversations (id, user_id, title, updated_at)
       SELECT gen_random_uuid(), 'local', 'Backlog', now() - interval '200 days' FROM generate_series(1, 2500)`,
    );
    expect(await new RetentionSchedule(store, 90, log).sweep()).toBe(2500);
    expect(await remaining()).toEqual(['Seed']);
  });

  it('keeps everything with 0 days', async () => {
    await aged('Ten years old', 3650);
    const schedule = new RetentionSchedule(store, 0, log);
    schedule.start();
    await schedule.stop();
    expect(await remaining()).toEqual(['Ten years old']);
  });

  it('skips a pass while the database is down, and says so without throwing', async () => {
    await db.close();
    const schedule = new RetentionSchedule(store, 90, log);
    await expect(schedule.sweep()).resolves.toBe(0);
    db = new PostgresDatabase(server.url);
  });
});
