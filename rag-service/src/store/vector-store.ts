import type { DocumentSource, SourceCount } from '@kb/contracts';

/** One retrievable passage as the store keeps it. `id` is `${docId}#${ordinal}`, stable across re-syncs. */
export interface StoredChunk {
  id: string;
  docId: string;
  ordinal: number;
  source: DocumentSource;
  title: string;
  headingPath: string[];
  url: string;
  text: string;
  spaceKey?: string;
  pageId?: string;
  vector?: number[];
}

/** What the index knows of a whole document: enough to decide, on the next sync, whether it changed. */
export interface DocumentRecord {
  id: string;
  source: DocumentSource;
  title: string;
  url: string;
  hash: string;
  chunks: number;
  spaceKey?: string;
  pageId?: string;
  version?: number;
  indexedAt: string;
}

export interface DocumentWrite {
  record: DocumentRecord;
  chunks: StoredChunk[];
}

export interface SearchFilter {
  sources?: DocumentSource[];
  spaceKeys?: string[];
  docIds?: string[];
  excludeDocIds?: string[];
  /**
   * Confluence content only from these spaces (none at all when empty); other sources are not affected.
   * How a caller who may not see all of Confluence is kept from it inside the store query.
   */
  confluenceSpaces?: string[];
}

export interface SearchQuery {
  /** The question as text, for lexical retrieval. */
  text: string;
  /**
   * The question's embedding, for dense retrieval; absent when no embedder is configured. It may still be
   * on its way (a promise that resolves, to undefined if there will be none, and never rejects): a store
   * that searches the text on its own starts that search without waiting for it.
   */
  vector?: number[] | Promise<number[] | undefined>;
  limit: number;
  filter?: SearchFilter;
}

export type RetrievedChunk = Omit<StoredChunk, 'vector'>;

export interface SearchHit {
  chunk: RetrievedChunk;
  /** Fused rank score: higher is better; comparable only within one result list. */
  score: number;
  /** Cosine similarity to the query vector, when dense retrieval found this chunk. */
  similarity?: number;
}

export interface StoreStats {
  documents: number;
  chunks: number;
  bySource: SourceCount[];
}

/** Which embedder built the index: vectors from two models must never be mixed in one index. */
export interface IndexIdentity {
  embeddings: string;
  dimensions: number;
}

/** What a repair of orphan chunks removed. */
export interface OrphanRepair {
  /** Documents that had chunks but no record. */
  documents: number;
  chunks: number;
}

export class IndexMismatchError extends Error {
  override readonly name = 'IndexMismatchError';
}

/**
 * The port every store adapter implements (embedded LanceDB, Qdrant). Adapters keep writes idempotent:
 * replaying a `replaceDocument` after a crash leaves exactly the same index.
 */
export interface VectorStore {
  readonly kind: 'embedded' | 'qdrant';
  /** Where the index lives, for the status page (a folder or a URL, never a credential). */
  readonly location: string;
  /**
   * Afterwards exactly `chunks` stand for each document, and its record says so. Batched: a sync writes
   * many documents per call, so adapters can use one round trip per batch, not per document.
   */
  replaceDocuments(batch: readonly DocumentWrite[]): Promise<void>;
  /** Removes the documents with all their chunks. */
  deleteDocuments(ids: readonly string[]): Promise<void>;
  /**
   * Deletes chunks whose document has no record. A write cut short between its chunks and its record
   * leaves such chunks; no sync would ever remove them (a sync deletes only documents it has records of),
   * yet searches would find them. Adapters run it when they open for writing; safe to run any time.
   */
  removeOrphanChunks(): Promise<OrphanRepair>;
  listDocuments(source?: DocumentSource): Promise<DocumentRecord[]>;
  /** One document's record; undefined when the index has none. */
  documentRecord(id: string): Promise<DocumentRecord | undefined>;
  /** A document's chunks with ordinals in [from, to), in order, without vectors. */
  documentChunks(id: string, from: number, to: number): Promise<RetrievedChunk[]>;
  search(query: SearchQuery): Promise<SearchHit[]>;
  stats(): Promise<StoreStats>;
  /** Every document with its chunks (and vectors), in batches: for moving an index between stores. */
  exportDocuments(batchSize?: number): AsyncIterable<DocumentWrite[]>;
  /** Throws when the store cannot serve queries. */
  ping(): Promise<void>;
  /** Folds recent writes into the indexes; called after a sync. */
  optimize(): Promise<void>;
  close(): Promise<void>;
}
