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

  private hold: { after: number; released: Promise<void>; release: () => void } | undefined;

  /**
   * The next answer stops after `deltas` deltas until release(): a test sees the partial answer on the page
   * for certain, however fast or loaded the machine (pauses alone can arrive as one burst).
   */
  holdAfter(deltas: number): void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.hold = { after: deltas, released, release };
  }

  release(): void {
    this.hold?.release();
    this.hold = undefined;
  }

  async *answer(question: GroundedQuestion, call: Call, delivery?: Delivery): AsyncIterable<string> {
    const hold = this.hold;
    let sent = 0;
    for await (const delta of this.inner.answer(question, call, delivery)) {
      if (hold && sent === hold.after) await hold.released;
      await sleep(this.pauseMs, undefined, { signal: call.signal });
      yield delta;
      sent++;
    }
  }
}
