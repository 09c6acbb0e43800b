import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import type { Table as ArrowTable } from 'apache-arrow';
import type { DocumentSource } from '@kb/contracts';
import { reciprocalRankFusion } from '../retrieval/fusion.js';
import { ChunkCache } from './chunk-cache.js';
import { repairOrphansOnOpen, type StoreLog } from './orphans.js';
import {
  CHUNK_COLUMNS,
  chunkSchema,
  documentSchema,
  fromChunkRow,
  fromDocumentRow,
  toChunkRow,
  toDocumentRow,
} from './lance-rows.js';
import { quantisesVectors, SIZING } from './memory-fit.js';
import { SerialQueue } from './serial.js';
import { WriteLock } from './write-lock.js';
import { summarize } from './stats.js';
import { filterPredicate, literal } from './sql.js';
import {
  IndexMismatchError,
  type DocumentRecord,
  type DocumentWrite,
  type StoredChunk,
  type IndexIdentity,
  type OrphanRepair,
  type RetrievedChunk,
  type SearchHit,
  type SearchQuery,
  type StoreStats,
  type VectorStore,
} from './vector-store.js';

const CHUNKS = 'chunks';
const DOCUMENTS = 'documents';
const META_FILE = 'index.json';
const LOCK_FILE = 'write.lock';
const SCHEMA_VERSION = 1;
/** Documents per delete predicate: keeps SQL predicates to a size the planner handles quickly. */
const PREDICATE_BATCH = 200;
/** Runs `action` on the ids as SQL lists (`'a', 'b'`) of at most PREDICATE_BATCH each, one after another. */
async function inIdLists(ids: readonly string[], action: (list: string) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < ids.length; i += PREDICATE_BATCH) {
    await action(
      ids
        .slice(i, i + PREDICATE_BATCH)
        .map(literal)
        .join(', '),
    );
  }
}

/**
 * Chunk rows per upsert. LanceDB turns rows into Arrow on the event loop (about 60 µs a row with its
 * vector): a 14,000-chunk document in one call held every request for over half a second.
 */
const ROWS_PER_UPSERT = 1000;
/** From this many chunks on, dense search goes through an approximate (IVF) index. */
const VECTOR_INDEX_MIN_ROWS = 10_000;
/** The vector index this version builds while its vectors are small: IVF partitions of full-precision vectors. */
const VECTOR_INDEX_TYPE = 'IvfFlat';
/**
 * Past SIZING.flatIndexBytesMax of full-precision vectors (`quantisesVectors`) the index holds
 * product-quantised codes instead (IVF-PQ, dims/16 bytes a vector) and re-scores the best with the full
 * vectors read from disk: loaded into memory, full vectors alone would be 3 GB at a million
 * 768-dimension chunks (the scale curves).
 */
const QUANTISED_INDEX_TYPE = 'IvfPq';
/**
 * Candidates re-scored with full vectors per result wanted, under the quantised index: recall ≥ 0.95 of the
 * exact top 10 in the store's test (0.34 with no re-scoring).
 */
const QUANTISED_REFINE_FACTOR = 4;
/**
 * IVF partitions searched per query. LanceDB trains about one partition per 5,500 rows (9 at 50,000 chunks,
 * 122 at a million), so up to some 110,000 chunks this searches every partition: the exact top results, at
 * an exact scan's cost (8.3 ms of CPU at 50,000 × 768 dimensions). Finer partitions were tried on the
 * bench's hashed vectors at 50,000: 224 of them, 20 probes, 4.1 ms but recall@10 0.91 (40 probes: 5.5 ms,
 * 0.97), so recall was kept. At a million chunks the scale suite measures the recall this gives.
 */
const VECTOR_PROBES = 20;
/** Chunks kept in memory for search results: about 1.5 KB each, so some 75 MB when full. */
const CHUNK_CACHE_ROWS = 50_000;

/**
 * Scalar indexes on the columns searches filter by and writes find documents by. Without them a filter is a
 * scan of its column over every chunk before the search starts, and every Forge user's question carries one
 * (the spaces they may see): at a million chunks a full-text search took 58.6 ms with a space filter and
 * 2.9 ms with these bitmaps, and a document's chunks by docId 48 ms against 4.8 ms with the B-tree
 * (the scale suite's lexical index). Bitmaps suit the few sources and the spaces; docId has a value per
 * document. Rows written after an index was built are scanned until the next optimize folds them in.
 */
