import type { JobProgress } from '@kb/contracts';
import type { Logger } from 'pino';
import type { VectorStore } from '../store/vector-store.js';
import { addProgress } from './progress.js';
import type { Indexer, IndexableDocument, WriteOutcome } from './indexer.js';
import type { DocumentSourceAdapter } from './sources/source.js';

export interface SyncOptions {
  source: DocumentSourceAdapter;
  store: VectorStore;
  indexer: Indexer;
  /** Re-index every document even if unchanged. */
  full?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
  log?: Logger;
}

/**
 * Brings the index in line with a source: new and changed documents are (re)indexed, unchanged ones are
 * skipped without any embedding call, and documents gone from the complete listing are removed.
 * Idempotent: running it twice in a row changes nothing the second time.
 */
export async function syncSource(options: SyncOptions): Promise<JobProgress> {
  const { source, store, indexer, signal, log } = options;
  const progress: JobProgress = {
    discovered: 0,
    processed: 0,
    indexed: 0,
    unchanged: 0,
    deleted: 0,
    failed: 0,
    chunks: 0,
  };
  const report = () => options.onProgress?.({ ...progress });

  const items = await source.list(signal);
  progress.discovered = items.length;
  report();
  const known = new Map((await store.listDocuments(source.name)).map((d) => [d.id, d]));

  const writer = indexer.writer(signal);
  const account = (outcome: WriteOutcome) => {
    progress.indexed += outcome.written.length;
    progress.failed += outcome.failed.length;
    progress.processed += outcome.written.length + outcome.failed.length;
    progress.chunks += outcome.chunks;
    if (outcome.error) {
      log?.warn(
        { err: outcome.error.message, documents: outcome.failed.map((d) => d.id) },
        'indexing failed',
      );
    }
    report();
  };

  for (const item of items) {
    signal?.throwIfAborted();
    if (!options.full && known.get(item.id)?.hash === item.hash) {
      progress.unchanged++;
      progress.processed++;
      continue;
    }
    try {
      const doc: IndexableDocument = {
        id: item.id,
        source: source.name,
        hash: item.hash,
        loaded: await item.load(signal),
      };
      writer.add(doc, indexer.chunk(doc));
    } catch (err) {
      if (signal?.aborted) throw err;
      progress.failed++;
      progress.processed++;
      log?.warn({ document: item.id, err: (err as Error).message }, 'document could not be read');
      continue;
    }
    if (writer.pendingChunks >= indexer.batchChunks) account(await writer.flush(false));
  }
  account(await writer.flush(true));

  const listed = new Set(items.map((i) => i.id));
  const gone = [...known.keys()].filter((id) => !listed.has(id));
  signal?.throwIfAborted();
  await store.deleteDocuments(gone);
  progress.deleted += gone.length;
  report();
  await store.optimize();
  return progress;
}

export interface SyncAllOptions extends Omit<SyncOptions, 'source' | 'onProgress'> {
  onProgress?: (progress: JobProgress) => void;
  /** Called after each source with its own figures (metrics use it). */
  onSourceDone?: (source: DocumentSourceAdapter, progress: JobProgress) => void;
}

/** Syncs several sources one after the other, reporting progress summed over all of them. */
export async function syncSources(
  sources: readonly DocumentSourceAdapter[],
  options: SyncAllOptions,
): Promise<JobProgress> {
  let total = addProgress(undefined, undefined);
  for (const source of sources) {
    const before = total;
    const progress = await syncSource({
      ...options,
      source,
      onProgress: (p) => options.onProgress?.(addProgress(before, p)),
    });
    total = addProgress(before, progress);
    options.onSourceDone?.(source, progress);
  }
  return total;
}
