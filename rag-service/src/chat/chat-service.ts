import { randomUUID } from 'node:crypto';
import type { ChatRequest, ChatResponse, ChatStreamEvent, ChatTurn, Source } from '@kb/contracts';
import { HISTORY_MAX_TURNS } from '@kb/contracts';
import {
  ConversationNotFoundError,
  type ConversationStore,
  type Owner,
} from '../history/conversation-store.js';
import type { PageAccess, Viewer } from '../access/page-access.js';
import { AppError } from '../errors.js';
import type { Call } from '../models/chat-model.js';
import type { Retriever } from '../retrieval/retriever.js';
import type { SearchFilter } from '../store/vector-store.js';
import type { Answerer, Delivery, QuestionCondenser } from './answerer.js';
import { CitationStream, citedNumbers } from './citations.js';
import { toSource } from './sources.js';

export const NOTHING_FOUND =
  "I couldn't find anything about that in the knowledge base, so I can't answer it from there. " +
  'Try rephrasing the question or naming the product, page or feature it is about.';

export interface ChatServiceDeps {
  retriever: Retriever;
  /** What each asker may see: their Confluence permissions, or the operator's policy. */
  access: PageAccess;
  answerer: Answerer;
  condenser: QuestionCondenser;
  embeddingsId: string;
  /** The whole turn's time budget: Forge waits 25 s for a remote call, so the default leaves a margin. */
  budgetMs: number;
  /**
   * Makes the signal that ends a turn at its budget (default: a timer of `budgetMs`). Tests pass one they
   * fire themselves, so that "the budget ran out" is an event they cause, not a wait they time.
   */
  budgetSignal?: (budgetMs: number) => AbortSignal;
  /** Where conversations are kept; absent with HISTORY=off (nothing about questions is stored). */
  conversations?: ConversationStore;
}

export const HISTORY_NOT_SAVED =
  'This answer could not be saved to your conversation history (the history database is unavailable).';

/** What to search for: the (condensed) question, plus the Jira issue it is asked about. */
function retrievalQuery(question: string, request: ChatRequest): string {
  const issue = request.context?.issue;
  return issue
    ? [question, issue.summary, issue.description?.slice(0, 2000)].filter(Boolean).join('\n')
    : question;
}

function searchFilter(request: ChatRequest): SearchFilter | undefined {
  const spaceKeys = request.filters?.spaceKeys;
  return spaceKeys?.length ? { spaceKeys } : undefined;
}

/**
 * One conversation turn: condense → retrieve (only what the asker may see) → answer → cite. It yields the contract's stream events; the
 * JSON route keeps the last one, and both pass the same citation filter, so streamed and non-streamed answers cannot disagree.
 */
export class ChatService {
  constructor(private readonly deps: ChatServiceDeps) {}

  get modelInfo(): ChatResponse['model'] {
    return { llm: this.deps.answerer.modelId, embeddings: this.deps.embeddingsId };
  }

  /**
   * Runs one turn within the budget. A client that goes away aborts everything it started; a turn that
   * runs out of time ends with `upstream_unavailable` rather than a late answer.
   */
  async *stream(
    request: ChatRequest,
    viewer: Viewer,
    clientSignal: AbortSignal,
    delivery: Delivery = 'streamed',
    owner?: Owner,
  ): AsyncGenerator<ChatStreamEvent> {
    const budget = this.deps.budgetSignal?.(this.deps.budgetMs) ?? AbortSignal.timeout(this.deps.budgetMs);
    const call: Call = {
      signal: AbortSignal.any([clientSignal, budget]),
      deadline: Date.now() + this.deps.budgetMs,
    };
    try {
      yield* this.turn(request, viewer, call, delivery, owner);
    } catch (err) {
      if (budget.aborted && !clientSignal.aborted) {
        throw new AppError(
          'upstream_unavailable',
          `no answer within the ${Math.round(this.deps.budgetMs / 1000)} s time budget; try again`,
        );
      }
      throw err;
    }
  }

