import type { Logger } from 'pino';
import { embedAll, type Embedder } from '../models/embedder.js';
import { CHAT_RETRY } from '../net/retry.js';

/** Phrasings whose vectors are kept between requests: a few requests' worth of groups (≈12 MB at 1,536 dimensions). */
const CACHED_MAX = 2_000;
/**
 * How long an insights request waits for the embedding model before it groups by words alone. The Forge
 * admin page gives the whole call 10 s (its resolver's budget), and the request's reads and grouping come
 * first: a slow model must leave the page its figures, grouped by words, not a timeout.
 */
export const EMBED_BUDGET_MS = 4_000;

/**
 * The vectors of gap phrasings, from the service's embedding model, kept in memory (least recently used
 * out first): the groups change little from one call to the next, so a second call embeds only new ones.
 * Vectors are Float32Array, as the model returns them in base64: half the memory of number[].
 */
export class PhrasingVectors {
  private readonly cache = new Map<string, Float32Array>();

  constructor(
    private readonly embedder: Embedder,
    private readonly cachedMax = CACHED_MAX,
  ) {}

  get id(): string {
    return this.embedder.id;
  }

  /** One vector per text, in order; a model fault is retried with backoff, then thrown. */
  async of(texts: string[]): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array>();
    for (const t of texts) {
      const v = this.cache.get(t);
      if (!v) continue;
      found.set(t, v);
      // Most recently used last: eviction takes the Map's first keys.
      this.cache.delete(t);
      this.cache.set(t, v);
    }
    const missing = [...new Set(texts.filter((t) => !found.has(t)))];
    if (missing.length) {
      const vectors = await embedAll(this.embedder, missing, {
        policy: CHAT_RETRY,
        deadline: Date.now() + EMBED_BUDGET_MS,
        signal: AbortSignal.timeout(EMBED_BUDGET_MS),
      });
      missing.forEach((t, i) => {
        const v = Float32Array.from(vectors[i]!);
        found.set(t, v);
        this.cache.set(t, v);
      });
      for (const key of this.cache.keys()) {
        if (this.cache.size <= this.cachedMax) break;
        this.cache.delete(key);
      }
    }
    return texts.map((t) => found.get(t)!);
  }
}

/** How content gaps are grouped: by meaning with the embedding model, or by words when there is none. */
export interface GapGrouping {
  vectors: PhrasingVectors;
  /** Cosine at which two phrasings ask the same thing: depends on the model (INSIGHTS_GAP_SIMILARITY). */
  sameTopic: number;
  log: Logger;
}
