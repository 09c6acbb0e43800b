import { analyze } from '../../src/text/analyzer.js';
import type { Embedder } from '../../src/models/embedder.js';

/**
 * A deterministic embedder for tests: the feature-hashed, L2-normalised bag of the text's analyzed terms.
 * Texts sharing words get similar vectors, so dense and hybrid retrieval are testable without a model.
 * It counts calls so tests can prove how often embedding happens.
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;
  calls = 0;
  texts = 0;
  /** Milliseconds each batch takes, to give tests a window in which work is under way. */
  delayMs = 0;
  /** Words this model knows to mean another ("okta" → "sso"): what a real model learns, that words alone miss. */
  readonly synonyms = new Map<string, string>();

  constructor(
    readonly dimensions = 256,
    readonly maxBatchSize = 16,
    name = 'test:hashing',
  ) {
    this.id = `${name}-${dimensions}`;
  }

  /** Thrown by every call while set: a model that refuses (not worth a retry). */
  failWith: Error | undefined;
  /**
   * Awaited before each batch (given how many came before): a test holds the work at a point it chooses
   * and lets it go, instead of slowing every batch and hoping to catch the work mid-way.
   */
  beforeBatch: ((previousCalls: number) => Promise<void>) | undefined;

  async embedBatch(texts: string[]): Promise<number[][]> {
    if (this.failWith) throw this.failWith;
    await this.beforeBatch?.(this.calls);
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.calls++;
    this.texts += texts.length;
    return texts.map((t) => this.vector(t));
  }

  vector(text: string): number[] {
    const v = new Array<number>(this.dimensions).fill(0);
    for (const word of analyze(text)) {
      const term = this.synonyms.get(word) ?? word;
      let h = 2166136261;
      for (let i = 0; i < term.length; i++) h = Math.imul(h ^ term.charCodeAt(i), 16777619) >>> 0;
      v[h % this.dimensions]! += h & 1 ? 1 : -1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }
}
