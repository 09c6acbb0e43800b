import * as lancedb from '@lancedb/lancedb';
import { EmbeddedStore } from '../store/embedded.js';
import { BENCH_EMBEDDINGS } from './bench-index.js';

/**
 * How much of the exact top 10 the store's vector search finds, over `vectors`: its search as a chat makes
 * it (the IVF index, flat or quantised, with the store's probes and re-scoring) against LanceDB's exact scan
 * of every vector. A result as near as the exact 10th counts as found, so ties between equally near chunks
 * (frequent with hashed vectors) are not counted as misses.
 */
export async function vectorRecallAt10(
  dir: string,
  dimensions: number,
  vectors: number[][],
): Promise<number> {
  const store = await EmbeddedStore.open({
    dir,
    identity: { embeddings: BENCH_EMBEDDINGS, dimensions },
    readOnly: true,
  });
  const db = await lancedb.connect(dir);
  const chunks = await db.openTable('chunks');
  let found = 0;
  try {
    for (const vector of vectors) {
      const exact = (await chunks
        .query()
        .nearestTo(vector)
        .distanceType('cosine')
        .bypassVectorIndex()
        .select(['_distance'])
        .limit(10)
        .toArray()) as { _distance: number }[];
      const tenth = 1 - exact.at(-1)!._distance;
      const hits = await store.search({ text: '', vector, limit: 10 });
      found += hits.filter((h) => (h.similarity ?? 0) >= tenth - 1e-4).length;
    }
  } finally {
    chunks.close();
    db.close();
    await store.close();
  }
  return found / (vectors.length * 10);
}