const SCALAR_INDEXES: readonly { column: string; index: () => lancedb.Index }[] = [
  { column: 'source', index: () => lancedb.Index.bitmap() },
  { column: 'spaceKey', index: () => lancedb.Index.bitmap() },
  { column: 'docId', index: () => lancedb.Index.btree() },
];

/** LanceDB's own English analyzer for the full-text index: stemming and stop words, as BM25 expects. */
const FTS_OPTIONS = {
  stem: true,
  removeStopWords: true,
  language: 'English',
  lowercase: true,
  asciiFolding: true,
};

interface IndexMeta extends IndexIdentity {
  schemaVersion: number;
  createdAt: string;
}

export interface EmbeddedStoreOptions {
  /** The folder that holds the index (`DATA_DIR/index`). */
  dir: string;
  identity: IndexIdentity;
  /** Drop whatever index is there and start empty (a full reindex with a new embedder). */
  reset?: boolean;
  /** Open for reading only (a copy to Qdrant): takes no writer lock, repairs nothing. */
  readOnly?: boolean;
  /** Told what the repair on opening removed. */
  log?: StoreLog;
  /** Bytes of full-precision vectors above which the vector index is quantised (tests make it small). */
  flatIndexBytesMax?: number;
}

/**
 * The default store: LanceDB on local disk. Columnar files with a BM25 full-text index and cosine vector
 * search, no server to run. Writes go through one queue; readers never wait for them.
 */
export class EmbeddedStore implements VectorStore {
  readonly kind = 'embedded' as const;
  private readonly writes = new SerialQueue();
  private ftsReady = false;
  /** The columns that have a scalar index (SCALAR_INDEXES). */
  private readonly scalarIndexed = new Set<string>();
  /** LanceDB's type of the vector index (`IvfFlat`; `IvfHnswSq` from earlier versions), if there is one. */
  private vectorIndexType: string | undefined;
  private readonly cache = new ChunkCache(CHUNK_CACHE_ROWS);
  /** Loading the search indexes into memory: started by the first search, again after each optimize. */
  private warming: Promise<void> | undefined;

  private constructor(
    readonly location: string,
    private readonly db: lancedb.Connection,
    private readonly chunks: lancedb.Table,
    private readonly documents: lancedb.Table,
    private readonly dimensions: number,
    private readonly lock: WriteLock | undefined,
    private readonly flatIndexBytesMax: number,
  ) {}

  /** The identity recorded in an index folder, if there is an index there. */
  static async identityAt(dir: string): Promise<IndexIdentity | undefined> {
    const meta = await readMeta(dir);
    return meta ? { embeddings: meta.embeddings, dimensions: meta.dimensions } : undefined;
  }

  static async open(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const { dir } = options;
    await mkdir(dir, { recursive: true });
    const lock = options.readOnly
      ? undefined
      : await WriteLock.acquire(path.join(dir, LOCK_FILE), process.argv.slice(1).join(' '));
    let store: EmbeddedStore;
    try {
      store = await EmbeddedStore.openLocked(options, lock);
    } catch (err) {
      await lock?.release();
      throw err;
    }
    // Only the one writer may repair, and before anything else can write: no write of ours is half done.
    if (lock && !options.reset) {
      await repairOrphansOnOpen(store, options.log).catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
    }
    return store;
  }

