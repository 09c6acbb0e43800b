import { createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedStore } from '../store/embedded.js';
import { indexedContent } from '../store/lance-rows.js';
import type { DocumentWrite, StoredChunk } from '../store/vector-store.js';
import { syntheticCorpusStream, type SyntheticChunk } from './corpus.js';

/** The Confluence space every bench chunk is a page of. */
export const BENCH_SPACE = 'BENCH';
/** The API key bench services accept. */
export const API_KEY = 'bench-key';
/**
 * How a bench service is given its key. A key sees no Confluence content unless the operator names what it
 * may (API_KEY_CONFLUENCE_ACCESS): this one sees the bench space, as a Forge user sees the spaces they may
 * open, so each search carries the space filter theirs does.
 */
export const BENCH_KEY_ENV = { API_KEYS: API_KEY, API_KEY_CONFLUENCE_ACCESS: BENCH_SPACE };

/** The embeddings identity the service records when it runs on the OpenAI test server. */
export const BENCH_EMBEDDINGS = 'openai:text-embedding-3-small';

export interface BenchIndexOptions {
  /** The index folder (`DATA_DIR/index` of the service that will serve it). */
  dir: string;
  chunks: number;
  /** Dense vectors from the embedding server's own function, so questions embedded over HTTP match; none: lexical. */
  embedder?: { dimensions: number; vector(text: string): number[] };
  /** Also write the corpus as JSON lines of {text, title, vector} for the reference to load. */
  referenceFile?: string;
  onProgress?: (what: string) => void;
}

export interface BenchIndex {
  questions: string[];
  /** Writing every document through the store, then its optimize (which builds the search indexes). */
  buildSeconds: number;
  diskMb: number;
}

/** One synthetic document as the store's write: a Confluence page of the bench space, with vectors if given. */
export function benchDocument(group: SyntheticChunk[], vector?: (text: string) => number[]): DocumentWrite {
  const first = group[0]!;
  const chunks: StoredChunk[] = group.map((c) => {
    const chunk: StoredChunk = {
      id: `${c.docId}#${c.ordinal}`,
      docId: c.docId,
      ordinal: c.ordinal,
      // Confluence content: no source configured here syncs it, so the service's start-up sync leaves it be.
      source: 'confluence',
      spaceKey: BENCH_SPACE,
      title: c.title,
      headingPath: [c.title, c.heading],
      url: `${c.docId}.md`,
      text: c.text,
    };
    return vector ? { ...chunk, vector: vector(indexedContent(chunk)) } : chunk;
  });
  return {
    record: {
      id: first.docId,
      source: 'confluence',
      spaceKey: BENCH_SPACE,
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
 * A synthetic index written the way ingestion writes one: documents through the embedded store's
 * `replaceDocuments`, a thousand at a time, then `optimize`. The corpus is generated as it is written.
 */
export async function buildBenchIndex(options: BenchIndexOptions): Promise<BenchIndex> {
  const started = performance.now();
  const corpus = syntheticCorpusStream(options.chunks);
  const store = await EmbeddedStore.open({
    dir: options.dir,
    identity: options.embedder
      ? { embeddings: BENCH_EMBEDDINGS, dimensions: options.embedder.dimensions }
      : { embeddings: 'none', dimensions: 0 },
  });
  const reference = options.referenceFile ? createWriteStream(options.referenceFile) : undefined;
  const vector = options.embedder && ((text: string) => options.embedder!.vector(text));
  let batch: DocumentWrite[] = [];
  let written = 0;
  try {
    for (const group of corpus.documents()) {
      const write = benchDocument(group, vector);
      batch.push(write);
      for (const c of write.chunks) {
        const line = `${JSON.stringify({ text: c.text, title: c.title, vector: c.vector })}\n`;
        if (reference && !reference.write(line))
          await new Promise<void>((resolve) => reference.once('drain', () => resolve()));
      }
      if (batch.length >= 1000) {
        await store.replaceDocuments(batch);
        written += batch.reduce((n, w) => n + w.chunks.length, 0);
        batch = [];
        if (written % 100_000 < 5000) options.onProgress?.(`${written.toLocaleString('en')} chunks written`);
      }
    }
    await store.replaceDocuments(batch);
    options.onProgress?.('building the search indexes (optimize)');
    await store.optimize();
  } finally {
    await store.close();
    if (reference) await new Promise((resolve) => reference.end(resolve));
  }
  await dropOldVersions(options.dir);
  return {
    questions: corpus.questions(),
    buildSeconds: Math.round((performance.now() - started) / 100) / 10,
    diskMb: Math.round((await folderBytes(options.dir)) / 1024 ** 2),
  };
}

/**
 * Asks one question and fails unless the answer cites the index; over an empty index (the service's floor)
 * it need only answer. A service that finds nothing still answers 200, saying it cannot answer, and a suite
 * would then measure a refusal: the suites did, from the day keys stopped seeing Confluence content by
 * default until this check.
 */
export async function askCited(chatUrl: string, body: unknown, emptyIndex = false): Promise<void> {
  const res = await fetch(chatUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const sources = res.ok ? (JSON.parse(text) as { sources?: unknown[] }).sources : undefined;
  if (!sources || (!sources.length && !emptyIndex))
    throw new Error(
      `${chatUrl} answered without citing the bench index (${res.status}): ${text.slice(0, 300)}`,
    );
}

/**
 * The store's optimize keeps the versions of the last minute for readers still on them; a built index
 * measured at once would count every rewrite of the build. Nothing reads this one yet, so they go.
 */
async function dropOldVersions(dir: string): Promise<void> {
  const lancedb = await import('@lancedb/lancedb');
  const db = await lancedb.connect(dir);
  for (const name of (await db.listTables()).tables) {
    const table = await db.openTable(name);
    await table.optimize({ cleanupOlderThan: new Date() });
    table.close();
  }
  db.close();
}

/** Bytes of every file under a folder. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}
