import type { HealthTracker } from './resilient.js';
import { INGEST_RETRY, withRetry, type RetryPolicy } from '../net/retry.js';

/**
 * The embedding port. An adapter embeds one batch of at most `maxBatchSize` texts in one attempt;
 * batching, concurrency and retries live once in `embedAll`, not in every adapter.
 */
export interface Embedder {
  /** `provider:model`, recorded in the index so vectors of two models are never mixed. */
  readonly id: string;
  readonly dimensions: number;
  readonly maxBatchSize: number;
  embedBatch(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

export interface EmbedAllOptions {
  concurrency?: number;
  signal?: AbortSignal;
  /** Epoch ms: no retry wait starts past it (a chat's budget). */
  deadline?: number;
  policy?: RetryPolicy;
  health?: HealthTracker;
}

/** Embeds any number of texts in batches of `maxBatchSize`, at most `concurrency` batches in flight, each retried. */
export async function embedAll(
  embedder: Embedder,
  texts: string[],
  options: EmbedAllOptions = {},
): Promise<number[][]> {
  const batches: string[][] = [];
  for (let i = 0; i < texts.length; i += embedder.maxBatchSize)
    batches.push(texts.slice(i, i + embedder.maxBatchSize));
  const results: number[][][] = batches.map(() => []);
  let next = 0;
  const embedOne = async (batch: string[]) => {
    const vectors = await withRetry((signal) => embedder.embedBatch(batch, signal), {
      policy: options.policy ?? INGEST_RETRY,
      what: `the embedding model (${embedder.id})`,
      signal: options.signal,
      deadline: options.deadline,
    });
    if (vectors.length !== batch.length || vectors.some((v) => v.length !== embedder.dimensions)) {
      throw new Error(
        `${embedder.id} returned ${vectors.length} vectors of ${vectors[0]?.length ?? 0} dimensions for ${batch.length} texts; expected ${embedder.dimensions} dimensions`,
      );
    }
    return vectors;
  };
  const worker = async () => {
    while (next < batches.length) {
      const index = next++;
      options.signal?.throwIfAborted();
      results[index] = await embedOne(batches[index] ?? []);
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, batches.length)) }, worker),
    );
    options.health?.ok();
  } catch (err) {
    if (!options.signal?.aborted) options.health?.failed((err as Error).message);
    throw err;
  }
  return results.flat();
}
