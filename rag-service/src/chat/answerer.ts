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
 * Writes the answer from the passages, streaming it as text deltas that cite passages as `[n]`. A language
 * model adapter and the extractive fallback are both answerers; the composition root picks one.
 */
export interface Answerer {
  /** `provider:model`, or `none` for the extractive fallback. */
  readonly modelId: string;
  answer(question: GroundedQuestion, call: Call): AsyncIterable<string>;
}

/** Turns a follow-up ("and how long does that take?") into a question that stands on its own. */
export interface QuestionCondenser {
  condense(history: ChatTurn[], message: string, call: Call): Promise<string>;
}