  private static async openLocked(
    options: EmbeddedStoreOptions,
    lock: WriteLock | undefined,
  ): Promise<EmbeddedStore> {
    const { dir, identity } = options;
    const db = await lancedb.connect(dir);
    const existing = await readMeta(dir);
    if (options.reset) {
      for (const name of await tableNames(db)) await db.dropTable(name);
    } else if (
      existing &&
      (existing.embeddings !== identity.embeddings || existing.dimensions !== identity.dimensions)
    ) {
      throw new IndexMismatchError(
        `The index in ${dir} was built with embeddings "${existing.embeddings}" (${existing.dimensions} dimensions), ` +
          `but the service is configured for "${identity.embeddings}" (${identity.dimensions} dimensions). ` +
          'Vectors from different models cannot be mixed: run a full reindex ' +
          '(`pnpm --filter @kb/rag-service ingest --full`) or restore the previous embeddings settings.',
      );
    }
    const names = await tableNames(db);
    const chunks = names.includes(CHUNKS)
      ? await db.openTable(CHUNKS)
      : await db.createEmptyTable(CHUNKS, chunkSchema(identity.dimensions));
    const documents = names.includes(DOCUMENTS)
      ? await db.openTable(DOCUMENTS)
      : await db.createEmptyTable(DOCUMENTS, documentSchema);
    if (!existing || options.reset) {
      await writeMeta(dir, {
        ...identity,
        schemaVersion: SCHEMA_VERSION,
        createdAt: new Date().toISOString(),
      });
    }
    const store = new EmbeddedStore(
      dir,
      db,
      chunks,
      documents,
      identity.dimensions,
      lock,
      options.flatIndexBytesMax ?? SIZING.flatIndexBytesMax,
    );
    const indices = await chunks.listIndices();
    store.ftsReady = indices.some((i) => i.columns.includes('content'));
    store.vectorIndexType = indices.find((i) => i.columns.includes('vector'))?.indexType;
    for (const { column } of SCALAR_INDEXES)
      if (indices.some((i) => i.columns.includes(column))) store.scalarIndexed.add(column);
    return store;
  }

  replaceDocuments(batch: readonly DocumentWrite[]): Promise<void> {
    if (!batch.length) return Promise.resolve();
    return this.writes.run(async () => {
      // Rows are built before the native merge builder exists: a bad row must not leave it half-open.
      const rows = batch.flatMap((w) => w.chunks.map((c) => toChunkRow(c, this.dimensions)));
      // Upsert first, prune after: a document is never without its chunks, and a replay is harmless.
      for (let i = 0; i < rows.length; i += ROWS_PER_UPSERT) {
        if (i) await new Promise((resolve) => setImmediate(resolve)); // let waiting requests in
        await this.chunks
          .mergeInsert('id')
          .whenMatchedUpdateAll()
          .whenNotMatchedInsertAll()
          .execute(rows.slice(i, i + ROWS_PER_UPSERT));
      }
      const stale = batch.map((w) => `(docId = ${literal(w.record.id)} AND ordinal >= ${w.chunks.length})`);
      for (let i = 0; i < stale.length; i += PREDICATE_BATCH) {
        await this.chunks.delete(stale.slice(i, i + PREDICATE_BATCH).join(' OR '));
      }
      // Records go last: until one is written, the next sync sees the old hash and redoes that document.
      await this.documents
        .mergeInsert('id')
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute(batch.map((w) => toDocumentRow({ ...w.record, chunks: w.chunks.length })));
      this.cache.forgetDocuments(new Set(batch.map((w) => w.record.id)));
      await this.ensureFtsIndex();
    });
  }

  deleteDocuments(ids: readonly string[]): Promise<void> {
    if (!ids.length) return Promise.resolve();
    return this.writes.run(async () => {
      await inIdLists(ids, async (list) => {
        await this.chunks.delete(`docId IN (${list})`);
        await this.documents.delete(`id IN (${list})`);
      });
      this.cache.forgetDocuments(new Set(ids));
    });
  }

  /** Queued like every write, so it never runs between the two steps of a `replaceDocuments`. */
  removeOrphanChunks(): Promise<OrphanRepair> {
    return this.writes.run(async () => {
      const recorded = new Set<string>();
      for (const row of (await this.documents.query().select(['id']).toArray()) as { id: unknown }[])
        recorded.add(String(row.id));
      // One column of every chunk, read as Arrow: no row objects for what is mostly a no-op.
      const docIds = (await this.chunks.query().select(['docId']).toArrow()).getChild('docId');
      const orphans = new Map<string, number>();
      for (const docId of docIds ?? []) {
        const id = String(docId);
        if (!recorded.has(id)) orphans.set(id, (orphans.get(id) ?? 0) + 1);
      }
      const ids = [...orphans.keys()];
      await inIdLists(ids, (list) => this.chunks.delete(`docId IN (${list})`));
      this.cache.forgetDocuments(new Set(ids));
      let chunks = 0;
      for (const n of orphans.values()) chunks += n;
      return { documents: ids.length, chunks };
    });
  }

  async listDocuments(source?: DocumentSource): Promise<DocumentRecord[]> {
    let query = this.documents.query();
    if (source) query = query.where(`source = ${literal(source)}`);
    const rows = await query.toArray();
    return rows.map((r) => fromDocumentRow(r as Record<string, unknown>));
  }

