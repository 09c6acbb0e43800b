import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccessPlan, PageCheck } from '../access/page-access.js';
import { AppError } from '../errors.js';
import type { Call } from '../models/chat-model.js';
import { embedAll, type Embedder } from '../models/embedder.js';
import type { HealthTracker } from '../models/resilient.js';
import type { RetryPolicy } from '../net/retry.js';
import type { RetrievedChunk, SearchFilter, SearchHit, VectorStore } from '../store/vector-store.js';
import { jaccard, nameTerms, uniqueTerms } from '../text/analyzer.js';
import { admitVisible } from './admission.js';

/** Short: the answer matters more than the vector, and lexical retrieval is the fallback. */
const QUERY_EMBEDDING_RETRY: RetryPolicy = { attempts: 2, baseDelayMs: 200, maxDelayMs: 500 };

export interface RetrievalOptions {
  /** Passages handed to the answer. */
  topK: number;
  /** Candidates fetched from the store before gating, de-duplication and diversification. */
  candidates: number;
  /** At most this many passages from one document, unless too few documents match. */
  maxPerDocument: number;
  /**
   * A passage must hold this share of the question's terms, each weighed by how rare it is among the
   * candidates (BM25's idf over the candidate set): matching only the words every candidate shares is no
   * match, and a long question is not held to a share of its words it could never reach…
   */
  minTermCoverage: number;
  /** …and, for a short question, this share of what the best candidate holds. */
  minShareOfBest: number;
  /** …or be at least this similar to the question's embedding. */
  minSimilarity: number;
  /** Passages whose term sets overlap this much are near-duplicates; the lower-ranked one goes. */
  duplicateThreshold: number;
  /** Candidates are multiplied by this when some may turn out hidden from the asker. */
  accessOverFetch: number;
  /** Added to the score of passages from the space the question was asked in. */
  preferredSpaceLift: number;
  /**
   * How the re-ranking weighs a passage's match of the question's terms (or embedding), its store rank and
   * its heading, for lexical retrieval and for hybrid. Lexical was tuned on SciFact's train split, where a
   * heavier match weight lost nDCG. Hybrid keeps the match ahead of rank: fusion by reciprocal rank flattens
   * the store's scores (a passage second in both lists outranks one first in one list only), so the
   * passage that holds the question's rare words needs the match to come back up.
   */
  weights: Record<'lexical' | 'hybrid', RerankWeights>;
}

export interface RerankWeights {
  match: number;
  rank: number;
  heading: number;
}

export const DEFAULT_RETRIEVAL: RetrievalOptions = {
  topK: 5,
  candidates: 40,
  maxPerDocument: 2,
  minTermCoverage: 0.1,
  minShareOfBest: 0.3,
  minSimilarity: 0.55,
  duplicateThreshold: 0.9,
  accessOverFetch: 2,
  preferredSpaceLift: 0.1,
  weights: {
    lexical: { match: 0.3, rank: 0.5, heading: 0.2 },
    hybrid: { match: 0.5, rank: 0.3, heading: 0.2 },
  },
};

export interface Passage {
  chunk: RetrievedChunk;
  /** 0…1, comparable across questions: how well the passage matches (term coverage blended with rank). */
  score: number;
}

export interface RetrieveRequest {
  /** What is searched for: the question, perhaps with terms from the conversation so far. */
  query: string;
  /**
   * The asker's own words, when `query` adds terms from the conversation: the relevance gate weighs only
   * these, so history can help find passages but never lets a weak match through. Defaults to `query`.
   */
  question?: string;
  /** The caller's own narrowing (`filters.spaceKeys`). */
  filter?: SearchFilter;
  /** The space the question is asked in: its passages are preferred, not required. */
  preferSpace?: string;
  /** What the asker may see; without it, everything in the index may be used. */
  access?: AccessPlan;
  call: Call;
}

