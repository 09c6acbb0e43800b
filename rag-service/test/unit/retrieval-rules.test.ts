import type { Logger } from 'pino';
import type { PageCheck, PageDecisions } from '../../src/access/page-access.js';
import { AppError } from '../../src/errors.js';
import { HealthTracker } from '../../src/models/resilient.js';
import { admitVisible } from '../../src/retrieval/admission.js';
import { reciprocalRankFusion } from '../../src/retrieval/fusion.js';
import {
  DEFAULT_RETRIEVAL,
  diversify,
  Retriever,
  type Passage,
  type RetrievalOptions,
} from '../../src/retrieval/retriever.js';
import type {
  DocumentRecord,
  DocumentWrite,
  RetrievedChunk,
  SearchFilter,
  SearchHit,
  SearchQuery,
  StoreStats,
  VectorStore,
} from '../../src/store/vector-store.js';
import { jaccard, uniqueTerms } from '../../src/text/analyzer.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';

/**
 * The retriever's rules, each with the numbers it promises: the score's blend (0.3 match, 0.5 rank, 0.2
 * heading lexically; 0.5, 0.3, 0.2 in hybrid), rank measured against the top score, the relevance gate and its
 * bar, near-duplicates, the preferred space, the per-document cap, and what the asker may see (checked 50
 * pages at a time, best first). The store is not under test here: a store whose ranking the test sets stands
 * in for it, so every score below follows from the rules alone.
 */

/** The store's side: each search returns, in order and with its scores, what `rank` gives for its filter. */
class RankedStore implements VectorStore {
  readonly location = 'memory';
  readonly queries: SearchQuery[] = [];

  constructor(
    private readonly rank: (filter: SearchFilter) => SearchHit[],
    readonly kind: 'embedded' | 'qdrant' = 'embedded',
  ) {}

  async search(query: SearchQuery): Promise<SearchHit[]> {
    this.queries.push(query);
    return this.rank(query.filter ?? {}).slice(0, query.limit);
  }

