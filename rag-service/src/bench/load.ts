import { keepAliveFetch } from '../net/keep-alive-fetch.js';
import { summarize, type LoadFigures } from './stats.js';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  /** The body of request `i` (JSON). */
  body: (i: number) => unknown;
  concurrency: number;
  requests: number;
  /** Requests sent (and not counted) first, so caches and JIT are warm in every run alike. */
  warmup?: number;
}

/**
 * Closed-loop load: `concurrency` clients, each sending its next request when the last one is answered.
 * Sent over kept-alive node:http sockets rather than Node's fetch, whose own cost (0.4 ms of CPU a request,
 * and 4–5 ms young-generation pauses in this process) would otherwise be counted in every latency.
 */
export async function runLoad(options: LoadOptions): Promise<LoadFigures> {
  const send = async (i: number) => {
    const res = await keepAliveFetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(options.body(i)),
    });
    await res.arrayBuffer();
    return res.ok;
  };
  for (let i = 0; i < (options.warmup ?? 0); i++) await send(-1 - i).catch(() => false);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.requests) {
        const i = next++;
        const t0 = performance.now();
        const ok = await send(i).catch(() => false);
        if (ok) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  return summarize(latencies, errors, options.concurrency, (performance.now() - started) / 1000);
}
