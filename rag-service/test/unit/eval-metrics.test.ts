import { averageQuality, mrrAt, ndcgAt, recallAt } from '../../src/eval/metrics.js';

const judged = (...ids: string[]) => new Map(ids.map((id) => [id, 1]));

describe('retrieval metrics', () => {
  it('nDCG@k: discounted gain over the ideal ordering', () => {
    expect(ndcgAt(10, ['a', 'b'], judged('a', 'b'))).toBe(1);
    // One relevant document at rank 2 of one judged: 1/log2(3).
    expect(ndcgAt(10, ['x', 'a'], judged('a'))).toBeCloseTo(1 / Math.log2(3), 10);
    // Two judged, one found at rank 1: 1 / (1 + 1/log2(3)).
    expect(ndcgAt(10, ['a', 'x'], judged('a', 'b'))).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 10);
    expect(ndcgAt(1, ['x', 'a'], judged('a'))).toBe(0);
  });

  it('Recall@k and MRR@k', () => {
    expect(recallAt(2, ['a', 'x', 'b'], judged('a', 'b'))).toBe(0.5);
    expect(recallAt(3, ['a', 'x', 'b'], judged('a', 'b'))).toBe(1);
    expect(mrrAt(10, ['x', 'y', 'a'], judged('a'))).toBeCloseTo(1 / 3, 10);
    expect(mrrAt(2, ['x', 'y', 'a'], judged('a'))).toBe(0);
  });

  it('averages over every judged query, counting a query without results as 0', () => {
    const qrels = new Map([
      ['q1', judged('a')],
      ['q2', judged('b')],
    ]);
    const avg = averageQuality(new Map([['q1', ['a']]]), qrels);
    expect(avg).toEqual({ 'nDCG@10': 0.5, 'Recall@10': 0.5, 'Recall@100': 0.5, 'MRR@10': 0.5 });
  });
});