  private async *turn(
    request: ChatRequest,
    viewer: Viewer,
    call: Call,
    delivery: Delivery,
    owner: Owner | undefined,
  ): AsyncGenerator<ChatStreamEvent> {
    const store = owner ? this.deps.conversations : undefined;
    const started = performance.now();
    const history = await this.historyFor(request, store, owner);
    const question = history.length
      ? await this.deps.condenser.condense(history, request.message, call)
      : request.message;
    const { passages, notice } = await this.deps.retriever.retrieve({
      query: retrievalQuery(question, request),
      // The gate weighs this turn's own words (and the issue's): history helps find, never admits.
      question: retrievalQuery(request.message, request),
      filter: searchFilter(request),
      preferSpace: request.context?.spaceKey,
      access: this.deps.access.plan(viewer),
      call,
    });
    const sources: Source[] = passages.map((p, i) => toSource(p, i + 1));
    const retrievedAt = performance.now();
    yield { event: 'sources', data: { sources } };

    // What was left out, and why, comes first: the answer below rests only on what the asker may see.
    let answer = notice ? `${notice}\n\n` : '';
    if (answer) yield { event: 'token', data: { text: answer } };
    if (!sources.length) {
      answer += NOTHING_FOUND;
      yield { event: 'token', data: { text: NOTHING_FOUND } };
    } else {
      const citations = new CitationStream(new Set(sources.map((s) => s.n)));
      const numbered = passages.map((p, i) => ({ n: i + 1, chunk: p.chunk }));
      for await (const delta of this.deps.answerer.answer(
        { question: request.message, history, passages: numbered, issue: request.context?.issue },
        call,
        delivery,
      )) {
        const text = citations.push(delta);
        if (text) {
          answer += text;
          yield { event: 'token', data: { text } };
        }
      }
      const rest = citations.flush();
      if (rest) {
        answer += rest;
        yield { event: 'token', data: { text: rest } };
      }
    }
    const cited = citedNumbers(answer);
    const citedSources = sources.map((s) => ({ ...s, cited: cited.has(s.n) }));
    let kept: { conversationId: string; messageId: string | null } = {
      conversationId: request.conversationId ?? randomUUID(),
      messageId: null,
    };
    if (store && owner) {
      try {
        kept = await store.appendTurn(
          owner,
          {
            question: request.message,
            answer: {
              content: answer,
              sources: citedSources,
              model: this.modelInfo.llm,
              // Where the turn's time went: kept with the answer, for operators and the insights.
              timings: {
                retrievalMs: Math.round(retrievedAt - started),
                answerMs: Math.round(performance.now() - retrievedAt),
              },
              answered: sources.length > 0,
            },
            product: request.context?.product,
            spaceKey: request.context?.spaceKey,
          },
          request.conversationId,
        );
      } catch (err) {
        if (err instanceof ConversationNotFoundError) throw notYours(request.conversationId);
        // Whatever the database did, the answer stands: only keeping it failed, and the reader is told so.
        const note = `\n\n${HISTORY_NOT_SAVED}`;
        answer += note;
        yield { event: 'token', data: { text: note } };
      }
    }
    const response: ChatResponse = {
      answer,
      sources: citedSources,
      ...kept,
      model: this.modelInfo,
    };
    yield { event: 'done', data: response };
  }

  /**
   * The turns before this question: with history kept and a conversation named, the stored ones (the
   * client's copy is ignored, so it cannot put words in the assistant's mouth); else what the client sent.
   */
  private async historyFor(
    request: ChatRequest,
    store: ConversationStore | undefined,
    owner: Owner | undefined,
  ): Promise<ChatTurn[]> {
    if (!store || !owner || !request.conversationId) return request.history ?? [];
    try {
      return await store.history(owner, request.conversationId, HISTORY_MAX_TURNS);
    } catch (err) {
      if (err instanceof ConversationNotFoundError) throw notYours(request.conversationId);
      // The database is down or failing: answer from what the client sent rather than not at all.
      return request.history ?? [];
    }
  }

  /** The whole answer at once: the same turn, with the model asked for one response instead of a stream. */
  async ask(request: ChatRequest, viewer: Viewer, signal: AbortSignal, owner?: Owner): Promise<ChatResponse> {
    let done: ChatResponse | undefined;
    for await (const event of this.stream(request, viewer, signal, 'whole', owner))
      if (event.event === 'done') done = event.data;
    if (!done) throw new Error('the chat stream ended without an answer');
    return done;
  }
}

/** Another caller's conversation, or none: the same answer, so ids reveal nothing. */
function notYours(conversationId: string | undefined): AppError {
  return new AppError('not_found', `no conversation ${(conversationId ?? '').slice(0, 128)} of yours`);
}
