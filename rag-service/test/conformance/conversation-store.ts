import type { Database } from '../../src/db/database.js';
import { migrate, MIGRATIONS } from '../../src/db/migrations.js';
import {
  ConversationNotFoundError,
  ConversationStore,
  InvalidCursorError,
  titleOf,
  type Owner,
  type TurnToStore,
} from '../../src/history/conversation-store.js';

/** How a conformance run gets a database: an empty one per suite, and a way to let it go. */
export interface DatabaseHarness {
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

const ALICE: Owner = { id: 'forge:inst-1:acc-alice', kind: 'forge' };
const BOB: Owner = { id: 'forge:inst-1:acc-bob', kind: 'forge' };

const turn = (question: string, answer = `About ${question}`): TurnToStore => ({
  question,
  answer: {
    content: answer,
    sources: [{ n: 1, title: 'Runbook', url: 'https://example.atlassian.net/wiki/x', cited: true }],
    model: 'gpt-4o-mini',
    timings: { retrievalMs: 12, generationMs: 340 },
    usage: { promptTokens: 900, completionTokens: 60 },
    answered: true,
  },
  product: 'confluence',
});

/**
 * The rules every database adapter must keep, run against each (embedded PGlite and a PostgreSQL server):
 * migrations, turns kept whole, callers isolated, paging, feedback replaced, retention.
 */
export function conversationStoreConformance(name: string, harness: () => DatabaseHarness): void {
  describe(`conversation store conformance: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let store: ConversationStore;

    beforeAll(async () => {
      h = harness();
      db = await h.open();
      expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
      store = new ConversationStore(db);
    });
    afterAll(async () => {
      await db.close();
      await h.cleanup();
    });

    it('migrates once: a second run (another replica starting) applies nothing', async () => {
      expect(await migrate(db)).toEqual([]);
      const recorded = await db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(recorded.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    });

    it('keeps a turn, and continues the conversation from the stored messages', async () => {
      const first = await store.appendTurn(ALICE, turn('How do I rotate the API token?'));
      const second = await store.appendTurn(ALICE, turn('And for the staging site?'), first.conversationId);
      expect(second.conversationId).toBe(first.conversationId);
      expect(await store.history(ALICE, first.conversationId, 20)).toEqual([
        { role: 'user', content: 'How do I rotate the API token?' },
        { role: 'assistant', content: 'About How do I rotate the API token?' },
        { role: 'user', content: 'And for the staging site?' },
        { role: 'assistant', content: 'About And for the staging site?' },
      ]);
      // Only the newest messages when the prompt has room for fewer.
      expect((await store.history(ALICE, first.conversationId, 2)).map((m) => m.content)).toEqual([
        'And for the staging site?',
        'About And for the staging site?',
      ]);
      const read = await store.get(ALICE, first.conversationId);
      expect(read.title).toBe('How do I rotate the API token?');
      expect(read.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
      expect(read.messages[3]).toMatchObject({
        id: second.messageId,
        sources: [{ n: 1, title: 'Runbook', cited: true }],
        feedback: null,
      });
    });

    it("answers another caller's conversation as not found, on read, continue, delete and feedback", async () => {
      const mine = await store.appendTurn(ALICE, turn('Where is the on-call rota?'));
      await expect(store.get(BOB, mine.conversationId)).rejects.toThrow(ConversationNotFoundError);
      await expect(store.history(BOB, mine.conversationId, 20)).rejects.toThrow(ConversationNotFoundError);
      await expect(store.appendTurn(BOB, turn('hijack'), mine.conversationId)).rejects.toThrow(
        ConversationNotFoundError,
      );
      await expect(store.delete(BOB, mine.conversationId)).rejects.toThrow(ConversationNotFoundError);
      await expect(store.setFeedback(BOB, mine.messageId, { rating: 'down' })).rejects.toThrow(
        ConversationNotFoundError,
      );
      // Nothing of Alice's changed, and Bob's failed continue left no half-written turn.
      expect((await store.get(ALICE, mine.conversationId)).messages).toHaveLength(2);
      expect((await store.list(BOB, { limit: 50 })).conversations).toEqual([]);
      // Not a UUID at all: not found too, not a database error.
      await expect(store.get(ALICE, "x' OR 1=1 --")).rejects.toThrow(ConversationNotFoundError);
    });

    it('lists a caller’s conversations newest first, page by page, without gaps or repeats', async () => {
      const owner: Owner = { id: 'key:digest-paging', kind: 'api-key' };
      const made: string[] = [];
      for (let i = 0; i < 7; i++)
        made.push((await store.appendTurn(owner, turn(`Question ${i}`))).conversationId);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(owner, { limit: 3, cursor });
        expect(page.conversations.length).toBeLessThanOrEqual(3);
        seen.push(...page.conversations.map((c) => c.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...made].reverse());
      const [newest] = (await store.list(owner, { limit: 1 })).conversations;
      expect(newest).toMatchObject({ title: 'Question 6', product: 'confluence', messageCount: 2 });
      await expect(store.list(owner, { limit: 3, cursor: 'not-a-cursor' })).rejects.toThrow(
        InvalidCursorError,
      );
    });

    it('stores feedback on an answer, replaces it when sent again, and refuses it on a question', async () => {
      const t = await store.appendTurn(ALICE, turn('What is the VPN address?'));
      expect(
        await store.setFeedback(ALICE, t.messageId, { rating: 'down', reason: 'outdated', comment: 'moved' }),
      ).toMatchObject({ rating: 'down', reason: 'outdated', comment: 'moved' });
      expect(await store.setFeedback(ALICE, t.messageId, { rating: 'up' })).toMatchObject({
        rating: 'up',
        reason: null,
        comment: null,
      });
      const answer = (await store.get(ALICE, t.conversationId)).messages[1]!;
      expect(answer.feedback).toMatchObject({ rating: 'up', reason: null });
      const question = (await store.get(ALICE, t.conversationId)).messages[0]!;
      await expect(store.setFeedback(ALICE, question.id, { rating: 'up' })).rejects.toThrow(
        ConversationNotFoundError,
      );
      const rows = await db.query<{ n: string }>('SELECT count(*) AS n FROM feedback WHERE message_id = $1', [
        t.messageId,
      ]);
      expect(rows.map((r) => Number(r.n))).toEqual([1]);
    });

    it('deletes a conversation with its messages and feedback', async () => {
      const t = await store.appendTurn(ALICE, turn('Delete me'));
      await store.setFeedback(ALICE, t.messageId, { rating: 'up' });
      await store.delete(ALICE, t.conversationId);
      await expect(store.get(ALICE, t.conversationId)).rejects.toThrow(ConversationNotFoundError);
      const left = await db.query('SELECT 1 FROM messages WHERE conversation_id = $1', [t.conversationId]);
      expect(left).toEqual([]);
    });

    it('keeps two turns sent at once to one conversation, each whole, in consecutive places', async () => {
      const t = await store.appendTurn(ALICE, turn('Concurrent start'));
      await Promise.all([
        store.appendTurn(ALICE, turn('First at once'), t.conversationId),
        store.appendTurn(ALICE, turn('Second at once'), t.conversationId),
      ]);
      const roles = (await store.get(ALICE, t.conversationId)).messages.map((m) => m.role);
      expect(roles).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    });

    it('deletes what retention says is too old, and no other', async () => {
      const owner: Owner = { id: 'local', kind: 'local' };
      const old = await store.appendTurn(owner, turn('Old question'));
      const fresh = await store.appendTurn(owner, turn('Fresh question'));
      await db.query("UPDATE conversations SET updated_at = now() - interval '100 days' WHERE id = $1", [
        old.conversationId,
      ]);
      const cutoff = new Date(Date.now() - 90 * 24 * 3600 * 1000);
      expect(await store.deleteUntouchedSince(cutoff)).toBe(1);
      await expect(store.get(owner, old.conversationId)).rejects.toThrow(ConversationNotFoundError);
      expect((await store.get(owner, fresh.conversationId)).messages).toHaveLength(2);
      // A caller left with no conversation is forgotten too; one who still has some stays.
      const gone: Owner = { id: 'key:retention-only', kind: 'api-key' };
      const justAsking: Owner = { id: 'key:asking-right-now', kind: 'api-key' };
      for (const who of [gone, justAsking]) {
        const only = await store.appendTurn(who, turn('Only old'));
        await db.query("UPDATE conversations SET updated_at = now() - interval '100 days' WHERE id = $1", [
          only.conversationId,
        ]);
      }
      await db.query("UPDATE users SET last_seen_at = now() - interval '100 days' WHERE id = $1", [gone.id]);
      expect(await store.deleteUntouchedSince(cutoff)).toBe(2);
      expect(await db.query('SELECT 1 FROM users WHERE id = $1', [gone.id])).toEqual([]);
      expect(await db.query('SELECT 1 FROM users WHERE id = $1', [owner.id])).toHaveLength(1);
      // Seen since the cutoff: their turn may be being written now, and must not be cascaded away.
      expect(await db.query('SELECT 1 FROM users WHERE id = $1', [justAsking.id])).toHaveLength(1);
    });

    it('pages through conversations touched within one millisecond without skipping any', async () => {
      const owner: Owner = { id: 'key:same-millisecond', kind: 'api-key' };
      const ids: string[] = [];
      // This second, not a fixed date: a date long past is what retention deletes, in whichever test runs it.
      const second = new Date().toISOString().slice(0, 19);
      for (let i = 1; i <= 3; i++) {
        const { conversationId } = await store.appendTurn(owner, turn(`Question ${i}`));
        await db.query('UPDATE conversations SET updated_at = $2::timestamptz WHERE id = $1', [
          conversationId,
          `${second}.12300${i}Z`,
        ]);
        ids.push(conversationId);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(owner, { limit: 1, cursor });
        seen.push(...page.conversations.map((c) => c.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
    });

    it('keeps text as sent without the NUL character PostgreSQL cannot store', async () => {
      const owner: Owner = { id: 'key:nul', kind: 'api-key' };
      const kept = await store.appendTurn(owner, {
        question: 'token\u0000rotate',
        answer: {
          content: 'An\u0000answer',
          sources: [{ title: 'A\u0000title', snippet: 'text with a literal \\u0000 escape' }],
          answered: true,
        },
      });
      const stored = await store.get(owner, kept.conversationId);
      expect(stored.messages.map((m) => m.content)).toEqual(['tokenrotate', 'Ananswer']);
      expect(stored.messages[1]!.sources).toEqual([
        { title: 'Atitle', snippet: 'text with a literal \\u0000 escape' },
      ]);
      const feedback = await store.setFeedback(owner, kept.messageId, {
        rating: 'down',
        comment: 'bad\u0000x',
      });
      expect(feedback.comment).toBe('badx');
    });

    it('titles a conversation by its first question, on one line and cut at a word', () => {
      expect(titleOf('  How do I\nreset  MFA? ')).toBe('How do I reset MFA?');
      const long = titleOf(`${'word '.repeat(40)}end`);
      expect(long.length).toBeLessThanOrEqual(80);
      expect(long.endsWith('word…')).toBe(true);
    });
  });
}