  async documentRecord(id: string): Promise<DocumentRecord | undefined> {
    const rows = (await this.documents
      .query()
      .where(`id = ${literal(id)}`)
      .limit(1)
      .toArray()) as Record<string, unknown>[];
    return rows[0] && fromDocumentRow(rows[0]);
  }

  async documentChunks(id: string, from: number, to: number): Promise<RetrievedChunk[]> {
    if (to <= from) return [];
    const rows = (await this.chunks
      .query()
      .where(`docId = ${literal(id)} AND ordinal >= ${Math.trunc(from)} AND ordinal < ${Math.trunc(to)}`)
      .select([...CHUNK_COLUMNS])
      .toArray()) as Record<string, unknown>[];
    return rows.map(fromChunkRow).sort((a, b) => a.ordinal - b.ordinal);
  }

  /**
   * Hybrid search in two steps: both searches return row ids and scores only (the full-text one starts
   * before the query vector has arrived), and the chunks of the fused top rows then come from the cache,
   * or from one take for those it lacks. Reading rows is what a search costs most (a take of 40 rows:
   * 3.7 ms at 50,000 chunks), so each row is read once, and only when it made the cut.
   */
  async search(query: SearchQuery): Promise<SearchHit[]> {
    // Searches wait for it: a full-text query loading the partitions a prewarm is loading races it inside
    // LanceDB, which then logs an internal error (seen in 3 of 20 restarts after an optimize). Once, for
    // about 0.25 s at 50,000 chunks; after that this is an already settled promise.
    await (this.warming ??= this.warm());
    const where = filterPredicate(query.filter);
    for (let attempt = 1; ; attempt++) {
      const [lexical, dense] = await Promise.all([
        this.lexicalRanks(query.text, query.limit, where),
        Promise.resolve(query.vector).then((vector) =>
          vector && this.dimensions > 0 ? this.denseRanks(vector, query.limit, where) : [],
        ),
      ]);
      const ranked = fuse(lexical, dense, query.limit);
      const hits = await this.hitsOf(ranked);
      // A write between search and take leaves the replaced rows out (never wrong ones): search again.
      if (hits.length === ranked.length || attempt === 2) return hits;
    }
  }

  private async lexicalRanks(text: string, limit: number, where: string | undefined): Promise<RowRank[]> {
    if (!text.trim()) return [];
    let q = this.chunks.query().fullTextSearch(text, { columns: 'content' }).select(['_score']).withRowId();
    if (where) q = q.where(where);
    const { rowIds, values } = await rankColumns(q.limit(limit), '_score');
    return rowIds.map((rowId, i) => ({ rowId, score: values[i]! }));
  }

  private async denseRanks(vector: number[], limit: number, where: string | undefined): Promise<RowRank[]> {
    let q = this.chunks
      .query()
      .nearestTo(vector)
      .distanceType('cosine')
      .nprobes(VECTOR_PROBES)
      .select(['_distance'])
      .withRowId();
    // Quantised codes rank approximately: the best of them are re-scored with their full vectors.
    if (this.vectorIndexType === QUANTISED_INDEX_TYPE) q = q.refineFactor(QUANTISED_REFINE_FACTOR);
    // An HNSW index over quantised vectors (built by earlier versions, until the next optimize replaces
    // it): look at more of the graph, and re-score the best with the full vectors.
    else if (this.vectorIndexType && this.vectorIndexType !== VECTOR_INDEX_TYPE)
      q = q.ef(Math.max(limit * 4, 100)).refineFactor(4);
    if (where) q = q.where(where);
    const { rowIds, values } = await rankColumns(q.limit(limit), '_distance');
    return rowIds.map((rowId, i) => {
      const similarity = 1 - values[i]!;
      return { rowId, score: similarity, similarity };
    });
  }

