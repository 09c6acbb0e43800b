/** Relevance judgements of one query: document id → graded relevance (> 0 is relevant). */
export type Judgements = ReadonlyMap<string, number>;

/** nDCG@k with graded gains (2^rel − 1 would differ only for grades above 1; BEIR's trec_eval uses rel). */
export function ndcgAt(k: number, ranked: readonly string[], relevant: Judgements): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    dcg += (relevant.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()]
    .filter((r) => r > 0)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, rel, i) => sum + rel / Math.log2(i + 2), 0);
  return ideal > 0 ? dcg / ideal : 0;
}

/** Share of the relevant documents found in the first k. */
export function recallAt(k: number, ranked: readonly string[], relevant: Judgements): number {
  const wanted = [...relevant].filter(([, r]) => r > 0).map(([id]) => id);
  if (!wanted.length) return 0;
  const top = new Set(ranked.slice(0, k));
  return wanted.filter((id) => top.has(id)).length / wanted.length;
}

/** Reciprocal rank of the first relevant document within the first k, else 0. */
export function mrrAt(k: number, ranked: readonly string[], relevant: Judgements): number {
  const i = ranked.slice(0, k).findIndex((id) => (relevant.get(id) ?? 0) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

export interface QualityFigures {
  'nDCG@10': number;
  'Recall@10': number;
  'Recall@100': number;
  'MRR@10': number;
}

/** The four figures averaged over every judged query (a query with no result scores 0). */
export function averageQuality(
  runs: ReadonlyMap<string, readonly string[]>,
  qrels: ReadonlyMap<string, Judgements>,
): QualityFigures {
  const sums = { 'nDCG@10': 0, 'Recall@10': 0, 'Recall@100': 0, 'MRR@10': 0 };
  for (const [query, relevant] of qrels) {
    const ranked = runs.get(query) ?? [];
    sums['nDCG@10'] += ndcgAt(10, ranked, relevant);
    sums['Recall@10'] += recallAt(10, ranked, relevant);
    sums['Recall@100'] += recallAt(100, ranked, relevant);
    sums['MRR@10'] += mrrAt(10, ranked, relevant);
  }
  const n = Math.max(qrels.size, 1);
  return {
    'nDCG@10': sums['nDCG@10'] / n,
    'Recall@10': sums['Recall@10'] / n,
    'Recall@100': sums['Recall@100'] / n,
    'MRR@10': sums['MRR@10'] / n,
  };
}
