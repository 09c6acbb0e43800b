import { percentile, summarize } from '../../src/bench/stats.js';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([
      percentile(sorted, 50),
      percentile(sorted, 95),
      percentile(sorted, 99),
      percentile(sorted, 100),
    ]).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('summarises a run: counts, percentiles and throughput', () => {
    const figures = summarize([30, 10, 20, 40], 1, 2, 2);
    expect(figures).toEqual({
      requests: 5,
      errors: 1,
      concurrency: 2,
      p50: 20,
      p95: 40,
      p99: 40,
      mean: 25,
      requestsPerSecond: 2,
    });
  });
});