  /**
   * The chunks of ranked rows, in rank order: from the cache, and what it lacks read in one take. Rows
   * deleted or rewritten since the search are left out.
   */
  private async hitsOf(ranked: RowRank[]): Promise<SearchHit[]> {
    const found = new Map<bigint, RetrievedChunk>();
    for (const { rowId } of ranked) {
      const chunk = this.cache.get(rowId);
      if (chunk) found.set(rowId, chunk);
    }
    const missing = ranked.filter((r) => !found.has(r.rowId)).map((r) => r.rowId);
    if (missing.length) {
      const rows = await this.chunks
        .takeRowIds(missing)
        .select([...CHUNK_COLUMNS])
        .withRowId()
        .toArray();
      for (const row of rows as Record<string, unknown>[]) {
        const chunk = fromChunkRow(row);
        found.set(row._rowid as bigint, chunk);
        this.cache.set(row._rowid as bigint, chunk);
      }
    }
    return ranked.flatMap(({ rowId, score, similarity }) => {
      const chunk = found.get(rowId);
      return chunk ? [{ chunk, score, similarity }] : [];
    });
  }

  /**
   * Loads the search indexes into memory before the first search: their first queries would read them from
   * disk piece by piece (full-text search 2.2 ms instead of 1.4 at first). Only stores that are searched do
   * this (an ingest run never does). Chunks are not read ahead: reading all of them in cost 170 MB of memory
   * at 50,000 chunks, and the cache fills with the ones questions use. A failure costs only speed.
   */
  private async warm(): Promise<void> {
    try {
      for (const index of await this.chunks.listIndices()) await this.chunks.prewarmIndex(index.name);
    } catch {
      // Queries load what they need, as they would have without this.
    }
  }

  /**
   * Starts loading the search indexes now rather than at the first search: a service does it as it starts,
   * so a new replica has loaded them (seconds at a million chunks) by the time it is sent questions.
   */
  startWarming(): void {
    void (this.warming ??= this.warm());
  }

  /** What the index holds, for sizing: its chunks, and their vectors' size (0: lexical). */
  async size(): Promise<{ chunks: number; dimensions: number }> {
    return { chunks: await this.chunks.countRows(), dimensions: this.dimensions };
  }

  /** How many chunks the cache holds now. */
  get cachedChunks(): number {
    return this.cache.size;
  }

  async stats(): Promise<StoreStats> {
    const [chunks, docs] = await Promise.all([this.chunks.countRows(), this.listDocuments()]);
    return summarize(docs, chunks);
  }

  async *exportDocuments(batchSize = 100): AsyncIterable<DocumentWrite[]> {
    const docs = await this.listDocuments();
    for (let i = 0; i < docs.length; i += batchSize) {
      const batch = docs.slice(i, i + batchSize);
      const columns = this.dimensions > 0 ? [...CHUNK_COLUMNS, 'vector'] : CHUNK_COLUMNS;
      const rows = await this.chunks
        .query()
        .where(`docId IN (${batch.map((d) => literal(d.id)).join(', ')})`)
        .select(columns)
        .toArray();
      const byDoc = new Map<string, StoredChunk[]>();
      for (const row of rows as Record<string, unknown>[]) {
        const chunk: StoredChunk = fromChunkRow(row);
        if (row.vector) chunk.vector = Array.from(row.vector as Iterable<number>);
        byDoc.set(chunk.docId, [...(byDoc.get(chunk.docId) ?? []), chunk]);
      }
      yield batch.map((record) => ({
        record,
        chunks: (byDoc.get(record.id) ?? []).sort((a, b) => a.ordinal - b.ordinal),
      }));
    }
  }

  async ping(): Promise<void> {
    await this.chunks.countRows();
  }

  optimize(): Promise<void> {
    return this.writes.run(async () => {
      await this.ensureFtsIndex();
      await this.ensureScalarIndexes();
      await this.ensureVectorIndex();
      await this.chunks.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
      // Compaction moved rows to new ids (what the cache holds will not be asked for again) and the
      // indexes may have been rebuilt.
      this.cache.clear();
      this.warming = undefined;
      await this.documents.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
    });
  }

  async close(): Promise<void> {
    await this.warming; // the tables must not close under it
    await this.writes.run(async () => {
      this.chunks.close();
      this.documents.close();
      this.db.close();
      await this.lock?.release();
    });
  }

