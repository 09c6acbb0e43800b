import { uniqueTerms } from '../text/analyzer.js';
import { BREADCRUMB } from '../text/breadcrumb.js';
import type { ChatTurn } from '@kb/contracts';
import type { Call } from '../models/chat-model.js';
import type { Answerer, GroundedQuestion, QuestionCondenser } from './answerer.js';
import { quotePassage } from './quote.js';

export const NO_MODEL_NOTICE =
  'No language model is configured, so this answer quotes the most relevant passages of the knowledge base.';

const MAX_QUOTED_PASSAGES = 3;

/**
 * The answer when no language model is configured: honest about it, and still useful — it quotes the
 * best-matching sentences of the top passages (or, asked how to do something, their commands or steps
 * whole), each with its `[n]` citation.
 */
export class ExtractiveAnswerer implements Answerer {
  readonly modelId = 'none';

  async *answer(q: GroundedQuestion, call: Call): AsyncIterable<string> {
    yield NO_MODEL_NOTICE;
    for (const [i, { n, chunk }] of q.passages.slice(0, MAX_QUOTED_PASSAGES).entries()) {
      call.signal.throwIfAborted();
      const where = [chunk.title, ...chunk.headingPath.slice(-1)].filter((v, k, a) => a.indexOf(v) === k);
      const { prose, blocks, coverage } = quotePassage(chunk.text, q.question, chunk.headingPath.at(-1));
      // The best passage is always quoted; a further one only when its words hold some of the question.
      if (i > 0 && coverage === 0) continue;
      const lead = prose ? `: “${prose}” [${n}]` : ` [${n}]:`;
      yield `\n\n${where.join(BREADCRUMB)}${lead}${blocks.map((b) => `\n\n${b}`).join('')}`;
    }
  }
}

const FOLLOW_UP_MAX_TERMS = 4;

/**
 * Without a model, a short follow-up borrows the terms of the previous question, so "and with Qdrant?"
 * still retrieves about what was being discussed.
 */
export class LexicalCondenser implements QuestionCondenser {
  async condense(history: ChatTurn[], message: string): Promise<string> {
    const lastUser = [...history].reverse().find((t) => t.role === 'user');
    if (!lastUser || uniqueTerms(message).size > FOLLOW_UP_MAX_TERMS) return message;
    return `${message} ${lastUser.content}`;
  }
}
