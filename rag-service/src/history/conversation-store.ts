import { randomUUID } from 'node:crypto';
import type {
  ChatProduct,
  ConversationSummary,
  Feedback,
  FeedbackRating,
  FeedbackReason,
} from '@kb/contracts';
import type { Database, SqlValue } from '../db/database.js';
import { isUuid } from '../db/uuid.js';

/** Who a conversation belongs to: a Forge user (installation + account), an API key's digest, or the local user. */
export interface Owner {
  id: string;
  kind: 'forge' | 'api-key' | 'local';
}

export interface StoredSource {
  [key: string]: unknown;
}

/** One chat turn to keep: the question, and the answer with what produced it. */
export interface TurnToStore {
  question: string;
  answer: {
    content: string;
    sources: readonly StoredSource[];
    model?: string;
    timings?: Record<string, number>;
    usage?: Record<string, number>;
    /** False when the knowledge base had nothing for the question (a content gap). */
    answered: boolean;
  };
  product?: ChatProduct;
  /** The space the question was asked in (a Confluence page's or sidebar's), for the insights. */
  spaceKey?: string;
}

// The shapes the API returns are the shared contract's; the store fills them.
export type { ConversationSummary, Feedback, FeedbackReason } from '@kb/contracts';
export type Rating = FeedbackRating;

export interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  sources: StoredSource[];
  createdAt: string;
  feedback: Feedback | null;
}

export interface Conversation {
  id: string;
  title: string;
  product: ChatProduct | null;
  createdAt: string;
  updatedAt: string;
  messages: StoredMessage[];
}

/** What a caller may not see is, to them, not there: one answer for "another's" and "none". */
export class ConversationNotFoundError extends Error {
  override readonly name = 'ConversationNotFoundError';
}

/** The caller's row, made on their first turn and touched on each (a CTE: $1 id, $2 kind). */
const UPSERT_USER = `u AS (
  INSERT INTO users (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET last_seen_at = now() RETURNING id
)`;

/**
 * The question and its answer, at places $4 and $4 + 1 of the conversation a CTE `c` names; the question
 * keeps where it was asked ($14 space, $15 product).
 */
const INSERT_TURN = `
  INSERT INTO messages (id, conversation_id, seq, role, content, sources, model, timings, usage, answered,
                        space_key, product)
  SELECT v.id, c.id, $4::integer + v.step, v.role, v.content, v.sources, v.model, v.timings, v.usage,
         v.answered, v.space_key, v.product
    FROM c, (VALUES
      ($5::uuid, 0, 'user', $6::text, '[]'::jsonb, NULL::text, NULL::jsonb, NULL::jsonb, NULL::boolean,
       $14::text, $15::text),
      ($7::uuid, 1, 'assistant', $8::text, $9::jsonb, $10::text, $11::jsonb, $12::jsonb, $13::boolean,
       NULL::text, NULL::text)
    ) AS v (id, step, role, content, sources, model, timings, usage, answered, space_key, product)`;

const TITLE_CHARS = 80;
/** Conversations deleted per statement by retention. */
const RETENTION_BATCH = 1000;

/**
 * Text PostgreSQL can store: it refuses NUL (U+0000) in text and jsonb, which a client may send and a
 * document may hold. Dropped rather than refused: the rest of the text is what the reader wrote.
 */
