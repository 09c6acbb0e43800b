import { randomUUID } from 'node:crypto';
import type { DocumentSource } from '@kb/contracts';
import { QdrantClient, type Schemas } from '@qdrant/js-client-rest';
import { withRetry, type RetryPolicy } from '../net/retry.js';
import { documentSparseVector, querySparseVector } from '../text/sparse.js';
import { lexicalContent } from './lance-rows.js';
import { RRF_K } from '../retrieval/fusion.js';
import { pointId } from './point-id.js';
import { isLoopbackHost } from '../config.js';
import { repairOrphansOnOpen, type StoreLog } from './orphans.js';
import { qdrantFilter, staleChunksFilter } from './qdrant-filter.js';
import { summarize } from './stats.js';
import {
  IndexMismatchError,
  type DocumentRecord,
  type DocumentWrite,
  type IndexIdentity,
  type OrphanRepair,
  type RetrievedChunk,
  type SearchHit,
  type SearchQuery,
  type StoreStats,
  type StoredChunk,
  type VectorStore,
} from './vector-store.js';
import { cosine } from './cosine.js';

const DENSE = 'dense';
const LEXICAL = 'lexical';
const SCHEMA_VERSION = 1;
const UPSERT_BATCH = 256;
const SCROLL_PAGE = 512;
/** Points per page when only their document id is read (the orphan scan). */
const ID_SCAN_PAGE = 2048;
/** A record's hash while its chunks are being written: matches no content, so a sync redoes it. */
const PENDING_HASH = '';
/** Fields filtered on: indexed, so filtering stays fast on large collections. */
const KEYWORD_FIELDS = ['source', 'spaceKey', 'pageId', 'docId'];
const RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 3000 };

export interface QdrantStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  identity: IndexIdentity;
  reset?: boolean;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /** Told what the repair on opening removed. */
  log?: StoreLog;
}

/**
 * A point's payload: the stored chunk, its id kept as `chunkId` (Qdrant point ids are UUIDs), no vector,
 * and which `replaceDocuments` call wrote it (`writeId`), so a repair never deletes a newer write's points.
 */
type ChunkPayload = Omit<StoredChunk, 'id' | 'vector'> & { chunkId: string; writeId: string };

function chunkOf(payload: Record<string, unknown> | null | undefined): RetrievedChunk {
  const p = (payload ?? {}) as Partial<ChunkPayload>;
  return {
    id: String(p.chunkId),
    docId: String(p.docId),
    ordinal: Number(p.ordinal),
    source: p.source ?? 'files',
    title: p.title ?? '',
    headingPath: Array.isArray(p.headingPath) ? p.headingPath.map(String) : [],
    url: p.url ?? '',
    text: p.text ?? '',
    spaceKey: typeof p.spaceKey === 'string' ? p.spaceKey : undefined,
    pageId: typeof p.pageId === 'string' ? p.pageId : undefined,
  };
}

/** Scroll pages continue from a point id; anything else ends the scroll. */
function nextOffset(value: unknown): string | number | undefined {
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}

/**
 * The production store: Qdrant, with a named dense vector (cosine) and a named sparse vector whose BM25
 * weights this service computes (Qdrant applies the IDF), fused by the Query API with RRF. Document
 * records live in a payload-only companion collection, so any number of service instances share state.
 */
export class QdrantStore implements VectorStore {
  readonly kind = 'qdrant' as const;

  private constructor(
    readonly location: string,
    private readonly client: QdrantClient,
    private readonly collection: string,
    private readonly documents: string,
    private readonly dimensions: number,
  ) {}

  static async open(options: QdrantStoreOptions): Promise<QdrantStore> {
    const url = new URL(options.url);
    // The key goes as the header the client would set: given as `apiKey`, the client console.warns on
    // every plain-http connection, a test server's and a local Qdrant's too. The warning that matters (a
    // key sent in the clear to another machine) is the service's own, once, in its log.
    if (options.apiKey && url.protocol === 'http:' && !isLoopbackHost(url.hostname))
      options.log?.warn(
        `QDRANT_API_KEY is sent without TLS to ${url.host}: use an https:// QDRANT_URL outside a private network`,
      );
    const client = new QdrantClient({
      url: options.url,
      ...(options.apiKey ? { headers: { 'api-key': options.apiKey } } : {}),
      timeout: options.timeoutMs ?? 30_000,
      checkCompatibility: false,
    });
    const store = new QdrantStore(
      `${url.origin}/collections/${options.collection}`,
      client,
      options.collection,
      `${options.collection}_documents`,
      options.identity.dimensions,
    );
    await store.bootstrap(options.identity, options.reset ?? false);
    if (!options.reset) await repairOrphansOnOpen(store, options.log);
    return store;
  }

