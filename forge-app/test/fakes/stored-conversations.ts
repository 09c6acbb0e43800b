import {
  CONVERSATIONS_PAGE_DEFAULT,
  CONVERSATIONS_PAGE_MAX,
  type ChatProduct,
  type Conversation,
  type ConversationList,
  type ConversationMessage,
  type Feedback,
  type FeedbackRequest,
  type Source,
} from '@kb/contracts';

/** A conversation as the double keeps it: the contract's shape plus whose it is. */
interface Kept extends Conversation {
  owner: string;
}

/** Thrown for an id that is not one of the caller's: the double answers 404 `not_found`, as the service does. */
export class NotTheCallers extends Error {}

/**
 * The service's conversation history, for the Forge app's tests: each caller sees, continues, rates and
 * deletes only their own conversations; rating an answer again replaces the earlier rating; the list is
 * newest first, a page at a time with an opaque cursor. Ids are readable (`conv-1`, `msg-2`) for tests.
 */
export class StoredConversations {
  private readonly kept: Kept[] = [];
  private conversations = 0;
  private messages = 0;

  /** The stored conversation a chat request continues, or a new one; its turns so far. */
  continueOrStart(owner: string, conversationId: string | undefined, question: string): Kept {
    if (conversationId) return this.find(owner, conversationId);
    const now = new Date().toISOString();
    const conversation: Kept = {
      owner,
      id: `conv-${String(++this.conversations)}`,
      title: question.length > 80 ? `${question.slice(0, 79)}…` : question,
      product: null,
      createdAt: now,
      updatedAt: now,
      messages: [],
    };
    this.kept.push(conversation);
    return conversation;
  }

  /** Keeps one question and its answer; returns the answer's message id. */
  record(
    conversation: Kept,
    product: ChatProduct | null,
    question: string,
    answer: { content: string; sources: Source[] },
    at = new Date(),
  ): string {
    const createdAt = at.toISOString();
    const message = (role: 'user' | 'assistant', content: string, sources: Source[]) => ({
      id: `msg-${String(++this.messages)}`,
      role,
      content,
      sources,
      createdAt,
      feedback: null,
    });
    conversation.messages.push(message('user', question, []));
    const stored: ConversationMessage = message('assistant', answer.content, answer.sources);
    conversation.messages.push(stored);
    conversation.product ??= product;
    conversation.updatedAt = createdAt;
    return stored.id;
  }

  /** A conversation made for a test, as if asked at `at`: its id. */
  seed(
    owner: string,
    exchanges: [question: string, answer: string][],
    at: Date,
    product: ChatProduct,
  ): string {
    const conversation = this.continueOrStart(owner, undefined, exchanges[0]![0]);
    conversation.createdAt = at.toISOString();
    for (const [question, answer] of exchanges)
      this.record(conversation, product, question, { content: answer, sources: [] }, at);
    return conversation.id;
  }

  list(owner: string, limit = CONVERSATIONS_PAGE_DEFAULT, cursor?: string): ConversationList {
    if (!Number.isInteger(limit) || limit < 1 || limit > CONVERSATIONS_PAGE_MAX)
      throw new Error(`limit must be 1 to ${String(CONVERSATIONS_PAGE_MAX)}`);
    const start = cursor === undefined ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new Error('cursor is not one this service gave out');
    const mine = this.kept
      .filter((c) => c.owner === owner)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id));
    const next = start + limit;
    return {
      conversations: mine
        .slice(start, next)
        .map(({ id, title, product, createdAt, updatedAt, messages }) => ({
          id,
          title,
          product,
          createdAt,
          updatedAt,
          messageCount: messages.length,
        })),
      nextCursor: next < mine.length ? Buffer.from(String(next)).toString('base64url') : null,
    };
  }

  get(owner: string, id: string): Conversation {
    const { owner: _owner, ...conversation } = this.find(owner, id);
    return conversation;
  }

  delete(owner: string, id: string): void {
    this.kept.splice(this.kept.indexOf(this.find(owner, id)), 1);
  }

  rate(owner: string, messageId: string, request: FeedbackRequest): Feedback {
    const answer = this.kept
      .filter((c) => c.owner === owner)
      .flatMap((c) => c.messages)
      .find((m) => m.id === messageId && m.role === 'assistant');
    if (!answer) throw new NotTheCallers(`no answer ${messageId}`);
    answer.feedback = {
      rating: request.rating,
      reason: request.reason ?? null,
      comment: request.comment ?? null,
      updatedAt: new Date().toISOString(),
    };
    return answer.feedback;
  }

  private find(owner: string, id: string): Kept {
    const found = this.kept.find((c) => c.id === id && c.owner === owner);
    if (!found) throw new NotTheCallers(`no conversation ${id}`);
    return found;
  }
}
