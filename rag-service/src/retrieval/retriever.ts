import { AppError } from '../errors.js';
import { jaccard, termCoverage, uniqueTerms } from '../text/analyzer.js';
import { embedAll, type Embedder } from '../models/embedder.js';
import type { Call } from '../models/chat-model.js';
import type { HealthTracker } from '../models/resilient.js';
import type { Logger } from 'pino';
import type { RetryPolicy } from '../models/retry.js';

/** Short: the answer matters more than the vector, and lexical retrieval is the fallback. */
const QUERY_EMBEDDING_RETRY: RetryPolicy = { attempts: 2, baseDelayMs: 200, maxDelayMs: 500 };
import type { RetrievedChunk, SearchFilter, VectorStore } from '../store/vector-store.js';

export interface RetrievalOptions {
  /** Passages handed to the answer. */
  topK: number;
  /** Candidates fetched from the store before gating, de-duplication and diversification. */
  candidates: number;
  /** At most this many passages from one document, unless too few documents match. */
  maxPerDocument: number;
  /** A passage must contain this share of the question's terms… */
  minTermCoverage: number;
  /** …or be at least this similar to the question's embedding. */
  minSimilarity: number;
  /** Passages whose term sets overlap this much are near-duplicates; the lower-ranked one goes. */
  duplicateThreshold: number;
}

export const DEFAULT_RETRIEVAL: RetrievalOptions = {
  topK: 5,
  candidates: 40,
  maxPerDocument: 2,
  minTermCoverage: 0.4,
  minSimilarity: 0.55,
  duplicateThreshold: 0.9,
};

export interface Passage {
  chunk: RetrievedChunk;
  /** 0…1, comparable across questions: how well the passage matches (term coverage blended with rank). */
  score: number;
}

export interface RetrieveRequest {
  query: string;
  filter?: SearchFilter;
  call: Call;
}

/**
 * Finds the passages an answer should rest on: hybrid search when an embedder exists (lexical otherwise),
 * then drops what does not match the question, near-duplicates, and a sixth chunk of the same page.
 */
export class Retriever {
  constructor(
    private readonly store: VectorStore,
    private readonly embedder: Embedder | undefined,
    private readonly options: RetrievalOptions = DEFAULT_RETRIEVAL,
    private readonly embeddingsHealth?: HealthTracker,
    private readonly log?: Logger,
  ) {}

  /**
   * The question's embedding, or undefined: without an embedder, and also when the embeddings provider
   * is failing, when the question is answered from lexical retrieval alone rather than not at all.
   */
  private async embedQuery(query: string, call: Call): Promise<number[] | undefined> {
    if (!this.embedder) return undefined;
    try {
      const [vector] = await embedAll(this.embedder, [query], {
        signal: call.signal,
        deadline: call.deadline,
        policy: QUERY_EMBEDDING_RETRY,
        health: this.embeddingsHealth,
      });
      return vector;
    } catch (err) {
      if (call.signal.aborted || !(err instanceof AppError)) throw err;
      this.log?.warn({ err: err.message }, 'query embedding failed; retrieving lexically');
      return undefined;
    }
  }

  async retrieve(request: RetrieveRequest): Promise<Passage[]> {
    const { query, filter, call } = request;
    const signal = call.signal;
    const queryTerms = uniqueTerms(query);
    const vector = await this.embedQuery(query, call);
    if (!queryTerms.size && !vector) return [];
    const hits = await this.store
      .search({ text: query, vector, limit: this.options.candidates, filter })
      .catch((err: unknown) => {
        throw new AppError('upstream_unavailable', `the ${this.store.kind} vector store is not available`, {
          cause: (err as Error).message.slice(0, 200),
        });
      });
    signal.throwIfAborted();

    const topScore = hits[0]?.score ?? 1;
    const relevant = hits
      .map((hit) => {
        const { chunk } = hit;
        const terms = uniqueTerms([chunk.title, ...chunk.headingPath, chunk.text].join(' '));
        const coverage = termCoverage(queryTerms, terms);
        const sections = chunk.headingPath.filter((h) => h !== chunk.title);
        const headingCoverage = termCoverage(queryTerms, uniqueTerms(sections.join(' ')));
        const similarity = hit.similarity ?? 0;
        const rank = topScore > 0 ? hit.score / topScore : 0;
        // A light re-ranking: how much of the question the passage holds, where the store ranked it, and
        // whether its section heading names the question's subject (the strongest signal a heading gives).
        const score = 0.5 * Math.max(coverage, similarity) + 0.3 * rank + 0.2 * headingCoverage;
        return { hit, terms, coverage, similarity, score };
      })
      .filter((c) => c.coverage >= this.options.minTermCoverage || c.similarity >= this.options.minSimilarity)
      .sort((a, b) => b.score - a.score);

    const kept: typeof relevant = [];
    for (const candidate of relevant) {
      if (kept.some((k) => jaccard(k.terms, candidate.terms) >= this.options.duplicateThreshold)) continue;
      kept.push(candidate);
    }
    return diversify(kept, this.options.topK, this.options.maxPerDocument, (c) => c.hit.chunk.docId).map(
      (c) => ({
        chunk: c.hit.chunk,
        score: round3(c.score),
      }),
    );
  }
}

/** Takes items in rank order with at most `perGroup` of one group; fills up from the rest if short. */
export function diversify<T>(items: T[], limit: number, perGroup: number, group: (item: T) => string): T[] {
  const counts = new Map<string, number>();
  const picked: T[] = [];
  const skipped: T[] = [];
  for (const item of items) {
    if (picked.length >= limit) break;
    const g = group(item);
    const n = counts.get(g) ?? 0;
    if (n < perGroup) {
      picked.push(item);
      counts.set(g, n + 1);
    } else skipped.push(item);
  }
  for (const item of skipped) {
    if (picked.length >= limit) break;
    picked.push(item);
  }
  return picked;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