export interface Retrieval {
  passages: Passage[];
  /** Why content was left out, when the asker should know. */
  notice?: string;
}

interface Candidate {
  hit: SearchHit;
  terms: Set<string>;
  coverage: number;
  similarity: number;
  score: number;
}

interface ChunkTerms {
  terms: Set<string>;
  headingTerms: Set<string>;
}

/** Passages whose analysed terms are kept (a few MB): the oldest go first. */
const TERM_CACHE_SIZE = 20_000;

/** What the term analysis reads of a passage, as a short digest: equal digests, equal terms. */
function digestOf(chunk: RetrievedChunk): string {
  return createHash('sha1')
    .update([chunk.title, ...chunk.headingPath, chunk.text].join('\u0000'))
    .digest('base64');
}

/**
 * Finds the passages an answer should rest on: hybrid search when an embedder exists (lexical otherwise),
 * then drops what does not match the question, near-duplicates, and a sixth chunk of the same page.
 */
export class Retriever {
  private readonly terms = new Map<string, ChunkTerms>();

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

  async retrieve(request: RetrieveRequest): Promise<Retrieval> {
    const { query, call, access } = request;
    const queryTerms = uniqueTerms(query);
    const embedding = this.embedQuery(query, call);
    // Handed to the store unresolved: its full-text search runs while the question is embedded. Failures
    // surface from `embedding` below; the store only ever sees a vector or none.
    const vector = embedding.catch(() => undefined);
    if (!queryTerms.size && !(await embedding)) return { passages: [], notice: access?.notice };
    const filter = { ...request.filter, ...access?.filter };
    // Pages the user may not open are dropped after the search: fetch more, so enough remain.
    const limit = access?.check
      ? this.options.candidates * this.options.accessOverFetch
      : this.options.candidates;
    const prefer = request.preferSpace && !filter.spaceKeys ? request.preferSpace : undefined;
    const found = await Promise.all([
      this.search(query, vector, limit, filter),
      // The asker's space searched on its own too, so its pages compete even when others outrank them.
      ...(prefer ? [this.search(query, vector, limit, { ...filter, spaceKeys: [prefer] })] : []),
    ]);
    const weights = (await embedding) ? this.options.weights.hybrid : this.options.weights.lexical;
    call.signal.throwIfAborted();

    // What the asker may not open is dropped before anything is weighed: a hidden page must not make a word
    // look common, raise the bar, or be the top score others are measured against — the answer would then
    // tell what it holds. Every candidate's page is checked (a batch of 50 at a time, usually cached).
    const { lists, unverified, lasting } = access?.check
      ? await visibleOnly(found, access.check, call)
      : { lists: found, unverified: undefined, lasting: undefined };
    const terms = new Map<string, Set<string>>();
    for (const hit of lists.flat()) terms.set(hit.chunk.id, this.termsOf(hit.chunk).terms);
    const matchOf = informativeCoverage(queryTerms, terms.values());
    const askedTerms = request.question ? uniqueTerms(request.question) : queryTerms;
    // A question of stop words only ("What about it?") refers to the conversation: gate on the whole query.
    const gateOf = askedTerms.size
      ? informativeCoverage(askedTerms, terms.values(), nameTerms(request.question ?? query))
      : matchOf;
    const minCoverage = this.minCoverage(askedTerms.size, gateOf, terms.values());
    const relevant = [
      ...unionByChunk(lists.map((hits) => this.rerank(hits, matchOf, weights, prefer))).values(),
    ]
      .filter((c) => gateOf(c.terms) >= minCoverage || c.similarity >= this.options.minSimilarity)
      .sort((a, b) => b.score - a.score);
    const passages = diversify(
      this.distinct(relevant),
      this.options.topK,
      this.options.maxPerDocument,
      (c) => c.hit.chunk.docId,
    ).map((c) => ({ chunk: c.hit.chunk, score: round3(c.score) }));
    const notice =
      access?.notice ??
      (unverified
        ? `Some Confluence pages were left out of this answer: ${unverified}.${lasting ? '' : ' Try again in a moment.'}`
        : undefined);
    return { passages, notice };
  }

