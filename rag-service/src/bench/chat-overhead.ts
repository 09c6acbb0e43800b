import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAITestServer } from '../../test/fakes/openai-server.js';
import { EmbeddedStore } from '../store/embedded.js';
import { indexedContent } from '../store/lance-rows.js';
import type { DocumentWrite, StoredChunk } from '../store/vector-store.js';
import { syntheticCorpus, type SyntheticChunk } from './corpus.js';
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

export const API_KEY = 'bench-key';
const EMBEDDINGS = 'openai:text-embedding-3-small';

function toWrite(group: SyntheticChunk[], vector: (text: string) => number[]): DocumentWrite {
  const first = group[0]!;
  const chunks: StoredChunk[] = group.map((c) => {
    const chunk: StoredChunk = {
      id: `${c.docId}#${c.ordinal}`,
      docId: c.docId,
      ordinal: c.ordinal,
      // Confluence content: no source configured here syncs it, so the service's start-up sync leaves it be.
      source: 'confluence',
      spaceKey: 'BENCH',
      title: c.title,
      headingPath: [c.title, c.heading],
      url: `${c.docId}.md`,
      text: c.text,
    };
    return { ...chunk, vector: vector(indexedContent(chunk)) };
  });
  return {
    record: {
      id: first.docId,
      source: 'confluence',
      spaceKey: 'BENCH',
      title: first.title,
      url: `${first.docId}.md`,
      hash: 'bench',
      chunks: chunks.length,
      indexedAt: new Date().toISOString(),
    },
    chunks,
  };
}

/**
 * Builds the same corpus for both systems: an embedded index for the service (vectors from the embedding
 * server's own function, so queries embedded over HTTP match), and a JSON-lines file the reference loads.
 */
export async function buildCorpus(
  dir: string,
  model: OpenAITestServer,
  chunks: number,
): Promise<{ questions: string[] }> {
  const corpus = syntheticCorpus(chunks);
  const store = await EmbeddedStore.open({
    dir: path.join(dir, 'data', 'index'),
    identity: { embeddings: EMBEDDINGS, dimensions: model.embedder.dimensions },
  });
  const reference = createWriteStream(path.join(dir, 'reference.jsonl'));
  const byDoc = new Map<string, SyntheticChunk[]>();
  for (const c of corpus.chunks) byDoc.set(c.docId, [...(byDoc.get(c.docId) ?? []), c]);
  let batch: DocumentWrite[] = [];
  for (const group of byDoc.values()) {
    const write = toWrite(group, (text) => model.embedder.vector(text));
    batch.push(write);
    for (const c of write.chunks)
      reference.write(`${JSON.stringify({ text: c.text, title: c.title, vector: c.vector })}\n`);
    if (batch.length >= 1000) {
      await store.replaceDocuments(batch);
      batch = [];
    }
  }
  await store.replaceDocuments(batch);
  await store.optimize();
  await store.close();
  await new Promise((resolve) => reference.end(resolve));
  return { questions: corpus.questions };
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
    const { questions } = await buildCorpus(dir, model, options.chunks);
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
          API_KEYS: API_KEY,
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
