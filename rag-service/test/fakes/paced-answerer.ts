import { setTimeout as sleep } from 'node:timers/promises';
import type { Answerer, GroundedQuestion } from '../../src/chat/answerer.js';

/** Wraps an answerer and pauses between its deltas, as a model streaming tokens over the network does. */
export class PacedAnswerer implements Answerer {
  readonly modelId: string;

  constructor(
    private readonly inner: Answerer,
    private readonly pauseMs: number,
  ) {
    this.modelId = inner.modelId;
  }

  async *answer(question: GroundedQuestion, signal: AbortSignal): AsyncIterable<string> {
    for await (const delta of this.inner.answer(question, signal)) {
      await sleep(this.pauseMs, undefined, { signal });
      yield delta;
    }
  }
}