  /**
   * The gate's bar: the share of the question's weighted terms a passage must hold. A short question names
   * one subject, so there a passage must also hold a good part of what the best one holds: "code" alone is
   * no answer to "what is the osprey gate code?" when another passage holds all three words. (Long
   * questions are spared: SciFact's claims, worded unlike their abstracts, lost nDCG to it.)
   */
  private minCoverage(
    questionSize: number,
    gateOf: (terms: ReadonlySet<string>) => number,
    found: Iterable<ReadonlySet<string>>,
  ): number {
    if (questionSize > ONE_SUBJECT_TERMS) return this.options.minTermCoverage;
    let best = 0;
    for (const terms of found) best = Math.max(best, gateOf(terms));
    return Math.max(this.options.minTermCoverage, this.options.minShareOfBest * best);
  }

  private search(query: string, vector: Promise<number[] | undefined>, limit: number, filter: SearchFilter) {
    return this.store.search({ text: query, vector, limit, filter }).catch((err: unknown) => {
      throw new AppError('upstream_unavailable', `the ${this.store.kind} vector store is not available`, {
        cause: (err as Error).message.slice(0, 200),
      });
    });
  }

  /**
   * A light re-ranking: how much of the question the passage holds, where the store ranked it, whether its
   * section heading names the question's subject (the strongest signal a heading gives), and a small lift
   * for the space the question was asked in.
   */
  private rerank(
    hits: SearchHit[],
    matchOf: (terms: Set<string>) => number,
    weights: RerankWeights,
    preferSpace: string | undefined,
  ): Candidate[] {
    const topScore = hits[0]?.score ?? 1;
    return hits.map((hit) => {
      const { chunk } = hit;
      const { terms, headingTerms } = this.termsOf(chunk);
      const coverage = matchOf(terms);
      const headingCoverage = matchOf(headingTerms);
      const similarity = hit.similarity ?? 0;
      const rank = topScore > 0 ? hit.score / topScore : 0;
      const lift = preferSpace && chunk.spaceKey === preferSpace ? this.options.preferredSpaceLift : 0;
      const score =
        weights.match * Math.max(coverage, similarity) +
        weights.rank * rank +
        weights.heading * headingCoverage +
        lift;
      return { hit, terms, coverage, similarity, score };
    });
  }

  /**
   * A passage's analysed terms (stemmed, without stop words), remembered by chunk id and a digest of what
   * is analysed: the same passages come back question after question, and analysing them was a good part of
   * a turn's cost. The digest (not the text, which would keep every passage alive; not its length, which a
   * one-word edit keeps) makes a re-indexed passage analysed afresh.
   */
  private termsOf(chunk: RetrievedChunk): ChunkTerms {
    const key = `${chunk.id}\u0000${digestOf(chunk)}`;
    const known = this.terms.get(key);
    if (known) return known;
    const sections = chunk.headingPath.filter((h) => h !== chunk.title);
    const fresh = {
      terms: uniqueTerms([chunk.title, ...chunk.headingPath, chunk.text].join(' ')),
      headingTerms: uniqueTerms(sections.join(' ')),
    };
    if (this.terms.size >= TERM_CACHE_SIZE) this.terms.delete(this.terms.keys().next().value!);
    this.terms.set(key, fresh);
    return fresh;
  }

  /**
   * The ranked passages without the lower-ranked of two whose term sets overlap past the threshold. Lazy:
   * comparing every pair costs more than the rest of re-ranking, and usually only the first few are read.
   */
  private *distinct(ranked: Candidate[]): Generator<Candidate> {
    const kept: Candidate[] = [];
    for (const candidate of ranked) {
      if (kept.some((k) => jaccard(k.terms, candidate.terms) >= this.options.duplicateThreshold)) continue;
      kept.push(candidate);
      yield candidate;
    }
  }
}

