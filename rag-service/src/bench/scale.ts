import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenAITestServer } from '../../test/fakes/openai-server.js';
import { SERVICE_ROOT } from '../config.js';
import { API_KEY, askCited, BENCH_KEY_ENV, buildBenchIndex } from './bench-index.js';
import { runLoad } from './load.js';
import { freePort, IMAGE_START, startServerProcess, statusMb } from './processes.js';
import type { LoadFigures } from './stats.js';
import { vectorRecallAt10 } from './vector-recall.js';

export type ScaleMode = 'lexical' | 'hybrid';

export interface ScaleOptions {
  sizes: number[];
  modes: ScaleMode[];
  dimensions: number;
  /** Measured requests at concurrency 1 and at 16, each after 20 unmeasured ones. */
  requests: { c1: number; c16: number };
  /** Called with every point as it is measured, so a long run that fails later keeps what it found. */
  onPoint?: (result: ScaleResult) => Promise<void>;
  onProgress?: (what: string) => void;
}

/** What one system did over one index. */
export interface SystemFigures {
  /** From starting the process to its readiness probe answering 200. */
  coldStartMs: number;
  /** The first question after that: it waits for anything still loading. */
  firstAnswerMs: number;
  c1: LoadFigures;
  c16: LoadFigures;
  /** Resident once ready, the first question answered, and 3 s of nothing. */
  idleRssMb: number;
  /** The highest resident size over the whole run (VmHWM). */
  peakRssMb: number;
}

export interface ScalePoint {
  mode: ScaleMode;
  chunks: number;
  buildSeconds: number;
  diskMb: number;
  service: SystemFigures;
  /** Hybrid: the share of the exact top 10 the store's vector search finds, for 50 of the questions. */
  recallAt10?: number;
  /** The reference over the same vectors, or why it was not run at this size. */
  reference: SystemFigures | { skipped: string };
}

export interface ScaleResult {
  dimensions: number;
  requests: { c1: number; c16: number };
  points: ScalePoint[];
}

/**
 * The reference keeps every vector in a JavaScript array of doubles: past this many bytes of them it
 * cannot run in the `prod` task (2 GB) beside its own heap, and each question's scan takes seconds.
 */
const REFERENCE_VECTOR_BYTES_MAX = 1024 ** 3;
/** Questions whose vector search is checked against an exact scan (each scans every vector at 1M: ~1 s). */
const RECALL_QUESTIONS = 50;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, Math.round(performance.now() - t0)];
}

/**
 * Chat overhead, memory, index size and cold start as the index grows: the production bundle over
 * embedded indexes of each size (lexical, and hybrid with `dimensions`-sized vectors), each beside the
 * reference (LangChain's retrieval chain over its in-memory store) where the reference can hold the
 * index at all. Sizes are measured smallest first; every index is deleted once measured.
 */
