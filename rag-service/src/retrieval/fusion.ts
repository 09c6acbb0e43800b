/** The constant of reciprocal rank fusion (Cormack et al., 2009): damps the weight of the very top ranks. */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion of several ranked lists of ids: score(id) = Σ 1 / (k + rank). Robust to the lists'
 * scores being on unrelated scales (BM25 vs cosine), which is why hybrid retrieval uses it.
 */
export function reciprocalRankFusion<Id>(lists: readonly (readonly Id[])[], k = RRF_K): Map<Id, number> {
  const scores = new Map<Id, number>();
  for (const list of lists) {
    list.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1)));
  }
  return new Map([...scores].sort((a, b) => b[1] - a[1]));
}
