/**
 * The embedding port. An adapter embeds one batch of at most `maxBatchSize` texts; batching, concurrency
 * and retries live once in `embedAll`, not in every adapter.
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
}

/** Embeds any number of texts in batches of `maxBatchSize`, at most `concurrency` batches in flight. */
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
  const worker = async () => {
    while (next < batches.length) {
      const index = next++;
      options.signal?.throwIfAborted();
      const batch = batches[index] ?? [];
      const vectors = await embedder.embedBatch(batch, options.signal);
      if (vectors.length !== batch.length) {
        throw new Error(`${embedder.id} returned ${vectors.length} vectors for ${batch.length} texts`);
      }
      results[index] = vectors;
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, batches.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results.flat();
}