export async function scaleCurves(options: ScaleOptions): Promise<ScaleResult> {
  const main = path.join(SERVICE_ROOT, 'dist', 'main.js');
  if (!existsSync(main))
    throw new Error('the scale suite measures the production bundle: run `pnpm build` first');
  const model = await new OpenAITestServer('test-key', options.dimensions).start();
  const result: ScaleResult = { dimensions: options.dimensions, requests: options.requests, points: [] };
  try {
    for (const chunks of options.sizes) {
      for (const mode of options.modes) {
        const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-scale-'));
        try {
          const label = `${mode}, ${chunks.toLocaleString('en')} chunks`;
          options.onProgress?.(`scale: building the ${label} index`);
          const withReference =
            mode === 'hybrid' && chunks * options.dimensions * 8 <= REFERENCE_VECTOR_BYTES_MAX;
          const referenceFile = path.join(dir, 'reference.jsonl');
          const index = await buildBenchIndex({
            dir: path.join(dir, 'data', 'index'),
            chunks,
            embedder: mode === 'hybrid' ? model.embedder : undefined,
            referenceFile: withReference ? referenceFile : undefined,
            onProgress: (what) => options.onProgress?.(`scale: ${label}: ${what}`),
          });
          const ask = (i: number) => ({ message: index.questions[Math.abs(i) % index.questions.length] });
          const questions = { ask, emptyIndex: chunks === 0 };
          options.onProgress?.(`scale: ${label}: the service`);
          const service = await measureService(main, dir, mode, model, questions, options.requests);
          let reference: ScalePoint['reference'] = {
            skipped:
              mode === 'lexical'
                ? 'the reference is a vector search: it has no lexical mode'
                : `its vectors alone would be ${((chunks * options.dimensions * 8) / 1024 ** 3).toFixed(1)} GB of doubles in its heap`,
          };
          if (withReference) {
            options.onProgress?.(`scale: ${label}: the reference`);
            reference = await measureReference(referenceFile, model, questions, options.requests);
          }
          let recallAt10: number | undefined;
          if (mode === 'hybrid' && chunks > 0) {
            options.onProgress?.(`scale: ${label}: vector recall against an exact scan`);
            recallAt10 = await vectorRecallAt10(
              path.join(dir, 'data', 'index'),
              options.dimensions,
              index.questions.slice(0, RECALL_QUESTIONS).map((q) => model.embedder.vector(q)),
            );
          }
          result.points.push({
            mode,
            chunks,
            buildSeconds: index.buildSeconds,
            diskMb: index.diskMb,
            service,
            recallAt10,
            reference,
          });
          await options.onPoint?.(result);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    }
    return result;
  } finally {
    await model.close();
  }
}

/** The suite's questions, and whether the index they are asked of is empty (nothing can be cited). */
interface Questions {
  ask: (i: number) => unknown;
  emptyIndex: boolean;
}

async function measureService(
  main: string,
  dir: string,
  mode: ScaleMode,
  model: OpenAITestServer,
  questions: Questions,
  requests: ScaleOptions['requests'],
): Promise<SystemFigures> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  await mkdir(path.join(dir, 'no-docs'), { recursive: true });
  const started = performance.now();
  const child = spawn(process.execPath, [...IMAGE_START.args, main], {
    cwd: SERVICE_ROOT,
    env: {
      ...process.env,
      ...IMAGE_START.env,
      NODE_ENV: 'production',
      DATA_DIR: path.join(dir, 'data'),
      DOCS_DIR: path.join(dir, 'no-docs'),
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
      EMBEDDINGS_PROVIDER: mode === 'hybrid' ? 'openai' : 'none',
      ...BENCH_KEY_ENV,
      // What grows with the index is measured: conversations are kept apart (the history suite's subject).
      HISTORY: 'off',
      RATE_LIMIT_CHAT_PER_MINUTE: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await untilReady(child, `${url}/readyz`);
    const coldStartMs = Math.round(performance.now() - started);
    return await measureChats(child, `${url}/api/v1/chat`, coldStartMs, questions, requests);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function measureReference(
  corpus: string,
  model: OpenAITestServer,
  questions: Questions,
  requests: ScaleOptions['requests'],
): Promise<SystemFigures> {
  const port = await freePort();
  const [server, coldStartMs] = await timed(() =>
    startServerProcess(
      'src/bench/reference-server.ts',
      { OPENAI_API_KEY: model.apiKey, OPENAI_BASE_URL: model.baseUrl, REFERENCE_CORPUS: corpus },
      port,
      '/healthz',
    ),
  );
  try {
    return await measureChats(server.child, `${server.url}/api/v1/chat`, coldStartMs, questions, requests);
  } finally {
    await server.stop();
  }
}

async function measureChats(
  child: ChildProcess,
  chatUrl: string,
  coldStartMs: number,
  questions: Questions,
  requests: ScaleOptions['requests'],
): Promise<SystemFigures> {
  const headers = { 'x-api-key': API_KEY };
  const { ask, emptyIndex } = questions;
  const [, firstAnswerMs] = await timed(() => askCited(chatUrl, ask(0), emptyIndex));
  await sleep(3000);
  const idleRssMb = statusMb(child.pid!, 'VmRSS');
  const load = (concurrency: number, n: number) =>
    runLoad({ url: chatUrl, headers, body: ask, concurrency, requests: n, warmup: 20 });
  const c1 = await load(1, requests.c1);
  const c16 = await load(16, requests.c16);
  return { coldStartMs, firstAnswerMs, c1, c16, idleRssMb, peakRssMb: statusMb(child.pid!, 'VmHWM') };
}

async function untilReady(child: ChildProcess, url: string): Promise<void> {
  for (const deadline = Date.now() + 600_000; Date.now() < deadline;) {
    if (child.exitCode !== null)
      throw new Error(`the service exited (${child.exitCode}) before it was ready`);
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(20);
  }
  throw new Error('the service was not ready within 10 minutes');
}
