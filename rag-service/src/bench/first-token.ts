import { keepAliveFetch } from '../net/keep-alive-fetch.js';
import { percentile } from './stats.js';

export interface FirstTokenFigures {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * Time from sending a streamed chat to its first SSE `token` event, one request at a time. The model server
 * sends its first token at once, so this is the service's own delay before the answer starts to flow.
 */
export async function firstTokenLatency(
  url: string,
  headers: Record<string, string>,
  questions: readonly string[],
  requests: number,
): Promise<FirstTokenFigures> {
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const t0 = performance.now();
    const res = await keepAliveFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify({ message: questions[i % questions.length] }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    let first: number | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
      if (first === undefined && seen.includes('event: token')) first = performance.now() - t0;
    }
    if (first !== undefined) times.push(first);
  }
  const sorted = times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: times.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
  };
}
