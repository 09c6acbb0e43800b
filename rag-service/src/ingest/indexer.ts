import type { DocumentSource } from '@kb/contracts';
import { embedAll, type Embedder } from '../models/embedder.js';
import type { HealthTracker } from '../models/resilient.js';
import type { DocumentRecord, StoredChunk, VectorStore } from '../store/vector-store.js';
import {
  chunkDocument,
  chunkDocumentInSlices,
  DEFAULT_CHUNK_OPTIONS,
  type ChunkDraft,
  type ChunkOptions,
} from './chunk.js';
import { indexedContent } from '../store/lance-rows.js';
import type { LoadedDocument } from './sources/source.js';
import { indexedHash } from './conversion-version.js';

export interface IndexableDocument {
  id: string;
  source: DocumentSource;
  hash: string;
  loaded: LoadedDocument;
}

export function chunksOf(
  doc: IndexableDocument,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): StoredChunk[] {
  return storedChunks(doc, chunkDocument(doc.loaded.structured, options));
}

function storedChunks(doc: IndexableDocument, drafts: ChunkDraft[]): StoredChunk[] {
  const { loaded } = doc;
  return drafts.map((draft) => ({
    id: `${doc.id}#${draft.ordinal}`,
    docId: doc.id,
    ordinal: draft.ordinal,
    source: doc.source,
    title: loaded.title,
    headingPath: loaded.breadcrumb
      ? [...loaded.breadcrumb, loaded.title, ...draft.headingPath.filter((h) => h !== loaded.title)]
      : draft.headingPath,
    url: draft.anchor ? `${loaded.url}#${draft.anchor}` : loaded.url,
    text: draft.text,
    spaceKey: loaded.spaceKey,
    pageId: loaded.pageId,
  }));
}

/**
 * Turns loaded documents into stored chunks: chunk, embed (batched across documents, so 1,000 chunks cost
 * ceil(1000 / batch) calls), then replace each document in the store.
 */
export class Indexer {
  constructor(
    private readonly store: VectorStore,
    private readonly embedder: Embedder | undefined,
    private readonly chunkOptions: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
    private readonly embeddingsHealth?: HealthTracker,
  ) {}

  /** How many chunks to gather before one round of embedding calls. */
  get batchChunks(): number {
    return this.embedder ? this.embedder.maxBatchSize * 4 : 256;
  }

  /** The document's chunks, cut in slices of work so a large document never stalls the service. */
  async chunk(doc: IndexableDocument): Promise<StoredChunk[]> {
    return storedChunks(doc, await chunkDocumentInSlices(doc.loaded.structured, this.chunkOptions));
  }

  /** A writer that embeds in whole batches across documents and writes each document once it is embedded. */
  writer(signal?: AbortSignal): BatchWriter {
    return new BatchWriter(this.store, this.embedder, signal, this.embeddingsHealth);
  }

  /** Embeds and writes one document now (an upload); returns its chunk count, or throws. */
  async writeNow(doc: IndexableDocument, chunks: StoredChunk[], signal?: AbortSignal): Promise<number> {
    const writer = this.writer(signal);
    writer.add(doc, chunks);
    const outcome = await writer.flush(true);
    if (outcome.error) throw outcome.error;
    return outcome.chunks;
  }
}

export interface WriteOutcome {
  written: IndexableDocument[];
  failed: IndexableDocument[];
  chunks: number;
  error?: Error;
}

function recordOf(doc: IndexableDocument, chunks: number, indexedAt: string): DocumentRecord {
  return {
    id: doc.id,
    source: doc.source,
    title: doc.loaded.title,
    url: doc.loaded.url,
    hash: indexedHash(doc.hash),
    chunks,
    spaceKey: doc.loaded.spaceKey,
    pageId: doc.loaded.pageId,
    version: doc.loaded.version,
    indexedAt,
  };
}

/**
 * Collects chunked documents and embeds them in full batches of the embedder's size, whatever the
 * document boundaries: a document whose chunks straddle two batches waits for the next round. So N
 * chunks cost exactly ceil(N / batch) embedding calls, and a document is written only when whole.
 */
export class BatchWriter {
  private pending: { doc: IndexableDocument; chunks: StoredChunk[] }[] = [];

  constructor(
    private readonly store: VectorStore,
    private readonly embedder: Embedder | undefined,
    private readonly signal?: AbortSignal,
    private readonly health?: HealthTracker,
  ) {}

  get pendingChunks(): number {
    return this.pending.reduce((n, p) => n + p.chunks.length, 0);
  }

  add(doc: IndexableDocument, chunks: StoredChunk[]): void {
    this.pending.push({ doc, chunks });
  }

  /** Embeds the full batches pending (everything, when `final`) and writes the documents that are ready. */
  async flush(final: boolean): Promise<WriteOutcome> {
    const embedder = this.embedder;
    if (embedder) {
      const missing = this.pending.flatMap((p) => p.chunks).filter((c) => !c.vector);
      const take = final
        ? missing.length
        : Math.floor(missing.length / embedder.maxBatchSize) * embedder.maxBatchSize;
      if (take) {
        try {
          const batch = missing.slice(0, take);
          const vectors = await embedAll(embedder, batch.map(indexedContent), {
            signal: this.signal,
            health: this.health,
          });
          batch.forEach((chunk, i) => (chunk.vector = vectors[i]));
        } catch (err) {
          if (this.signal?.aborted) throw err;
          const failed = this.pending.map((p) => p.doc);
          this.pending = [];
          return { written: [], failed, chunks: 0, error: err as Error };
        }
      }
    }
    const waiting = embedder ? this.pending.findIndex((p) => p.chunks.some((c) => !c.vector)) : -1;
    const ready = this.pending.splice(0, waiting === -1 ? this.pending.length : waiting);
    if (!ready.length) return { written: [], failed: [], chunks: 0 };
    this.signal?.throwIfAborted();
    const indexedAt = new Date().toISOString();
    await this.store.replaceDocuments(
      ready.map(({ doc, chunks }) => ({ record: recordOf(doc, chunks.length, indexedAt), chunks })),
    );
    return {
      written: ready.map((r) => r.doc),
      failed: [],
      chunks: ready.reduce((n, r) => n + r.chunks.length, 0),
    };
  }
}
