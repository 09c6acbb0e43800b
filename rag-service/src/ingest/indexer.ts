import type { DocumentSource } from '@kb/contracts';
import { embedAll, type Embedder } from '../models/embedder.js';
import type { DocumentRecord, StoredChunk, VectorStore } from '../store/vector-store.js';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './chunk.js';
import { indexedContent } from '../store/lance-rows.js';
import type { LoadedDocument } from './sources/source.js';

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
  const { loaded } = doc;
  return chunkDocument(loaded.structured, options).map((draft) => ({
    id: `${doc.id}#${draft.ordinal}`,
    docId: doc.id,
    ordinal: draft.ordinal,
    source: doc.source,
    title: loaded.title,
    headingPath: draft.headingPath,
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
  ) {}

  /** How many chunks to gather before one round of embedding calls. */
  get batchChunks(): number {
    return this.embedder ? this.embedder.maxBatchSize * 4 : 256;
  }

  chunk(doc: IndexableDocument): StoredChunk[] {
    return chunksOf(doc, this.chunkOptions);
  }

  /** Embeds and writes a group of already-chunked documents; returns the chunk count written. */
  async write(
    group: { doc: IndexableDocument; chunks: StoredChunk[] }[],
    signal?: AbortSignal,
  ): Promise<number> {
    const all = group.flatMap((g) => g.chunks);
    if (this.embedder && all.length) {
      const vectors = await embedAll(this.embedder, all.map(indexedContent), { signal });
      all.forEach((chunk, i) => (chunk.vector = vectors[i]));
    }
    signal?.throwIfAborted();
    const indexedAt = new Date().toISOString();
    await this.store.replaceDocuments(
      group.map(({ doc, chunks }) => {
        const record: DocumentRecord = {
          id: doc.id,
          source: doc.source,
          title: doc.loaded.title,
          url: doc.loaded.url,
          hash: doc.hash,
          chunks: chunks.length,
          spaceKey: doc.loaded.spaceKey,
          pageId: doc.loaded.pageId,
          version: doc.loaded.version,
          indexedAt,
        };
        return { record, chunks };
      }),
    );
    return all.length;
  }
}
