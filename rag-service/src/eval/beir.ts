import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Judgements } from './metrics.js';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirSet {
  corpus: BeirDocument[];
  /** Query id → text. */
  queries: Map<string, string>;
  /** Query id → judged documents, for the split asked for. */
  qrels: Map<string, Judgements>;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

async function* jsonLines(file: string): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim()) yield JSON.parse(line) as Record<string, unknown>;
}

/** A BEIR-format folder: `corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv` (query-id, corpus-id, score). */
export async function loadBeir(dir: string, split = 'test'): Promise<BeirSet> {
  const qrelsFile = path.join(dir, 'qrels', `${split}.tsv`);
  for (const file of [path.join(dir, 'corpus.jsonl'), path.join(dir, 'queries.jsonl'), qrelsFile]) {
    if (!existsSync(file)) throw new Error(`not a BEIR folder: ${file} is missing`);
  }
  const corpus: BeirDocument[] = [];
  for await (const d of jsonLines(path.join(dir, 'corpus.jsonl'))) {
    corpus.push({ id: String(d._id), title: text(d.title), text: text(d.text) });
  }
  const queries = new Map<string, string>();
  for await (const q of jsonLines(path.join(dir, 'queries.jsonl'))) queries.set(String(q._id), text(q.text));
  const qrels = new Map<string, Map<string, number>>();
  const rows = (await readFile(qrelsFile, 'utf8')).split(/\r?\n/).slice(1);
  for (const row of rows) {
    const [query, doc, score] = row.split('\t');
    if (!query || !doc) continue;
    if (!qrels.has(query)) qrels.set(query, new Map());
    qrels.get(query)!.set(doc, Number(score));
  }
  return { corpus, queries, qrels };
}
