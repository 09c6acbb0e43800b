import type { RetrievedChunk } from './vector-store.js';

/**
 * Chunks read from LanceDB, kept by row id so a search can hand back hits without reading rows again.
 * Reading rows is the dearest step of a search (a take of 40 rows: 3.7 ms, 1.2 ms even for one row),
 * and the same chunks answer question after question.
 *
 * Keying by row id is safe because a LanceDB row id names one immutable row version for the life of a
 * table: an update writes the row anew under a new id, a delete retires the id, compaction moves rows to
 * fragments with new ids, and fragment ids are never reused. A cached id is therefore either current or
 * never returned by a search again; stale entries only take room until they are evicted or forgotten.
 */
export class ChunkCache {
  /** Insertion order is recency order: a hit moves its entry to the end, the oldest go first. */
  private readonly rows = new Map<bigint, RetrievedChunk>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.rows.size;
  }

  get(rowId: bigint): RetrievedChunk | undefined {
    const chunk = this.rows.get(rowId);
    if (chunk) {
      this.rows.delete(rowId);
      this.rows.set(rowId, chunk);
    }
    return chunk;
  }

  set(rowId: bigint, chunk: RetrievedChunk): void {
    this.rows.delete(rowId);
    this.rows.set(rowId, freeze(chunk));
    if (this.rows.size > this.capacity) this.rows.delete(this.rows.keys().next().value!);
  }

  /** Drops the chunks of these documents: their rows were just rewritten or deleted, so the ids are dead. */
  forgetDocuments(docIds: ReadonlySet<string>): void {
    for (const [rowId, chunk] of this.rows) if (docIds.has(chunk.docId)) this.rows.delete(rowId);
  }

  clear(): void {
    this.rows.clear();
  }
}

/** Frozen: one object goes to every request that finds the chunk, and none may change it for the others. */
function freeze(chunk: RetrievedChunk): RetrievedChunk {
  Object.freeze(chunk.headingPath);
  return Object.freeze(chunk);
}