  // Retrieval only reads: the rest of the port is here to satisfy it.
  replaceDocuments(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }
  deleteDocuments(): Promise<void> {
    return Promise.reject(new Error('read-only'));
  }
  removeOrphanChunks() {
    return Promise.resolve({ documents: 0, chunks: 0 });
  }
  listDocuments(): Promise<DocumentRecord[]> {
    return Promise.resolve([]);
  }
  documentRecord(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  documentChunks(): Promise<[]> {
    return Promise.resolve([]);
  }
  stats(): Promise<StoreStats> {
    return Promise.resolve({ documents: 0, chunks: 0, bySource: [] });
  }
  async *exportDocuments(): AsyncGenerator<DocumentWrite[]> {
    yield* [];
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  optimize(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** One store returning the same ranked hits for every search. */
const storeOf = (hits: SearchHit[]) => new RankedStore(() => hits);

/** A passage of a file: its title is also its only heading unless `more` says otherwise. */
const chunk = (id: string, text: string, more: Partial<RetrievedChunk> = {}): RetrievedChunk => ({
  id: `${id}#0`,
  docId: id,
  ordinal: 0,
  source: 'files',
  title: id,
  headingPath: [more.title ?? id],
  url: `${id}.md`,
  text,
  ...more,
});
/** A Confluence page's passage. */
const page = (pageId: string, text: string, spaceKey = 'ENG') =>
  chunk(pageId, text, { source: 'confluence', pageId, spaceKey });
const hit = (c: RetrievedChunk, score: number, similarity?: number): SearchHit =>
  similarity === undefined ? { chunk: c, score } : { chunk: c, score, similarity };

const call = () => ({ signal: new AbortController().signal, deadline: Date.now() + 10_000 });
const lexical = (store: VectorStore, options: RetrievalOptions = DEFAULT_RETRIEVAL) =>
  new Retriever(store, undefined, options);
const scored = (passages: Passage[]) => passages.map((p) => [p.chunk.docId, p.score]);
const ids = (passages: Passage[]) => passages.map((p) => p.chunk.docId);

/** Scores are given to three decimals. */
const round3 = (n: number) => Math.round(n * 1000) / 1000;
/** BM25's idf of a term held by `df` of `n` candidates. */
const idf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));

describe('the re-ranking score', () => {
  it('blends 0.3 × match, 0.5 × rank against the top score and 0.2 × the section headings (lexical)', async () => {
    // Both passages hold both words of the question, and both words are in every candidate: equal weights.
    const setup = chunk('setup', 'Rotate the token every month.', {
      title: 'Tokens',
      headingPath: ['Tokens', 'Setup', 'Rotation'],
    });
    const faq = chunk('faq', 'Revoke a token, then rotate it.', { title: 'Tokens' });
    const { passages } = await lexical(storeOf([hit(setup, 2), hit(faq, 1)])).retrieve({
      query: 'rotate token',
      call: call(),
    });
    // setup: match 1, rank 2/2, its sections (not its title) hold "rotate", half the question.
    // faq: match 1, rank 1/2, no section below its title.
    expect(scored(passages)).toEqual([
      ['setup', round3(0.3 + 0.5 + 0.2 * 0.5)],
      ['faq', round3(0.3 + 0.5 * 0.5)],
    ]);
  });

  it('gives no rank credit when the top score is 0 (no division by zero)', async () => {
    const a = chunk('a', 'Rotate the token every month.', {
      title: 'Tokens',
      headingPath: ['Tokens', 'Rotation'],
    });
    const b = chunk('b', 'Revoke a token, then rotate it.');
    const { passages } = await lexical(storeOf([hit(a, 0), hit(b, 0)])).retrieve({
      query: 'rotate token',
      call: call(),
    });
    expect(scored(passages)).toEqual([
      ['a', round3(0.3 + 0.2 * 0.5)],
      ['b', 0.3],
    ]);
  });

  it("orders by the blended score, not the store's order, and rounds scores to three decimals", async () => {
    const list = chunk('list', 'A token list.', { title: 'Tokens' });
    const rotation = chunk('rotation', 'Rotate the token monthly.', {
      title: 'Tokens',
      headingPath: ['Tokens', 'Rotation'],
    });
    const schedule = chunk('schedule', 'Rotate each token on a schedule.', { title: 'Tokens' });
    const { passages } = await lexical(
      storeOf([hit(list, 1), hit(rotation, 0.95), hit(schedule, 0.9)]),
    ).retrieve({ query: 'rotate token', call: call() });
    // Three candidates: "token" in all three, "rotate" in two. A short question: each word weighs 1 + idf.
    const token = 1 + idf(3, 3);
    const rotate = 1 + idf(3, 2);
    const total = token + rotate;
    expect(scored(passages)).toEqual([
      ['rotation', round3(0.3 + 0.5 * 0.95 + 0.2 * (rotate / total))],
      ['schedule', round3(0.3 + 0.5 * 0.9)],
      ['list', round3(0.3 * (token / total) + 0.5)],
    ]);
    // The rounding is real: these are not already multiples of 0.001.
    expect(0.3 * (token / total) + 0.5).not.toBe(round3(0.3 * (token / total) + 0.5));
  });

  it('takes the better of term match and embedding similarity (hybrid: 0.5 × match, 0.3 × rank)', async () => {
    const store = storeOf([
      hit(chunk('close', 'Kestrel deployment notes.'), 1, 0.8),
      hit(chunk('partial', 'Token rotation for kestrel.'), 0.5, 0.2),
    ]);
    const { passages } = await new Retriever(store, new HashingEmbedder(8)).retrieve({
      query: 'kestrel token',
      call: call(),
    });
    // Two candidates: "kestrel" in both, "token" in one; a short question, so each word weighs 1 + idf.
    const kestrel = 1 + idf(2, 2);
    const token = 1 + idf(2, 1);
    expect(scored(passages)).toEqual([
      ['close', round3(0.5 * Math.max(kestrel / (kestrel + token), 0.8) + 0.3)],
      ['partial', round3(0.5 * 1 + 0.3 * 0.5)],
    ]);
  });
});

describe("the relevance gate and the question's words", () => {
  it('weighs each word of a four-term question at least 1, and a five-term question by idf alone', async () => {
    // "papa" holds every word of the question, "quebec" all but the last, which only "papa" holds.
    const ask = async (words: string[]) => {
      const store = storeOf([
        hit(chunk('papa', words.join(' ')), 1),
        hit(chunk('quebec', words.slice(0, -1).join(' ')), 0.5),
      ]);
      const { passages } = await lexical(store).retrieve({ query: words.join(' '), call: call() });
      return scored(passages);
    };
    const four = 3 * (1 + idf(2, 2));
    expect(await ask(['alpha', 'bravo', 'charlie', 'delta'])).toEqual([
      ['papa', 0.8],
      ['quebec', round3(0.3 * (four / (four + 1 + idf(2, 1))) + 0.5 * 0.5)],
    ]);
    const five = 4 * idf(2, 2);
    expect(await ask(['alpha', 'bravo', 'charlie', 'delta', 'echo'])).toEqual([
      ['papa', 0.8],
      ['quebec', round3(0.3 * (five / (five + idf(2, 1))) + 0.5 * 0.5)],
    ]);
  });

  it('holds a long question only to 10% of its weighted words, not to a share of the best passage', async () => {
    const store = storeOf([
      hit(chunk('all', 'alpha bravo charlie delta echo'), 1),
      hit(chunk('two', 'alpha bravo'), 0.5),
    ]);
    const { passages } = await lexical(store).retrieve({
      query: 'alpha bravo charlie delta echo',
      call: call(),
    });
    // "two" holds the two words both candidates share: 2·idf(2,2) of the total, about 15%.
    const held = 2 * idf(2, 2);
    const coverage = held / (held + 3 * idf(2, 1));
    expect(coverage).toBeGreaterThan(0.1);
    expect(coverage).toBeLessThan(DEFAULT_RETRIEVAL.minShareOfBest);
    expect(ids(passages)).toEqual(['all', 'two']);
  });

  it('admits a passage holding exactly the share the bar asks for (the bar is inclusive)', async () => {
    // "token" and "rotate" are each in two of three candidates: equal weights, so one of them is exactly half.
    const store = storeOf([
      hit(chunk('both', 'Rotate the token.'), 1),
      hit(chunk('token', 'A token list.'), 0.8),
      hit(chunk('rotate', 'Rotate keys yearly.'), 0.6),
    ]);
    const options = { ...DEFAULT_RETRIEVAL, minShareOfBest: 0.5 };
    const { passages } = await lexical(store, options).retrieve({ query: 'rotate token', call: call() });
    expect(ids(passages)).toEqual(['both', 'token', 'rotate']);
  });

  it('answers a short question naming what a passage holds ("Does it support Markdown?")', async () => {
    const store = storeOf([hit(chunk('formats', 'The service supports Markdown and PDF files.'), 1)]);
    const { passages } = await lexical(store).retrieve({ query: 'Does it support Markdown?', call: call() });
    expect(ids(passages)).toEqual(['formats']);
  });

  it('admits by embedding similarity from 0.55 up when the question has no words to match', async () => {
    const store = storeOf([
      hit(chunk('close', 'Falcon runbook.'), 1, 0.8),
      hit(chunk('edge', 'Osprey checklist.'), 0.5, 0.55),
      hit(chunk('far', 'Heron schedule.'), 0.25, 0.5),
    ]);
    const { passages } = await new Retriever(store, new HashingEmbedder(8)).retrieve({
      query: 'What about it?',
      call: call(),
    });
    // No word to match: similarity alone, hybrid weights, and a number for a score.
    expect(scored(passages)).toEqual([
      ['close', round3(0.5 * 0.8 + 0.3)],
      ['edge', round3(0.5 * 0.55 + 0.3 * 0.5)],
    ]);
  });

  it('does not search at all for a question without words when there is no embedder', async () => {
    const store = storeOf([hit(chunk('any', 'Anything at all.'), 1)]);
    const retrieval = await lexical(store).retrieve({
      query: 'What about it?',
      access: { notice: 'Jira users see no Confluence pages.' },
      call: call(),
    });
    expect(retrieval).toEqual({ passages: [], notice: 'Jira users see no Confluence pages.' });
    expect(store.queries).toEqual([]);
  });
});

describe('near-duplicates and the per-document cap', () => {
  it('drops a passage whose terms overlap a better one by 0.9, and keeps one at 0.8', async () => {
    const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet'.split(' ');
    const first = chunk('first', words.join(' '), { title: 'Alpha' });
    const nine = chunk('nine', words.slice(0, 9).join(' '), { title: 'Alpha' });
    const eight = chunk('eight', words.slice(0, 8).join(' '), { title: 'Alpha' });
    const terms = (c: RetrievedChunk) => uniqueTerms([c.title, ...c.headingPath, c.text].join(' '));
    // Premise: 9 of 10 terms shared is an overlap of exactly the threshold, 8 of 10 below it.
    expect(jaccard(terms(first), terms(nine))).toBe(DEFAULT_RETRIEVAL.duplicateThreshold);
    expect(jaccard(terms(first), terms(eight))).toBe(0.8);
    const { passages } = await lexical(storeOf([hit(first, 1), hit(nine, 0.9), hit(eight, 0.8)])).retrieve({
      query: 'alpha bravo',
      call: call(),
    });
    expect(ids(passages)).toEqual(['first', 'eight']);
  });

  it('takes items in order with at most `perGroup` of a group, and fills up from the skipped ones', () => {
    const group = (s: string) => s[0]!;
    expect(diversify(['a1', 'a2', 'a3', 'b1', 'a4'], 4, 2, group)).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(diversify(['a1', 'b1', 'c1'], 2, 2, group)).toEqual(['a1', 'b1']);
    expect(diversify(['a1', 'a2', 'a3'], 5, 2, group)).toEqual(['a1', 'a2', 'a3']);
  });

  it('reads nothing for a limit of 0 or less', () => {
    const read: string[] = [];
    function* items() {
      for (const item of ['a1', 'b1']) {
        read.push(item);
        yield item;
      }
    }
    expect(diversify(items(), 0, 2, (s) => s[0]!)).toEqual([]);
    expect(diversify(items(), -1, 2, (s) => s[0]!)).toEqual([]);
    expect(read).toEqual([]);
  });
});

describe('the preferred space', () => {
  const eng = page('eng', 'Rotate the token in ENG.');
  const ops = page('ops', 'Rotate a token for OPS.', 'OPS');

  it('searches the space on its own too, and lifts its passages by 0.1', async () => {
    const store = new RankedStore((filter) =>
      filter.spaceKeys ? [hit(eng, 1)] : [hit(ops, 2), hit(eng, 1)],
    );
    const { passages } = await lexical(store).retrieve({
      query: 'rotate token',
      preferSpace: 'ENG',
      call: call(),
    });
    expect(store.queries.map((q) => q.filter)).toEqual([{}, { spaceKeys: ['ENG'] }]);
    // "eng" is first in its own space's search: rank 1, and the lift; "ops" gets no lift.
    expect(scored(passages)).toEqual([
      ['eng', round3(0.3 + 0.5 + 0.1)],
      ['ops', round3(0.3 + 0.5)],
    ]);
  });

  it('keeps the better-scored copy of a passage both searches found', async () => {
    const eng2 = page('eng2', 'Token rotation checklist for ENG.');
    // Each search ranks on its own: here "eng" leads the whole index but trails "eng2" within ENG.
    const store = new RankedStore((filter) =>
      filter.spaceKeys ? [hit(eng2, 1), hit(eng, 0.5)] : [hit(eng, 1), hit(ops, 0.5)],
    );
    const { passages } = await lexical(store).retrieve({
      query: 'rotate token',
      preferSpace: 'ENG',
      call: call(),
    });
    expect(scored(passages)).toEqual([
      ['eng', round3(0.3 + 0.5 + 0.1)],
      ['eng2', round3(0.3 + 0.5 + 0.1)],
      ['ops', round3(0.3 + 0.5 * 0.5)],
    ]);
  });

  it('neither searches nor lifts the space when the caller narrowed the spaces', async () => {
    const store = storeOf([hit(ops, 2), hit(eng, 1)]);
    const { passages } = await lexical(store).retrieve({
      query: 'rotate token',
      filter: { spaceKeys: ['OPS', 'ENG'] },
      preferSpace: 'ENG',
      call: call(),
    });
    expect(store.queries.map((q) => q.filter)).toEqual([{ spaceKeys: ['OPS', 'ENG'] }]);
    expect(scored(passages)).toEqual([
      ['ops', round3(0.3 + 0.5)],
      ['eng', round3(0.3 + 0.5 * 0.5)],
    ]);
  });
});

describe('what the asker may see', () => {
  /** A check that hides the given pages and records every batch it is asked about. */
  function hiding(hidden: readonly string[], then?: Partial<PageDecisions>) {
    const batches: string[][] = [];
    const check: PageCheck = {
      decide: (pageIds) => {
        batches.push([...pageIds]);
        const visible = new Set(pageIds.filter((id) => !hidden.includes(id)));
        return Promise.resolve(
          batches.length > 1 && then ? { visible: new Set<string>(), ...then } : { visible },
        );
      },
    };
    return { batches, check };
  }
  const pageIds = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `p${from + i}`);

  it('fetches twice the candidates when pages must be checked', async () => {
    const store = storeOf([hit(chunk('a', 'Rotate the token.'), 1)]);
    await lexical(store).retrieve({ query: 'rotate token', call: call() });
    await lexical(store).retrieve({
      query: 'rotate token',
      access: { check: hiding([]).check },
      call: call(),
    });
    expect(store.queries.map((q) => q.limit)).toEqual([
      DEFAULT_RETRIEVAL.candidates,
      DEFAULT_RETRIEVAL.candidates * DEFAULT_RETRIEVAL.accessOverFetch,
    ]);
  });

  it('checks every Confluence candidate, 50 distinct pages at a time, best first, and drops what is hidden', async () => {
    // 60 pages in rank order; among them a file (with a page id, which still does not make it Confluence's
    // to decide), a Confluence passage without a page id, and a second passage of the first page after the
    // first batch.
    const ranked = pageIds(0, 60).map((id) => page(id, `Rotate the token, step ${id}.`));
    ranked.splice(10, 0, chunk('guide', 'Rotate the token from the guide.', { pageId: 'exported' }));
    ranked.splice(20, 0, chunk('orphan', 'Rotate the token, orphaned.', { source: 'confluence' }));
    ranked.splice(55, 0, { ...page('p0', 'Rotate the token again, second part.'), id: 'p0#1', ordinal: 1 });
    const store = storeOf(ranked.map((c, i) => hit(c, 1 - i / 1000)));
    const { batches, check } = hiding(['p3']);
    const options = { ...DEFAULT_RETRIEVAL, topK: 100 };
    const { passages, notice } = await lexical(store, options).retrieve({
      query: 'rotate token',
      access: { check },
      call: call(),
    });
    expect(batches).toEqual([pageIds(0, 50), pageIds(50, 60)]);
    expect(passages.map((p) => p.chunk.id)).toEqual(
      ranked.filter((c) => c.docId !== 'p3' && c.docId !== 'orphan').map((c) => c.id),
    );
    expect(notice).toBeUndefined();
  });

  it('asks nothing when no candidate is a Confluence page', async () => {
    const store = storeOf([hit(chunk('guide', 'Rotate the token.'), 1)]);
    const { batches, check } = hiding([]);
    const { passages } = await lexical(store).retrieve({
      query: 'rotate token',
      access: { check },
      call: call(),
    });
    expect(batches).toEqual([]);
    expect(ids(passages)).toEqual(['guide']);
  });

  it('says which pages were left out when some could not be checked, and to try again unless that lasts', async () => {
    const ranked = pageIds(0, 60).map((id, i) => hit(page(id, `Rotate the token, step ${id}.`), 1 - i / 100));
    const ask = async (then: Partial<PageDecisions>, notice?: string) => {
      const { check } = hiding([], then);
      const options = { ...DEFAULT_RETRIEVAL, topK: 100 };
      return lexical(storeOf(ranked), options).retrieve({
        query: 'rotate token',
        access: { check, ...(notice ? { notice } : {}) },
        call: call(),
      });
    };
    const passing = await ask({ unverified: 'Confluence did not answer' });
    // Only the first batch was decided; nothing past it reaches the answer.
    expect(passing.passages.map((p) => p.chunk.docId)).toEqual(pageIds(0, 50));
    expect(passing.notice).toBe(
      'Some Confluence pages were left out of this answer: Confluence did not answer. Try again in a moment.',
    );
    const lasting = await ask({ unverified: 'the app may not read page permissions', lasting: true });
    expect(lasting.notice).toBe(
      'Some Confluence pages were left out of this answer: the app may not read page permissions.',
    );
    // The plan's own notice is what the asker is told.
    const planned = await ask(
      { unverified: 'Confluence did not answer' },
      'Jira users see no Confluence pages.',
    );
    expect(planned.notice).toBe('Jira users see no Confluence pages.');
  });

  it('stops asking once the admitted candidates are enough', async () => {
    const ranked = pageIds(0, 120).map((id) => ({ hit: { chunk: page(id, '') } }));
    const { batches, check } = hiding([]);
    const { admitted } = await admitVisible(ranked, check, call(), (a) => a.length >= 10);
    expect(batches).toEqual([pageIds(0, 50)]);
    expect(admitted.map((a) => a.hit.chunk.pageId)).toEqual(pageIds(0, 50));
  });
});

describe('failures', () => {
  const store = () => storeOf([hit(chunk('guide', 'Rotate the token.'), 1)]);

  it('answers lexically when the embedding provider fails, and says so to its health tracker and the log', async () => {
    const refusing = new HashingEmbedder(8);
    refusing.failWith = Object.assign(new Error('bad request'), { status: 400 });
    const health = new HealthTracker();
    const warnings: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger;
    const { passages } = await new Retriever(store(), refusing, DEFAULT_RETRIEVAL, health, log).retrieve({
      query: 'rotate token',
      call: call(),
    });
    // Lexical weights: 0.3 × match + 0.5 × rank.
    expect(scored(passages)).toEqual([['guide', 0.8]]);
    const problem = `the embedding model (${refusing.id}) refused the request (HTTP 400)`;
    expect(health.problem()).toBe(problem);
    expect(warnings).toEqual([[{ err: problem }, 'query embedding failed; retrieving lexically']]);
  });

  it('fails, rather than answering lexically, when the embedder returns vectors of the wrong size', async () => {
    const broken = new HashingEmbedder(8);
    broken.embedBatch = () => Promise.resolve([[1, 0]]);
    await expect(
      new Retriever(store(), broken).retrieve({ query: 'rotate token', call: call() }),
    ).rejects.toThrow(/returned 1 vectors of 2 dimensions for 1 texts; expected 8 dimensions/);
  });

  it("reports a failing store as unavailable, with the start of the store's message", async () => {
    const down = new RankedStore(() => {
      throw new Error('x'.repeat(300));
    }, 'qdrant');
    const error = await lexical(down)
      .retrieve({ query: 'rotate token', call: call() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'upstream_unavailable',
      message: 'the qdrant vector store is not available',
      details: { cause: 'x'.repeat(200) },
    });
  });
});

describe("the passages' terms, remembered", () => {
  /**
   * A passage that counts how often its headings are read: once per question for the cache's digest, and
   * more when it is analysed — so a question that analyses it reads them more often than one that does not.
   */
  function counted(id: string, text: string) {
    const c = chunk(id, text);
    const headings = c.headingPath;
    let reads = 0;
    Object.defineProperty(c, 'headingPath', {
      get: () => {
        reads++;
        return headings;
      },
      enumerable: true,
    });
    return { chunk: c, reads: () => reads };
  }

  it('analyses a passage once, however many questions find it', async () => {
    const a = counted('a', 'Rotate the token.');
    const b = counted('b', 'Revoke the token.');
    const retriever = lexical(storeOf([hit(a.chunk, 1), hit(b.chunk, 0.5)]));
    await retriever.retrieve({ query: 'rotate token', call: call() });
    const first = [a.reads(), b.reads()];
    expect(Math.min(...first)).toBeGreaterThan(0);
    await retriever.retrieve({ query: 'revoke token', call: call() });
    const second = [a.reads() - first[0]!, b.reads() - first[1]!];
    expect(second[0]).toBeLessThan(first[0]!);
    expect(second[1]).toBeLessThan(first[1]!);
  });

  it('analyses a passage again once its text changed, even to a text of the same length', async () => {
    // A page re-indexed under the same chunk id with one word changed: "rotate" becomes "revise".
    let text = 'Rotate the token monthly.';
    const hits = () => [hit(chunk('a', text), 1), hit(chunk('b', 'Rotate keys and the token.'), 1)];
    const retriever = lexical(new RankedStore(hits));
    await retriever.retrieve({ query: 'rotate token', call: call() });
    text = 'Revise the token monthly.';
    const again = await retriever.retrieve({ query: 'rotate token', call: call() });
    const fresh = await lexical(new RankedStore(hits)).retrieve({ query: 'rotate token', call: call() });
    expect(scored(again.passages)).toEqual(scored(fresh.passages));
    // The edited passage now holds half the question: it ranks below the one that holds all of it.
    expect(ids(again.passages)).toEqual(['b', 'a']);
  });

  it('analyses a passage again once its section headings changed, its text unchanged', async () => {
    let heading = 'Rotation';
    const hits = () => [hit(chunk('a', 'Do it monthly.', { headingPath: ['a', heading] }), 1)];
    const retriever = lexical(new RankedStore(hits));
    const before = await retriever.retrieve({ query: 'rotation', call: call() });
    expect(ids(before.passages)).toEqual(['a']);
    heading = 'Revision';
    const after = await retriever.retrieve({ query: 'rotation', call: call() });
    expect(ids(after.passages)).toEqual([]);
  });

  it('tells apart two passages whose title, headings and text only join up the same way', async () => {
    // 'Rotate' + 'keys monthly.' and 'Rotatekeys' + ' monthly.' read the same run together, not apart.
    let parts = { heading: 'Rotate', text: 'keys monthly.' };
    const hits = () => [hit(chunk('a', parts.text, { headingPath: ['a', parts.heading] }), 1)];
    const retriever = lexical(new RankedStore(hits));
    expect(ids((await retriever.retrieve({ query: 'rotate keys', call: call() })).passages)).toEqual(['a']);
    parts = { heading: 'Rotatekeys', text: ' monthly.' };
    expect(ids((await retriever.retrieve({ query: 'rotate keys', call: call() })).passages)).toEqual([]);
  });

  it('remembers 20,000 passages, forgetting the oldest first', async () => {
    const cached = Array.from({ length: 20_000 }, (_, i) => counted(`c${i}`, `Note ${i}.`));
    let next: SearchHit[] = [];
    const retriever = lexical(new RankedStore(() => next), { ...DEFAULT_RETRIEVAL, candidates: 20_000 });
    const find = async (hits: SearchHit[]) => {
      next = hits;
      await retriever.retrieve({ query: 'rotate token', call: call() });
    };
    await find(cached.map((c) => hit(c.chunk, 1)));
    const [oldest, second] = [cached[0]!, cached[1]!];
    const [oldestOnce, secondOnce] = [oldest.reads(), second.reads()];
    // One more passage: the oldest is forgotten, and only it.
    await find([hit(chunk('newcomer', 'Note.'), 1)]);
    await find([hit(second.chunk, 1)]);
    expect(second.reads() - secondOnce).toBeLessThan(secondOnce);
    await find([hit(oldest.chunk, 1)]);
    expect(oldest.reads()).toBe(2 * oldestOnce);
  });
});

describe('reciprocal rank fusion', () => {
  it('scores Σ 1/(60 + rank), rank from 1, and orders best first (ties in first-seen order)', () => {
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['d', 'b', 'e'],
    ]);
    expect([...fused.keys()]).toEqual(['b', 'a', 'd', 'c', 'e']);
    expect(fused.get('b')).toBeCloseTo(2 / 62, 15);
    expect(fused.get('a')).toBeCloseTo(1 / 61, 15);
    expect(fused.get('d')).toBeCloseTo(1 / 61, 15);
    expect(fused.get('c')).toBeCloseTo(1 / 63, 15);
    expect(fused.get('e')).toBeCloseTo(1 / 63, 15);
  });

  it('takes its constant as a parameter', () => {
    expect([...reciprocalRankFusion([['x', 'y', 'z'], ['z']], 0)]).toEqual([
      ['z', 1 / 3 + 1],
      ['x', 1],
      ['y', 1 / 2],
    ]);
  });
});
