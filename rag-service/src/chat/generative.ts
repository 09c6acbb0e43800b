import type { ChatTurn } from '@kb/contracts';
import type { Logger } from 'pino';
import type { Call } from '../models/chat-model.js';
import type { ResilientChatModel } from '../models/resilient.js';
import type { Answerer, Delivery, GroundedQuestion, QuestionCondenser } from './answerer.js';
import { LexicalCondenser } from './extractive.js';
import { answerMessages, condenseMessages, type PromptBudget } from './prompt.js';

/** Answers with a language model, from the numbered passages only. */
export class GenerativeAnswerer implements Answerer {
  constructor(
    private readonly model: ResilientChatModel,
    private readonly budget?: PromptBudget,
  ) {}

  get modelId(): string {
    return this.model.id;
  }

  async *answer(
    question: GroundedQuestion,
    call: Call,
    delivery: Delivery = 'streamed',
  ): AsyncIterable<string> {
    const messages = answerMessages(question, this.budget);
    if (delivery === 'whole') yield await this.model.complete(messages, call);
    else yield* this.model.stream(messages, call);
  }
}

const MAX_CONDENSED_CHARS = 500;

/**
 * Rewrites a follow-up into a standalone question with one short model call. If the model cannot be
 * reached in time, the lexical fallback keeps the conversation going rather than failing the turn.
 */
export class ModelCondenser implements QuestionCondenser {
  private readonly fallback = new LexicalCondenser();

  constructor(
    private readonly model: ResilientChatModel,
    private readonly log?: Logger,
  ) {}

  async condense(history: ChatTurn[], message: string, call: Call): Promise<string> {
    try {
      const text =
        (await this.model.complete(condenseMessages(history, message), call)).trim().split('\n')[0]?.trim() ??
        '';
      return text ? text.replace(/^["“]|["”]$/g, '').slice(0, MAX_CONDENSED_CHARS) : message;
    } catch (err) {
      if (call.signal.aborted) throw err;
      this.log?.warn(
        { err: (err as Error).message },
        'question condensing failed; using the lexical fallback',
      );
      return this.fallback.condense(history, message);
    }
  }
}