const storable = (text: string): string => text.replaceAll('\u0000', '');
/** JSON for a jsonb column, without NUL in any string (jsonb refuses its escape too). */
const storableJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? storable(v) : v));
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** A conversation's title: its first question on one line, cut at a word near 80 characters. */
export function titleOf(question: string): string {
  const line = question.replace(/\s+/g, ' ').trim();
  if (line.length <= TITLE_CHARS) return line;
  const cut = line.slice(0, TITLE_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const iso = (value: Date | string) => new Date(value).toISOString();

/** Opaque to clients: the last row's (updatedAt, id), for keyset paging that new rows cannot shift. */
function encodeCursor(updatedAt: string, id: string): string {
  return Buffer.from(`${updatedAt}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { updatedAt: string; id: string } | undefined {
  const [updatedAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length || !updatedAt || !id || !isUuid(id) || !CURSOR_TIME.test(updatedAt)) return undefined;
  // The shape is not enough: 2024-02-30 or hour 99 would reach PostgreSQL and fail there.
  const seconds = `${updatedAt.slice(0, 19)}Z`;
  const time = Date.parse(seconds);
  if (
    Number.isNaN(time) ||
    time < 0 ||
    new Date(time).toISOString().slice(0, 19) !== updatedAt.slice(0, 19)
  ) {
    return undefined;
  }
  return { updatedAt, id };
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

/**
 * Conversations, their messages and the feedback on answers, each owned by one caller. Every read and
 * write names the owner in its SQL, so no path reaches another caller's rows.
 */
export class ConversationStore {
  constructor(private readonly db: Database) {}

  /**
   * Keeps one turn: in `conversationId` when given (it must be the owner's), else in a new conversation.
   * Question and answer are written together or not at all. A new conversation is one statement (one
   * round trip: this runs on every answer); a continued one locks its conversation first, so two turns
   * sent at once get consecutive places, not the same one.
   */
  async appendTurn(
    owner: Owner,
    turn: TurnToStore,
    conversationId?: string,
  ): Promise<{ conversationId: string; messageId: string }> {
    const messageId = randomUUID();
    const { answer } = turn;
    // $1–$2 the owner, $3 the conversation, $4 the first place, $5–$15 the two messages.
    const params = (id: string, seq: number): SqlValue[] => [
      owner.id,
      owner.kind,
      id,
      seq,
      randomUUID(),
      storable(turn.question),
      messageId,
      storable(answer.content),
      storableJson(answer.sources),
      answer.model ?? null,
      answer.timings ? JSON.stringify(answer.timings) : null,
      answer.usage ? JSON.stringify(answer.usage) : null,
      answer.answered,
      turn.spaceKey ? storable(turn.spaceKey) : null,
      turn.product ?? null,
    ];
    if (!conversationId) {
      const id = randomUUID();
      await this.db.query(
        `WITH ${UPSERT_USER}, c AS (
           INSERT INTO conversations (id, user_id, title, product) SELECT $3, u.id, $16, $15 FROM u RETURNING id
         ) ${INSERT_TURN}`,
        [...params(id, 0), titleOf(storable(turn.question))],
      );
      return { conversationId: id, messageId };
    }
    const id = this.checkedId(conversationId);
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<{ next: number }>(
        `SELECT coalesce((SELECT max(seq) FROM messages WHERE conversation_id = c.id), -1) + 1 AS next
           FROM conversations c WHERE c.id = $1 AND c.user_id = $2 FOR UPDATE`,
        [id, owner.id],
      );
      if (!row) throw new ConversationNotFoundError(`no conversation ${conversationId}`);
      await tx.query(
        `WITH ${UPSERT_USER}, c AS (
           UPDATE conversations SET updated_at = now() WHERE id = $3 AND user_id = $1 RETURNING id
         ) ${INSERT_TURN}`,
        params(id, row.next),
      );
      return { conversationId: id, messageId };
    });
  }

  /** The last `maxMessages` messages of the owner's conversation, oldest first: the prompt's history. */
  async history(
    owner: Owner,
    conversationId: string,
    maxMessages: number,
  ): Promise<{ role: 'user' | 'assistant'; content: string }[]> {
    const rows = await this.db.query<{ role: 'user' | 'assistant'; content: string; owned: boolean }>(
      `SELECT m.role, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE c.id = $1 AND c.user_id = $2 ORDER BY m.seq DESC LIMIT $3`,
      [this.checkedId(conversationId), owner.id, maxMessages],
    );
    if (!rows.length) await this.mustOwn(owner, conversationId);
    return rows.reverse().map(({ role, content }) => ({ role, content }));
  }

  /** The owner's conversations, most recently active first, `limit` at a time. */
  async list(
    owner: Owner,
    options: { limit: number; cursor?: string },
  ): Promise<{ conversations: ConversationSummary[]; nextCursor: string | null }> {
    const after = options.cursor ? decodeCursor(options.cursor) : undefined;
    if (options.cursor && !after) throw new InvalidCursorError('cursor is not one this service gave out');
    const rows = await this.db.query<{
      id: string;
      title: string;
      product: ChatProduct | null;
      created_at: Date;
      updated_at: Date;
      message_count: number | string;
    }>(
      `SELECT c.id, c.title, c.product, c.created_at, c.updated_at,
              (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
         FROM conversations c
        WHERE c.user_id = $1 AND ($2::timestamptz IS NULL OR (c.updated_at, c.id) < ($2::timestamptz, $3::uuid))
        ORDER BY c.updated_at DESC, c.id DESC
        LIMIT $4`,
      [owner.id, after?.updatedAt ?? null, after?.id ?? null, options.limit + 1],
    );
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      conversations: page.map((r) => ({
        id: r.id,
        title: r.title,
        product: r.product,
        createdAt: iso(r.created_at),
        updatedAt: iso(r.updated_at),
        messageCount: Number(r.message_count),
      })),
      // The exact stored time (microseconds), not the ISO form: a millisecond cursor could skip a row.
      nextCursor:
        rows.length > options.limit && last ? encodeCursor(await this.exactTime(last.id), last.id) : null,
    };
  }

  /** One of the owner's conversations with every message and the feedback on each answer. */
  async get(owner: Owner, conversationId: string): Promise<Conversation> {
    const [conversation] = await this.db.query<{
      id: string;
      title: string;
      product: ChatProduct | null;
      created_at: Date;
      updated_at: Date;
    }>(
      'SELECT id, title, product, created_at, updated_at FROM conversations WHERE id = $1 AND user_id = $2',
      [this.checkedId(conversationId), owner.id],
    );
    if (!conversation) throw new ConversationNotFoundError(`no conversation ${conversationId}`);
    const messages = await this.db.query<{
      id: string;
      role: 'user' | 'assistant';
      content: string;
      sources: StoredSource[] | string;
      created_at: Date;
      rating: Rating | null;
      reason: FeedbackReason | null;
      comment: string | null;
      feedback_at: Date | null;
    }>(
      `SELECT m.id, m.role, m.content, m.sources, m.created_at,
              f.rating, f.reason, f.comment, f.updated_at AS feedback_at
         FROM messages m LEFT JOIN feedback f ON f.message_id = m.id
        WHERE m.conversation_id = $1 ORDER BY m.seq`,
      [conversation.id],
    );
    return {
      id: conversation.id,
      title: conversation.title,
      product: conversation.product,
      createdAt: iso(conversation.created_at),
      updatedAt: iso(conversation.updated_at),
      messages: messages.map((m) => ({
        id: m.id,
        role: m.role,
        content: m.content,
        sources: typeof m.sources === 'string' ? (JSON.parse(m.sources) as StoredSource[]) : m.sources,
        createdAt: iso(m.created_at),
        feedback:
          m.rating && m.feedback_at
            ? { rating: m.rating, reason: m.reason, comment: m.comment, updatedAt: iso(m.feedback_at) }
            : null,
      })),
    };
  }

  /** Deletes one of the owner's conversations with its messages and feedback. */
  async delete(owner: Owner, conversationId: string): Promise<void> {
    const rows = await this.db.query<{ id: string }>(
      'DELETE FROM conversations WHERE id = $1 AND user_id = $2 RETURNING id',
      [this.checkedId(conversationId), owner.id],
    );
    if (!rows.length) throw new ConversationNotFoundError(`no conversation ${conversationId}`);
  }

  /** Rates an answer in one of the owner's conversations; rating it again replaces the earlier feedback. */
  async setFeedback(
    owner: Owner,
    messageId: string,
    feedback: { rating: Rating; reason?: FeedbackReason; comment?: string },
  ): Promise<Feedback> {
    const [row] = await this.db.query<{
      rating: Rating;
      reason: FeedbackReason | null;
      comment: string | null;
      updated_at: Date;
    }>(
      `INSERT INTO feedback (message_id, rating, reason, comment)
       SELECT m.id, $3, $4, $5 FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.id = $1 AND c.user_id = $2 AND m.role = 'assistant'
       ON CONFLICT (message_id) DO UPDATE
         SET rating = excluded.rating, reason = excluded.reason, comment = excluded.comment, updated_at = now()
       RETURNING rating, reason, comment, updated_at`,
      [
        this.checkedId(messageId),
        owner.id,
        feedback.rating,
        feedback.reason ?? null,
        feedback.comment === undefined ? null : storable(feedback.comment),
      ],
    );
    if (!row) throw new ConversationNotFoundError(`no answer ${messageId}`);
    return { rating: row.rating, reason: row.reason, comment: row.comment, updatedAt: iso(row.updated_at) };
  }

  /**
   * Deletes conversations untouched since `before` (retention), a batch at a time so a large backlog
   * never runs into the statement timeout; returns how many.
   */
  async deleteUntouchedSince(before: Date): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows = await this.db.query<{ id: string }>(
        `DELETE FROM conversations WHERE id IN (
           SELECT id FROM conversations WHERE updated_at < $1 LIMIT ${RETENTION_BATCH}
         ) RETURNING id`,
        [before],
      );
      deleted += rows.length;
      if (rows.length < RETENTION_BATCH) break;
    }
    // A user with nothing left is forgotten too. Only one not seen since the cutoff: a user asking right
    // now has just touched their row, and the turn they are writing must not go with it.
    await this.db.query(
      `DELETE FROM users u WHERE u.last_seen_at < $1
          AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = u.id)`,
      [before],
    );
    return deleted;
  }

  private async mustOwn(owner: Owner, conversationId: string): Promise<void> {
    const rows = await this.db.query('SELECT 1 FROM conversations WHERE id = $1 AND user_id = $2', [
      conversationId,
      owner.id,
    ]);
    if (!rows.length) throw new ConversationNotFoundError(`no conversation ${conversationId}`);
  }

  private async exactTime(conversationId: string): Promise<string> {
    const [row] = await this.db.query<{ t: string }>(
      `SELECT to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t
         FROM conversations WHERE id = $1`,
      [conversationId],
    );
    return row?.t ?? new Date(0).toISOString();
  }

  /** A malformed id cannot name anyone's row: not found, without asking PostgreSQL to parse it. */
  private checkedId(id: string): string {
    if (!isUuid(id)) throw new ConversationNotFoundError(`no conversation ${id.slice(0, 60)}`);
    return id;
  }
}
