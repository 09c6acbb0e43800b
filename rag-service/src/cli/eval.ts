import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.js';
import { openIndex } from '../service.js';
import { loadBeir } from '../eval/beir.js';
import { evaluate, type EvalResult, type EvalStoreFactory, type RetrievalMode } from '../eval/run-eval.js';
import { createModels } from '../models/registry.js';
import { QdrantStore } from '../store/qdrant.js';
import { summaryTable } from './progress-bar.js';

export const EVAL_HELP = `Usage: pnpm kb eval <BEIR folder> [options]

Retrieval quality on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv): indexes the
corpus into a throwaway store with the service's own chunking, runs every judged query, and reports
nDCG@10, Recall@10, Recall@100 and MRR@10 per retrieval mode and store, twice: "pipeline" is the chat's
own Retriever (relevance gate, re-ranking, de-duplication, per-document cap), "store" the bare store
search. Dense and hybrid modes need an embedder (EMBEDDINGS_PROVIDER and its key, as for the service);
Qdrant needs QDRANT_URL.

Options:
  --split <name>       qrels split to score: test (default) or train (tune on train, report test)
  --modes <a,b>        lexical, dense, hybrid (default: every mode the configuration allows)
  --stores <a,b>       embedded, qdrant (default: embedded, plus qdrant when QDRANT_URL is set)
  --candidates <n>     candidates the pipeline re-ranks (default 300, enough for Recall@100; the chat
                       itself re-ranks 40)
  --json <file>        also write the results as JSON
  -h, --help           show this help

Example: pnpm kb eval ../../shared/eval/beir-scifact --json eval.json
`;

const MODES: RetrievalMode[] = ['lexical', 'dense', 'hybrid'];

/**
 * An empty store of `kind` for one evaluation, from the service's own registry of stores: a folder of its
 * own (embedded) or a collection of its own (Qdrant), removed afterwards.
 */
function throwawayStore(kind: Config['vectorStore'], config: Config): EvalStoreFactory {
  return {
    name: kind,
    async open(identity) {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-eval-'));
      const scoped: Config = {
        ...config,
        dataDir: dir,
        qdrant: { ...config.qdrant, collection: `kb-eval-${Date.now()}` },
      };
      const store = await openIndex(scoped, identity, true, kind);
      const dispose = async () => {
        if (store instanceof QdrantStore) await store.drop();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      };
      return { store, dispose };
    },
  };
}

export interface EvalRun {
  dataset: string;
  split: string;
  embeddings: string;
  results: EvalResult[];
}

export async function runEval(
  argv: string[],
  env: Record<string, string | undefined>,
  onProgress?: (what: string) => void,
): Promise<EvalRun> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      split: { type: 'string', default: 'test' },
      modes: { type: 'string' },
      stores: { type: 'string' },
      candidates: { type: 'string', default: '300' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const [dir] = positionals;
  if (!dir) throw new Error('name a BEIR folder, e.g. pnpm kb eval ../../shared/eval/beir-scifact');
  const config = loadConfig(env);
  const { embedder } = await createModels(config);
  const modes = (values.modes?.split(',') ?? MODES).map((m) => m.trim()) as RetrievalMode[];
  const unknown = modes.filter((m) => !MODES.includes(m));
  if (unknown.length) throw new Error(`unknown mode ${unknown.join(', ')}: use lexical, dense or hybrid`);
  if (!embedder && values.modes && modes.some((m) => m !== 'lexical')) {
    throw new Error('dense and hybrid retrieval need an embedder: set EMBEDDINGS_PROVIDER and its key');
  }
  const storeNames = values.stores?.split(',').map((s) => s.trim()) ?? [
    'embedded',
    ...(config.qdrant.url ? ['qdrant'] : []),
  ];
  const factories = storeNames.map((name) => {
    if (name === 'embedded') return throwawayStore('embedded', config);
    if (name === 'qdrant' && config.qdrant.url) return throwawayStore('qdrant', config);
    throw new Error(name === 'qdrant' ? 'the qdrant store needs QDRANT_URL' : `unknown store ${name}`);
  });

  const candidates = Number(values.candidates);
  if (!Number.isInteger(candidates) || candidates < 1 || candidates > 1000)
    throw new Error(`--candidates must be a whole number from 1 to 1000, not "${values.candidates}"`);
  const set = await loadBeir(path.resolve(dir), values.split);
  const results: EvalResult[] = [];
  for (const factory of factories)
    results.push(...(await evaluate(set, factory, embedder, modes, onProgress, candidates)));
  const run = {
    dataset: path.basename(path.resolve(dir)),
    split: values.split,
    embeddings: embedder?.id ?? 'none',
    results,
  };
  if (values.json) await writeFile(values.json, `${JSON.stringify(run, null, 2)}\n`);
  return run;
}

/** The results as a text table, one row per store and mode. */
export function evalTable(run: EvalRun): string {
  const f = (n: number) => n.toFixed(3);
  const rows: [string, string | number][] = [
    [`${run.dataset} (${run.split})`, `embeddings: ${run.embeddings}`],
  ];
  for (const r of run.results) {
    rows.push([
      `${r.retrieval} · ${r.store} / ${r.mode}`,
      `nDCG@10 ${f(r.figures['nDCG@10'])}  R@10 ${f(r.figures['Recall@10'])}  R@100 ${f(r.figures['Recall@100'])}  MRR@10 ${f(r.figures['MRR@10'])}  (${r.queries} queries, ${r.querySeconds.toFixed(1)} s)`,
    ]);
  }
  return summaryTable(rows);
}