  /**
   * Past a few thousand chunks an exact vector scan costs more than the rest of a chat turn (16 ms at
   * 50,000 × 64 dimensions on two cores). An IVF index of full-precision vectors took 3.4 ms there, with the
   * exact scan's top 10 and nothing to re-score (at that size its 20 probes reach every partition: see
   * VECTOR_PROBES); past some 110,000 chunks it scans only the partitions nearest the query. (An HNSW graph
   * over quantised vectors, used before, needed its top results re-read at full precision: 4.8 ms, and
   * 6 ms of CPU against 3.8.) Small indexes stay exact; an index of another type is rebuilt. Once the full
   * vectors would pass SIZING.flatIndexBytesMax in memory, the index holds quantised codes instead (rebuilt as
   * such at the next optimize), and searches re-score with the full vectors.
   */
  private async ensureVectorIndex(): Promise<void> {
    if (this.dimensions === 0) return;
    const rows = await this.chunks.countRows();
    if (rows < VECTOR_INDEX_MIN_ROWS) return;
    const quantise = quantisesVectors(rows, this.dimensions, this.flatIndexBytesMax);
    const wanted = quantise ? QUANTISED_INDEX_TYPE : VECTOR_INDEX_TYPE;
    if (this.vectorIndexType === wanted) return;
    await this.chunks.createIndex('vector', {
      config: quantise
        ? lancedb.Index.ivfPq({ distanceType: 'cosine' })
        : lancedb.Index.ivfFlat({ distanceType: 'cosine' }),
      replace: true,
    });
    this.vectorIndexType = wanted;
  }

  /** Built at the first optimize with rows (and by the first optimize of an index from earlier versions). */
  private async ensureScalarIndexes(): Promise<void> {
    const missing = SCALAR_INDEXES.filter(({ column }) => !this.scalarIndexed.has(column));
    if (!missing.length || (await this.chunks.countRows()) === 0) return;
    for (const { column, index } of missing) {
      await this.chunks.createIndex(column, { config: index(), replace: true });
      this.scalarIndexed.add(column);
    }
  }

  /** The full-text index is built once there is text to index; later rows are searched until optimize folds them in. */
  private async ensureFtsIndex(): Promise<void> {
    if (this.ftsReady || (await this.chunks.countRows()) === 0) return;
    await this.chunks.createIndex('content', { config: lancedb.Index.fts(FTS_OPTIONS), replace: true });
    this.ftsReady = true;
  }
}

/** A search result before its row is read: LanceDB's row id, the list's score, the cosine similarity if dense. */
interface RowRank {
  rowId: bigint;
  score: number;
  similarity?: number;
}

/**
 * A search's row ids and one score column, read column by column from its Arrow result: `toArray()` would
 * build a row object behind a proxy for each hit only for two of its fields to be read back.
 */
async function rankColumns(
  query: { toArrow(): Promise<ArrowTable> },
  scoreColumn: '_score' | '_distance',
): Promise<{ rowIds: bigint[]; values: ArrayLike<number> }> {
  const table = await query.toArrow();
  if (table.numRows === 0) return { rowIds: [], values: [] };
  const ids = table.getChild('_rowid')?.toArray() as BigUint64Array | undefined;
  const values = (table.getChild(scoreColumn)?.toArray() as Float32Array | undefined) ?? new Float32Array(0);
  if (!ids || ids.length !== values.length)
    throw new Error(`a search returned no ${scoreColumn} for its rows`);
  return { rowIds: Array.from(ids), values };
}

/** Reciprocal rank fusion of the lexical and dense lists; the similarity comes from the dense one. */
function fuse(lexical: RowRank[], dense: RowRank[], limit: number): RowRank[] {
  if (!dense.length) return lexical;
  if (!lexical.length) return dense;
  const similarity = new Map(dense.map((r) => [r.rowId, r.similarity]));
  const fused = reciprocalRankFusion([lexical, dense].map((list) => list.map((r) => r.rowId)));
  return [...fused]
    .slice(0, limit)
    .map(([rowId, score]) => ({ rowId, score, similarity: similarity.get(rowId) }));
}

async function tableNames(db: lancedb.Connection): Promise<string[]> {
  const names: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await db.listTables({ pageToken, limit: 100 });
    names.push(...page.tables);
    pageToken = page.pageToken ?? undefined;
  } while (pageToken);
  return names;
}

async function readMeta(dir: string): Promise<IndexMeta | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, META_FILE), 'utf8')) as IndexMeta;
  } catch {
    return undefined;
  }
}

async function writeMeta(dir: string, meta: IndexMeta): Promise<void> {
  const file = path.join(dir, META_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(meta, null, 2));
  await rename(`${file}.tmp`, file);
}
