import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAITestServer } from '../../test/fakes/openai-server.js';
import { API_KEY, askCited, BENCH_KEY_ENV, buildBenchIndex } from './bench-index.js';
import { firstTokenLatency, type FirstTokenFigures } from './first-token.js';
import { runLoad } from './load.js';
import { freePort, startServerProcess, type ServerProcess } from './processes.js';
import type { LoadFigures } from './stats.js';

export interface ChatOverheadOptions {
  chunks: number;
  concurrencies: number[];
  /** Requests per concurrency level (at least 20 per client, so every client's tail is seen). */
  requests: (concurrency: number) => number;
  onProgress?: (what: string) => void;
}

export interface ChatOverheadRun {
  system: 'rag-service' | 'reference';
  load: LoadFigures;
}

export interface ChatOverheadResult {
  chunks: number;
  runs: ChatOverheadRun[];
  peakRssMb: { 'rag-service': number; reference: number };
  /**
   * Each system's first pass over the questions, one at a time, straight after it started: caches and JIT
   * cold. The runs above come after it, so they show a system that has been answering for a while.
   */
  firstPass: { 'rag-service': LoadFigures; reference: LoadFigures };
  /** rag-service requests/s over the reference's, per concurrency. */
  throughputRatio: Record<string, number>;
  /** The service's streamed answers: time to the first `token` event (the model answers at once). */
  firstToken: FirstTokenFigures;
}

/**
 * The service's own cost per chat: the model and embedding servers answer at once, so what is measured is
 * HTTP, auth, validation, query embedding round trip, hybrid search over the index, re-ranking, prompt and
 * citations. The reference (LangChain's retrieval chain over its in-memory store) runs the same requests
 * against the same servers, in the same run; each system is its own process.
 */
export async function chatOverhead(options: ChatOverheadOptions): Promise<ChatOverheadResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-'));
  const model = await new OpenAITestServer().start();
  const servers: ServerProcess[] = [];
  try {
    options.onProgress?.(`building an index of ${options.chunks} chunks`);
    const { questions } = await buildBenchIndex({
      dir: path.join(dir, 'data', 'index'),
      chunks: options.chunks,
      embedder: model.embedder,
      referenceFile: path.join(dir, 'reference.jsonl'),
    });
    const env = { OPENAI_API_KEY: model.apiKey, OPENAI_BASE_URL: model.baseUrl };
    const runs: ChatOverheadRun[] = [];
    const peakRssMb = { 'rag-service': 0, reference: 0 };
    const firstPass: Partial<ChatOverheadResult['firstPass']> = {};
    let firstToken: FirstTokenFigures | undefined;
    const systems = [
      {
        system: 'rag-service' as const,
        entry: 'src/main.ts',
        env: {
          ...env,
          DATA_DIR: path.join(dir, 'data'),
          DOCS_DIR: path.join(dir, 'no-docs'),
          ...BENCH_KEY_ENV,
          // The load is one caller asking thousands of questions: what is measured is the service, not its limit.
          RATE_LIMIT_CHAT_PER_MINUTE: '0',
        },
        ready: '/readyz',
      },
      {
        system: 'reference' as const,
        entry: 'src/bench/reference-server.ts',
        env: { ...env, REFERENCE_CORPUS: path.join(dir, 'reference.jsonl') },
        ready: '/healthz',
      },
    ];
    for (const s of systems) {
      options.onProgress?.(`starting ${s.system}`);
      const server = await startServerProcess(s.entry, s.env, await freePort(), s.ready);
      servers.push(server);
      const ask = (i: number) => ({ message: questions[Math.abs(i) % questions.length] });
      options.onProgress?.(`${s.system}: first pass over ${questions.length} questions`);
      firstPass[s.system] = await runLoad({
        url: `${server.url}/api/v1/chat`,
        headers: { 'x-api-key': API_KEY },
        body: ask,
        concurrency: 1,
        requests: questions.length,
      });
      await askCited(`${server.url}/api/v1/chat`, ask(0));
      for (const concurrency of options.concurrencies) {
        options.onProgress?.(`${s.system}: concurrency ${concurrency}`);
        const load = await runLoad({
          url: `${server.url}/api/v1/chat`,
          headers: { 'x-api-key': API_KEY },
          body: ask,
          concurrency,
          requests: options.requests(concurrency),
          warmup: 20,
        });
        runs.push({ system: s.system, load });
      }
      if (s.system === 'rag-service') {
        options.onProgress?.('rag-service: time to first streamed token');
        firstToken = await firstTokenLatency(
          `${server.url}/api/v1/chat`,
          { 'x-api-key': API_KEY },
          questions,
          200,
        );
      }
      peakRssMb[s.system] = server.peakRssMb();
      await server.stop();
    }
    const throughputRatio: Record<string, number> = {};
    for (const c of options.concurrencies) {
      const ours = runs.find((r) => r.system === 'rag-service' && r.load.concurrency === c)!.load;
      const theirs = runs.find((r) => r.system === 'reference' && r.load.concurrency === c)!.load;
      throughputRatio[String(c)] =
        Math.round((ours.requestsPerSecond / Math.max(theirs.requestsPerSecond, 1e-9)) * 100) / 100;
    }
    return {
      chunks: options.chunks,
      runs,
      peakRssMb,
      firstPass: firstPass as ChatOverheadResult['firstPass'],
      throughputRatio,
      firstToken: firstToken!,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await model.close();
    await rm(dir, { recursive: true, force: true });
  }
}