  private call<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return withRetry(operation, { policy: RETRY, what: `Qdrant (${what})` });
  }

  private async bootstrap(identity: IndexIdentity, reset: boolean): Promise<void> {
    const exists = (await this.call('collection check', () => this.client.collectionExists(this.collection)))
      .exists;
    if (exists && reset) {
      await this.call('drop collection', () => this.client.deleteCollection(this.collection));
      await this.call('drop collection', () => this.client.deleteCollection(this.documents)).catch(
        () => undefined,
      );
    } else if (exists) {
      const info = await this.call('collection info', () => this.client.getCollection(this.collection));
      const meta = (info.config.metadata ?? {}) as Partial<IndexIdentity>;
      if (meta.embeddings !== identity.embeddings || meta.dimensions !== identity.dimensions) {
        throw new IndexMismatchError(
          `The Qdrant collection "${this.collection}" was built with embeddings "${String(meta.embeddings)}" ` +
            `(${String(meta.dimensions)} dimensions), but the service is configured for "${identity.embeddings}" ` +
            `(${identity.dimensions} dimensions). Vectors from different models cannot be mixed: run a full reindex ` +
            '(`pnpm --filter @kb/rag-service ingest --full`), use another QDRANT_COLLECTION, or restore the previous settings.',
        );
      }
      return;
    }
    await this.call('create collection', () =>
      this.client.createCollection(this.collection, {
        vectors:
          identity.dimensions > 0 ? { [DENSE]: { size: identity.dimensions, distance: 'Cosine' } } : {},
        sparse_vectors: { [LEXICAL]: { modifier: 'idf' } },
        metadata: {
          embeddings: identity.embeddings,
          dimensions: identity.dimensions,
          schemaVersion: SCHEMA_VERSION,
        },
      }),
    );
    for (const field of KEYWORD_FIELDS) {
      await this.call('payload index', () =>
        this.client.createPayloadIndex(this.collection, {
          field_name: field,
          field_schema: 'keyword',
          wait: true,
        }),
      );
    }
    await this.call('payload index', () =>
      this.client.createPayloadIndex(this.collection, {
        field_name: 'ordinal',
        field_schema: 'integer',
        wait: true,
      }),
    );
    if (!(await this.call('collection check', () => this.client.collectionExists(this.documents))).exists) {
      await this.call('create collection', () =>
        this.client.createCollection(this.documents, { vectors: {} }),
      );
      await this.call('payload index', () =>
        this.client.createPayloadIndex(this.documents, {
          field_name: 'source',
          field_schema: 'keyword',
          wait: true,
        }),
      );
    }
  }

  private point(chunk: StoredChunk, writeId: string): Schemas['PointStruct'] {
    const vector: Record<string, unknown> = { [LEXICAL]: documentSparseVector(lexicalContent(chunk)) };
    if (this.dimensions > 0) {
      if (chunk.vector?.length !== this.dimensions)
        throw new Error(`chunk ${chunk.id} has no ${this.dimensions}-dimensional vector`);
      vector[DENSE] = chunk.vector;
    }
    const payload: ChunkPayload = {
      chunkId: chunk.id,
      writeId,
      docId: chunk.docId,
      ordinal: chunk.ordinal,
      source: chunk.source,
      title: chunk.title,
      headingPath: chunk.headingPath,
      url: chunk.url,
      text: chunk.text,
      ...(chunk.spaceKey ? { spaceKey: chunk.spaceKey } : {}),
      ...(chunk.pageId ? { pageId: chunk.pageId } : {}),
    };
    return {
      id: pointId(chunk.id),
      vector: vector as Schemas['PointStruct']['vector'],
      payload: { ...payload },
    };
  }

  async replaceDocuments(batch: readonly DocumentWrite[]): Promise<void> {
    if (!batch.length) return;
    // Points are built first: a bad chunk fails the batch before anything is written.
    const writeId = randomUUID();
    const points = batch.flatMap((w) => w.chunks.map((c) => this.point(c, writeId)));
    const records = (hash?: string) =>
      batch.map((w) => ({
        id: pointId(`document:${w.record.id}`),
        vector: {},
        payload: { ...w.record, chunks: w.chunks.length, ...(hash === undefined ? {} : { hash }) },
      }));
    // A pending record goes first: other instances share this collection, and a chunk must never be
    // without a record, or their orphan repair would take it for the leftover of a crash. Cut short
    // after this, the record's hash matches nothing, so the next sync redoes the document (or removes it).
    await this.call('upsert documents', () =>
      this.client.upsert(this.documents, { wait: true, points: records(PENDING_HASH) }),
    );
    for (let i = 0; i < points.length; i += UPSERT_BATCH) {
      const slice = points.slice(i, i + UPSERT_BATCH);
      await this.call('upsert', () => this.client.upsert(this.collection, { wait: true, points: slice }));
    }
    // Upsert first, prune after: a document is never without its chunks, and a replay is harmless.
    await this.call('delete stale chunks', () =>
      this.client.delete(this.collection, {
        wait: true,
        filter: staleChunksFilter(batch.map((w) => ({ id: w.record.id, chunks: w.chunks.length }))),
      }),
    );
    // The real hash goes last: until it is written, the next sync redoes the document.
    await this.call('upsert documents', () =>
      this.client.upsert(this.documents, { wait: true, points: records() }),
    );
  }

  /**
   * Other instances may be writing while this runs, so a document counts as orphaned only if it still has
   * no record after its chunks were seen (writers record first), and only the points seen are deleted:
   * those of the writes seen (`writeId`), or written before write ids existed.
   */
  async removeOrphanChunks(): Promise<OrphanRepair> {
    const recorded = new Set((await this.listDocuments()).map((d) => d.id));
    const orphans = new Map<string, number>();
    const writes = new Set<string>();
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const page = await this.call('scroll chunk ids', () =>
        this.client.scroll(this.collection, {
          limit: ID_SCAN_PAGE,
          offset,
          with_payload: { include: ['docId', 'writeId'] },
          with_vector: false,
        }),
      );
      for (const p of page.points) {
        const docId = String(p.payload?.docId);
        if (recorded.has(docId)) continue;
        orphans.set(docId, (orphans.get(docId) ?? 0) + 1);
        if (typeof p.payload?.writeId === 'string') writes.add(p.payload.writeId);
      }
      offset = nextOffset(page.next_page_offset);
    } while (offset !== undefined);
    if (!orphans.size) return { documents: 0, chunks: 0 };

    const byPoint = new Map([...orphans.keys()].map((id) => [pointId(`document:${id}`), id]));
    const recordedSince = await this.call('retrieve documents', () =>
      this.client.retrieve(this.documents, {
        ids: [...byPoint.keys()],
        with_payload: false,
        with_vector: false,
      }),
    );
    for (const p of recordedSince) orphans.delete(byPoint.get(String(p.id)) ?? '');
    const ids = [...orphans.keys()];
    const seen: Schemas['Condition'][] = [{ is_empty: { key: 'writeId' } }];
    if (writes.size) seen.push({ key: 'writeId', match: { any: [...writes] } });
    for (let i = 0; i < ids.length; i += UPSERT_BATCH) {
      const slice = ids.slice(i, i + UPSERT_BATCH);
      await this.call('delete orphan chunks', () =>
        this.client.delete(this.collection, {
          wait: true,
          filter: { must: [{ key: 'docId', match: { any: slice } }], should: seen },
        }),
      );
    }
    let chunks = 0;
    for (const n of orphans.values()) chunks += n;
    return { documents: ids.length, chunks };
  }

  async deleteDocuments(ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += UPSERT_BATCH) {
      const slice = ids.slice(i, i + UPSERT_BATCH);
      await this.call('delete chunks', () =>
        this.client.delete(this.collection, {
          wait: true,
          filter: { must: [{ key: 'docId', match: { any: slice } }] },
        }),
      );
      await this.call('delete documents', () =>
        this.client.delete(this.documents, {
          wait: true,
          points: slice.map((id) => pointId(`document:${id}`)),
        }),
      );
    }
  }

  async listDocuments(source?: DocumentSource): Promise<DocumentRecord[]> {
    const filter = source ? { must: [{ key: 'source', match: { value: source } }] } : undefined;
    const records: DocumentRecord[] = [];
    let offset: Schemas['ExtendedPointId'] | undefined;
    do {
      const page = await this.call('scroll documents', () =>
        this.client.scroll(this.documents, {
          filter,
          limit: SCROLL_PAGE,
          offset,
          with_payload: true,
          with_vector: false,
        }),
      );
      for (const p of page.points) records.push(p.payload as unknown as DocumentRecord);
      offset = nextOffset(page.next_page_offset);
    } while (offset !== undefined);
    return records;
  }

  async documentRecord(id: string): Promise<DocumentRecord | undefined> {
    const [point] = await this.call('retrieve document', () =>
      this.client.retrieve(this.documents, {
        ids: [pointId(`document:${id}`)],
        with_payload: true,
        with_vector: false,
      }),
    );
    return point && (point.payload as unknown as DocumentRecord);
  }

  async documentChunks(id: string, from: number, to: number): Promise<RetrievedChunk[]> {
    // Chunk points are named by their ids (`<doc>#<ordinal>`): the range names them, no filter needed.
    const chunks: RetrievedChunk[] = [];
    for (let start = Math.max(0, Math.trunc(from)); start < to; start += SCROLL_PAGE) {
      const ids = Array.from({ length: Math.min(SCROLL_PAGE, to - start) }, (_, i) =>
        pointId(`${id}#${start + i}`),
      );
      const points = await this.call('retrieve chunks', () =>
        this.client.retrieve(this.collection, { ids, with_payload: true, with_vector: false }),
      );
      for (const p of points) chunks.push(chunkOf(p.payload));
    }
    return chunks.sort((a, b) => a.ordinal - b.ordinal);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    if (query.filter?.docIds && !query.filter.docIds.length) return [];
    const filter = qdrantFilter(query.filter);
    const sparse = querySparseVector(query.text);
    // One request fuses both searches server-side, so it waits for the embedding.
    const dense = this.dimensions > 0 ? await query.vector : undefined;
    if (!sparse.indices.length && !dense) return [];
    const base = { filter, limit: query.limit, with_payload: true };
    const request: Parameters<QdrantClient['query']>[1] =
      dense && sparse.indices.length
        ? {
            ...base,
            prefetch: [
              { query: dense, using: DENSE, limit: query.limit, filter },
              { query: sparse, using: LEXICAL, limit: query.limit, filter },
            ],
            // The embedded store's constant, not Qdrant's default (2): both backends weigh rank alike, so the
            // retriever's re-ranking means the same whichever store holds the index.
            query: { rrf: { k: RRF_K } },
            with_vector: [DENSE],
          }
        : dense
          ? { ...base, query: dense, using: DENSE }
          : { ...base, query: sparse, using: LEXICAL };
    const result = await this.call('query', () => this.client.query(this.collection, request));
    return result.points.map((p) => {
      const stored = (p.vector as Record<string, unknown> | undefined)?.[DENSE];
      const similarity = dense
        ? Array.isArray(stored)
          ? cosine(dense, stored as number[])
          : request.using === DENSE
            ? p.score
            : undefined
        : undefined;
      return {
        chunk: chunkOf(p.payload),
        score: p.score,
        ...(similarity === undefined ? {} : { similarity }),
      };
    });
  }

  async stats(): Promise<StoreStats> {
    const [count, docs] = await Promise.all([
      this.call('count', () => this.client.count(this.collection, { exact: true })),
      this.listDocuments(),
    ]);
    return summarize(docs, count.count);
  }

  async *exportDocuments(batchSize = 100): AsyncIterable<DocumentWrite[]> {
    const docs = await this.listDocuments();
    for (let i = 0; i < docs.length; i += batchSize) {
      const batch = docs.slice(i, i + batchSize);
      const byDoc = new Map<string, StoredChunk[]>();
      let offset: Schemas['ExtendedPointId'] | undefined;
      do {
        const page = await this.call('scroll chunks', () =>
          this.client.scroll(this.collection, {
            filter: { must: [{ key: 'docId', match: { any: batch.map((d) => d.id) } }] },
            limit: SCROLL_PAGE,
            offset,
            with_payload: true,
            with_vector: this.dimensions > 0 ? [DENSE] : false,
          }),
        );
        for (const p of page.points) {
          const chunk: StoredChunk = chunkOf(p.payload);
          const v = (p.vector as Record<string, unknown> | undefined)?.[DENSE];
          if (Array.isArray(v)) chunk.vector = v as number[];
          byDoc.set(chunk.docId, [...(byDoc.get(chunk.docId) ?? []), chunk]);
        }
        offset = nextOffset(page.next_page_offset);
      } while (offset !== undefined);
      yield batch.map((record) => ({
        record,
        chunks: (byDoc.get(record.id) ?? []).sort((a, b) => a.ordinal - b.ordinal),
      }));
    }
  }

  async ping(): Promise<void> {
    await this.client.collectionExists(this.collection);
  }

  /** Qdrant indexes continuously; nothing to fold in. */
  async optimize(): Promise<void> {}

  /** Deletes the collection and its document records: for throwaway collections (an evaluation run). */
  async drop(): Promise<void> {
    await this.call('drop collection', () => this.client.deleteCollection(this.collection));
    await this.call('drop collection', () => this.client.deleteCollection(this.documents)).catch(
      () => undefined,
    );
  }

  async close(): Promise<void> {}
}
