import { chunksOf } from '../ingest/indexer.js';
import { embedAll, type Embedder } from '../models/embedder.js';
import { CHAT_RETRY } from '../net/retry.js';
import { DEFAULT_RETRIEVAL, Retriever } from '../retrieval/retriever.js';
import type { DocumentWrite, IndexIdentity, VectorStore } from '../store/vector-store.js';
import type { BeirSet } from './beir.js';
import { averageQuality, type QualityFigures } from './metrics.js';

export type RetrievalMode = 'lexical' | 'dense' | 'hybrid';

export interface EvalResult {
  store: string;
  mode: RetrievalMode;
  /**
   * `pipeline`: the Retriever the chat uses (relevance gate, re-ranking, de-duplication, the per-document
   * cap) — what users get; `store`: the bare store search, for comparison.
   */
  retrieval: 'pipeline' | 'store';
  queries: number;
  figures: QualityFigures;
  indexSeconds: number;
  querySeconds: number;
}

/** Opens an empty store of one kind for an evaluation run, and removes it afterwards. */
export interface EvalStoreFactory {
  name: string;
  open(identity: IndexIdentity): Promise<{ store: VectorStore; dispose: () => Promise<void> }>;
}

/** Chunks fetched per query: documents may have several chunks, and Recall@100 needs 100 distinct ones. */
const CHUNKS_PER_QUERY = 300;
const WRITE_BATCH = 500;
/** Passages the pipeline returns per query: enough for Recall@100 (a chat answer uses the first 5). */
const PIPELINE_PASSAGES = 100;

/** Each BEIR document as the service would index it: the title, then the text as one section. */
function writesOf(set: BeirSet): DocumentWrite[] {
  return set.corpus.map((d) => {
    const doc = {
      id: d.id,
      source: 'files' as const,
      hash: 'beir',
      loaded: {
        title: d.title || d.id,
        url: `beir:${d.id}`,
        structured: { title: d.title, blocks: [{ kind: 'text' as const, text: d.text }] },
      },
    };
    const chunks = chunksOf(doc);
    return {
      record: {
        id: d.id,
        source: 'files',
        title: d.title,
        url: `beir:${d.id}`,
        hash: 'beir',
        chunks: chunks.length,
        indexedAt: new Date().toISOString(),
      },
      chunks,
    };
  });
}

/**
 * Indexes a BEIR corpus into a fresh store with the service's own chunking and store adapter, runs every
 * judged query in each mode the embedder allows, and scores the ranked documents (a document ranks where
 * its best chunk does).
 */
export async function evaluate(
  set: BeirSet,
  factory: EvalStoreFactory,
  embedder: Embedder | undefined,
  modes: readonly RetrievalMode[],
  onProgress?: (what: string) => void,
  /** Candidates the pipeline re-ranks: enough for Recall@100 by default; the chat itself takes 40. */
  pipelineCandidates = CHUNKS_PER_QUERY,
): Promise<EvalResult[]> {
  const identity = { embeddings: embedder?.id ?? 'none', dimensions: embedder?.dimensions ?? 0 };
  const { store, dispose } = await factory.open(identity);
  try {
    const started = Date.now();
    const writes = writesOf(set);
    for (let i = 0; i < writes.length; i += WRITE_BATCH) {
      const batch = writes.slice(i, i + WRITE_BATCH);
      if (embedder) {
        const chunks = batch.flatMap((w) => w.chunks);
        const vectors = await embedAll(
          embedder,
          chunks.map((c) => `${c.title}\n${c.text}`),
          { policy: CHAT_RETRY },
        );
        chunks.forEach((c, j) => (c.vector = vectors[j]));
      }
      await store.replaceDocuments(batch);
      onProgress?.(`indexed ${Math.min(i + WRITE_BATCH, writes.length)} of ${writes.length} documents`);
    }
    await store.optimize();
    const indexSeconds = (Date.now() - started) / 1000;

    const judged = [...set.qrels.keys()].filter((q) => set.queries.has(q));
    const results: EvalResult[] = [];
    for (const mode of modes) {
      if (mode !== 'lexical' && !embedder) continue;
      const t0 = Date.now();
      const runs = new Map<string, string[]>();
      for (const id of judged) {
        const text = set.queries.get(id)!;
        const vector =
          mode === 'lexical' ? undefined : (await embedAll(embedder!, [text], { policy: CHAT_RETRY }))[0];
        const hits = await store.search({
          text: mode === 'dense' ? '' : text,
          vector,
          limit: CHUNKS_PER_QUERY,
        });
        runs.set(id, [...new Set(hits.map((h) => h.chunk.docId))]);
      }
      const qrels = new Map(judged.map((q) => [q, set.qrels.get(q)!]));
      results.push({
        store: factory.name,
        mode,
        retrieval: 'store',
        queries: judged.length,
        figures: averageQuality(runs, qrels),
        indexSeconds,
        querySeconds: (Date.now() - t0) / 1000,
      });
      // The pipeline has no dense-only mode: it always searches the text, and fuses in the vector if any.
      if (mode === 'dense') continue;
      const t1 = Date.now();
      const retriever = new Retriever(store, mode === 'lexical' ? undefined : embedder, {
        ...DEFAULT_RETRIEVAL,
        topK: PIPELINE_PASSAGES,
        candidates: pipelineCandidates,
      });
      const pipelineRuns = new Map<string, string[]>();
      for (const id of judged) {
        const { passages } = await retriever.retrieve({
          query: set.queries.get(id)!,
          call: { signal: new AbortController().signal, deadline: Date.now() + 60_000 },
        });
        pipelineRuns.set(id, [...new Set(passages.map((p) => p.chunk.docId))]);
      }
      results.push({
        store: factory.name,
        mode,
        retrieval: 'pipeline',
        queries: judged.length,
        figures: averageQuality(pipelineRuns, qrels),
        indexSeconds,
        querySeconds: (Date.now() - t1) / 1000,
      });
    }
    return results;
  } finally {
    await dispose();
  }
}
