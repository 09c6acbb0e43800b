import { setTimeout as sleep } from 'node:timers/promises';
import type { Answerer, Delivery, GroundedQuestion } from '../../src/chat/answerer.js';
import type { Call } from '../../src/models/chat-model.js';

/** Wraps an answerer and pauses between its deltas, as a model streaming tokens over the network does. */
export class PacedAnswerer implements Answerer {
  readonly modelId: string;

  constructor(
    private readonly inner: Answerer,
    private readonly pauseMs: number,
  ) {
    this.modelId = inner.modelId;
  }

  async *answer(question: GroundedQuestion, call: Call, delivery?: Delivery): AsyncIterable<string> {
    for await (const delta of this.inner.answer(question, call, delivery)) {
      await sleep(this.pauseMs, undefined, { signal: call.signal });
      yield delta;
    }
  }
}
