import type { ChatTurn, JiraIssueContext } from '@kb/contracts';
import type { Call } from '../models/chat-model.js';
import type { RetrievedChunk } from '../store/vector-store.js';

export interface NumberedPassage {
  n: number;
  chunk: RetrievedChunk;
}

/** What an answer is asked for: the question, the conversation so far, and the only passages it may use. */
export interface GroundedQuestion {
  question: string;
  history: ChatTurn[];
  passages: NumberedPassage[];
  issue?: JiraIssueContext;
}

/**
 * How the caller takes the answer: `streamed` as deltas while the model writes, or `whole` when it waits
 * for the end anyway — then one model response replaces a stream of chunks to parse and merge.
 */
export type Delivery = 'streamed' | 'whole';

/**
 * Writes the answer from the passages as text deltas that cite passages as `[n]`. A language model
 * adapter and the extractive fallback are both answerers; the composition root picks one.
 */
export interface Answerer {
  /** `provider:model`, or `none` for the extractive fallback. */
  readonly modelId: string;
  answer(question: GroundedQuestion, call: Call, delivery?: Delivery): AsyncIterable<string>;
}

/** Turns a follow-up ("and how long does that take?") into a question that stands on its own. */
export interface QuestionCondenser {
  condense(history: ChatTurn[], message: string, call: Call): Promise<string>;
}
