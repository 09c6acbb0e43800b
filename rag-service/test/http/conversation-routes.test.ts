import { ChatResponse, Conversation, ConversationList, ErrorBody, Feedback } from '@kb/contracts';
import request from 'supertest';
import { freshPostgres } from '../helpers/postgres.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ALICE = 'alice-key-conversation-routes';
const BOB = 'bob-key-conversation-routes';
/** The list test's own caller: its expectations hold whatever the other tests created. */
const CAROL = 'carol-key-conversation-routes';

/**
 * The conversation API of the contract through HTTP, on a real PostgreSQL server: list (newest first, by
 * pages), read, delete, feedback (replaced when sent again), each only for the caller who owns it.
 */
describe('the conversation routes', () => {
  let database: Awaited<ReturnType<typeof freshPostgres>>;
  let t: TestService;

  const as = (key: string) => ({
    ask: (body: object) => request(t.url).post('/api/v1/chat').set('X-API-Key', key).send(body),
    list: (query = '') => request(t.url).get(`/api/v1/conversations${query}`).set('X-API-Key', key),
    get: (id: string) => request(t.url).get(`/api/v1/conversations/${id}`).set('X-API-Key', key),
    delete: (id: string) => request(t.url).delete(`/api/v1/conversations/${id}`).set('X-API-Key', key),
    rate: (id: string, body: object) =>
      request(t.url).post(`/api/v1/messages/${id}/feedback`).set('X-API-Key', key).send(body),
  });
  const alice = as(ALICE);
  const bob = as(BOB);
  const carol = as(CAROL);
  const newConversation = async (who: ReturnType<typeof as>, message: string) =>
    ChatResponse.parse((await who.ask({ message }).expect(200)).body);

  beforeAll(async () => {
    database = await freshPostgres();
    t = await startTestService({
      API_KEYS: `${ALICE},${BOB},${CAROL}`,
      HISTORY: 'on',
      DATABASE_URL: database.url,
    });
  });
  afterAll(async () => {
    await t.close();
    await database.drop();
  });

  it('lists only the caller’s conversations, most recently active first, page by page', async () => {
    const first = await newConversation(carol, 'How do I reindex the knowledge base?');
    const second = await newConversation(carol, 'Where do uploads go?');
    await newConversation(bob, 'Bob asks about the VPN');
    // Continuing the first makes it the most recently active.
    await carol.ask({ message: 'And for one space?', conversationId: first.conversationId }).expect(200);

    const page1 = ConversationList.parse((await carol.list('?limit=1').expect(200)).body);
    expect(page1.conversations.map((c) => c.id)).toEqual([first.conversationId]);
    expect(page1.conversations[0]).toMatchObject({
      title: 'How do I reindex the knowledge base?',
      messageCount: 4,
    });
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = ConversationList.parse(
      (await carol.list(`?limit=1&cursor=${encodeURIComponent(page1.nextCursor!)}`).expect(200)).body,
    );
    expect(page2.conversations.map((c) => c.id)).toEqual([second.conversationId]);

    const all = ConversationList.parse((await carol.list().expect(200)).body);
    expect(all.conversations.map((c) => c.title)).not.toContain('Bob asks about the VPN');
    expect(all.nextCursor).toBeNull();
  });

  it('reads a conversation with its messages and sources, and deletes it', async () => {
    const turn = await newConversation(alice, 'How do I reindex the knowledge base?');
    const conversation = Conversation.parse((await alice.get(turn.conversationId).expect(200)).body);
    expect(conversation.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(conversation.messages[0]!.content).toBe('How do I reindex the knowledge base?');
    expect(conversation.messages[1]).toMatchObject({
      id: turn.messageId,
      content: turn.answer,
      feedback: null,
    });
    expect(conversation.messages[1]!.sources.map((s) => s.id)).toEqual(turn.sources.map((s) => s.id));

    await alice.delete(turn.conversationId).expect(204);
    expect((await alice.get(turn.conversationId)).status).toBe(404);
    expect((await alice.delete(turn.conversationId)).status).toBe(404);
  });

  it('keeps one rating per answer: sent again, it replaces the earlier one', async () => {
    const turn = await newConversation(alice, 'Where do uploads go?');
    const up = Feedback.parse((await alice.rate(turn.messageId!, { rating: 'up' }).expect(200)).body);
    expect(up).toMatchObject({ rating: 'up', reason: null, comment: null });
    const down = Feedback.parse(
      (
        await alice
          .rate(turn.messageId!, { rating: 'down', reason: 'outdated', comment: 'The folder moved.' })
          .expect(200)
      ).body,
    );
    expect(down).toMatchObject({ rating: 'down', reason: 'outdated', comment: 'The folder moved.' });
    const stored = Conversation.parse((await alice.get(turn.conversationId).expect(200)).body);
    expect(stored.messages[1]!.feedback).toMatchObject({ rating: 'down', reason: 'outdated' });
    // The longest comment the contract allows is taken.
    const longest = Feedback.parse(
      (await alice.rate(turn.messageId!, { rating: 'down', comment: 'x'.repeat(1000) }).expect(200)).body,
    );
    expect(longest.comment).toHaveLength(1000);
  });

  it("answers another caller's conversation and answer with 404 on read, delete and feedback", async () => {
    const turn = await newConversation(alice, 'A private question');
    for (const res of [
      await bob.get(turn.conversationId),
      await bob.delete(turn.conversationId),
      await bob.rate(turn.messageId!, { rating: 'down', reason: 'wrong' }),
    ]) {
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(res.body).error.code).toBe('not_found');
    }
    // Still Alice's, unrated and undeleted.
    const kept = Conversation.parse((await alice.get(turn.conversationId).expect(200)).body);
    expect(kept.messages[1]!.feedback).toBeNull();
  });

  it('rates answers only: a question’s id, an unknown id or a malformed id is a 404', async () => {
    const turn = await newConversation(alice, 'Which ports does the service use?');
    const stored = Conversation.parse((await alice.get(turn.conversationId).expect(200)).body);
    for (const id of [stored.messages[0]!.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      expect((await alice.rate(id, { rating: 'up' })).status).toBe(404);
    }
    expect((await alice.get('not-a-uuid')).status).toBe(404);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=ten', 'limit'],
    ['?cursor=forged', 'cursor'],
    // The right shape, an impossible date: refused here, not by PostgreSQL.
    [
      `?cursor=${Buffer.from('2024-02-30T00:00:00.000000Z|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
      'cursor',
    ],
    [
      `?cursor=${Buffer.from('2024-99-99T99:99:99.000000Z|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
      'cursor',
    ],
  ])('refuses the list query %s with a 400 naming it', async (query, named) => {
    const res = await alice.list(query);
    expect(res.status).toBe(400);
    expect(ErrorBody.parse(res.body).error.message).toContain(named);
  });

  it.each([
    ['rating', { rating: 'meh' }],
    ['reason', { rating: 'down', reason: 'boring' }],
    ['comment', { rating: 'down', comment: 'x'.repeat(1001) }],
    ['stars', { rating: 'up', stars: 5 }],
    ['rating', {}],
  ])('refuses feedback with a bad or unknown %s: 400 naming it', async (named, body) => {
    const turn = await newConversation(alice, 'Is there a rate limit?');
    const res = await alice.rate(turn.messageId!, body);
    expect(res.status).toBe(400);
    expect(ErrorBody.parse(res.body).error.message).toContain(named);
  });

  it('needs a caller: no key, no conversations', async () => {
    expect((await request(t.url).get('/api/v1/conversations')).status).toBe(401);
    const turn = await newConversation(alice, 'Whose is this?');
    expect((await request(t.url).get(`/api/v1/conversations/${turn.conversationId}`)).status).toBe(401);
    expect((await request(t.url).delete(`/api/v1/conversations/${turn.conversationId}`)).status).toBe(401);
    const rate = await request(t.url)
      .post(`/api/v1/messages/${turn.messageId!}/feedback`)
      .send({ rating: 'up' });
    expect(rate.status).toBe(401);
  });
});

describe('the conversation routes with HISTORY=off', () => {
  it('say history is off, and the chat gives no message id', async () => {
    const t = await startTestService({ API_KEYS: ALICE, HISTORY: 'off' });
    try {
      const res = await request(t.url).get('/api/v1/conversations').set('X-API-Key', ALICE);
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(res.body).error.message).toContain('HISTORY=off');
      const reply = await request(t.url)
        .post('/api/v1/chat')
        .set('X-API-Key', ALICE)
        .send({ message: 'hello' })
        .expect(200);
      expect(ChatResponse.parse(reply.body).messageId).toBeNull();
    } finally {
      await t.close();
    }
  });
});
