import type { Embeddings } from '@langchain/core/embeddings';
import { INGEST_RETRY, withRetry } from '../net/retry.js';

/** Output sizes of the providers' own embedding models, so the official APIs need no probe at start-up. */
export const KNOWN_DIMENSIONS: Readonly<Record<string, number>> = {
  'openai:text-embedding-3-small': 1536,
  'openai:text-embedding-3-large': 3072,
  'openai:text-embedding-ada-002': 1536,
  'gemini:gemini-embedding-001': 3072,
  'gemini:text-embedding-004': 768,
};

/**
 * The embedding size of a model: known for the official APIs; for any other server (Ollama, vLLM, a
 * proxy) asked once with a one-word text, since the index's vector column needs it before the first write.
 */
export async function embeddingDimensions(
  id: string,
  customServer: boolean,
  embeddings: Embeddings,
): Promise<number> {
  const known = KNOWN_DIMENSIONS[id];
  if (known && !customServer) return known;
  const [vector] = await withRetry(() => embeddings.embedDocuments(['dimension probe']), {
    policy: { ...INGEST_RETRY, attempts: 3 },
    what: `the embedding model (${id})`,
  });
  if (!vector?.length) throw new Error(`the embedding model (${id}) returned an empty vector`);
  return vector.length;
}
