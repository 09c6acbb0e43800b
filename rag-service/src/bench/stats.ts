/** Latency figures of one load run, in milliseconds, and its throughput. */
export interface LoadFigures {
  requests: number;
  errors: number;
  concurrency: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  requestsPerSecond: number;
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function summarize(
  latencies: readonly number[],
  errors: number,
  concurrency: number,
  seconds: number,
): LoadFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: latencies.length + errors,
    errors,
    concurrency,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    mean: round(sorted.reduce((s, v) => s + v, 0) / Math.max(sorted.length, 1)),
    requestsPerSecond: round(latencies.length / Math.max(seconds, 1e-9)),
  };
}