/**
 * Up to this many terms, a question names one subject: a passage holding a fraction of it is off-topic, and
 * a name in it that no candidate holds is a subject the index does not cover.
 */
const ONE_SUBJECT_TERMS = 4;
/**
 * Up to this many, a name no candidate holds is the subject itself ("Does it support Slack?"): the index
 * does not cover it. In a longer question a name is as often a detail ("…from my Mac", a customer's name).
 */
const UNKNOWN_NAME_TERMS = 2;

/**
 * The share of the question's terms a candidate holds, each term weighed by BM25's idf over the candidate
 * set: a word every candidate has says little, a word few have says much, and a word none has weighs most.
 * A short question naming something no candidate holds asks about what the index does not know ("Does it
 * support Slack?"): nothing holds it, whatever else the passages share with the question. Only names count
 * so: a plain word the docs do not use ("what drives glacier melting?") is just worded differently.
 */
function informativeCoverage(
  questionTerms: ReadonlySet<string>,
  found: Iterable<ReadonlySet<string>>,
  names: ReadonlySet<string> = new Set(),
): (terms: ReadonlySet<string>) => number {
  const termSets = [...found];
  const n = termSets.length;
  // A short question's subject is a word most candidates hold — the search found them by it — so its idf
  // among them is near 0: every word of a short question counts at least 1, the rare ones more.
  const short = questionTerms.size <= ONE_SUBJECT_TERMS;
  const floor = short ? 1 : 0;
  const weights = [...questionTerms].map((term) => {
    let df = 0;
    for (const terms of termSets) if (terms.has(term)) df++;
    return { term, df, weight: floor + Math.log(1 + (n - df + 0.5) / (df + 0.5)) };
  });
  const total = weights.reduce((sum, w) => sum + w.weight, 0);
  const unknownSubject =
    weights.length <= UNKNOWN_NAME_TERMS && weights.some((w) => w.df === 0 && names.has(w.term));
  return (terms) => {
    if (total === 0 || unknownSubject) return 0;
    let held = 0;
    for (const { term, weight } of weights) if (terms.has(term)) held += weight;
    return held / total;
  };
}

/** The best-scored copy of each chunk across the lists (copies differ only in rank: a tie is no choice). */
function unionByChunk(lists: Candidate[][]): Map<string, Candidate> {
  const byId = new Map<string, Candidate>();
  for (const candidate of lists.flat()) {
    const seen = byId.get(candidate.hit.chunk.id);
    if (!seen || candidate.score > seen.score) byId.set(candidate.hit.chunk.id, candidate);
  }
  return byId;
}

/** The search results without what the asker may not open (and without what could not be checked). */
async function visibleOnly(
  lists: SearchHit[][],
  check: PageCheck,
  call: Call,
): Promise<{ lists: SearchHit[][]; unverified?: string; lasting?: boolean }> {
  const { admitted, unverified, lasting } = await admitVisible(
    lists.flat().map((hit) => ({ hit })),
    check,
    call,
    () => false,
  );
  const visible = new Set(admitted.map((a) => a.hit.chunk.id));
  return { lists: lists.map((hits) => hits.filter((h) => visible.has(h.chunk.id))), unverified, lasting };
}

/**
 * Takes items in rank order with at most `perGroup` of one group; fills up from the rest if short. Reads
 * no further than it needs to.
 */
export function diversify<T>(
  items: Iterable<T>,
  limit: number,
  perGroup: number,
  group: (item: T) => string,
): T[] {
  const counts = new Map<string, number>();
  const picked: T[] = [];
  const skipped: T[] = [];
  if (limit <= 0) return picked;
  for (const item of items) {
    const g = group(item);
    const n = counts.get(g) ?? 0;
    if (n < perGroup) {
      picked.push(item);
      counts.set(g, n + 1);
      if (picked.length >= limit) break;
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
