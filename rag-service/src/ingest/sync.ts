import { emptyProgress, JOB_FAILURES_KEPT, type DocumentFailure, type JobProgress } from '@kb/contracts';
import type { Logger } from 'pino';
import type { DocumentRecord, VectorStore } from '../store/vector-store.js';
import { addProgress } from './progress.js';
import type { Indexer, IndexableDocument, WriteOutcome } from './indexer.js';
import type { DocumentSourceAdapter, SourceItem } from './sources/source.js';
import { indexedHash } from './conversion-version.js';

export interface SyncOptions {
  source: DocumentSourceAdapter;
  store: VectorStore;
  indexer: Indexer;
  /** Re-index every document even if unchanged (and confirm mass removals). */
  full?: boolean;
  /** Largest share of a space (or of the source) one incremental run may remove before it stops instead. */
  maxDeleteShare?: number;
  signal?: AbortSignal;
  onProgress?: (report: SyncReport) => void;
  log?: Logger;
}

/** A sync's figures and, beside them, the first documents that failed (at most JOB_FAILURES_KEPT), each with why. */
export interface SyncReport extends JobProgress {
  failures: DocumentFailure[];
}

/** A reason short enough to keep in a job, whatever an upstream error carried. */
const REASON_MAX_CHARS = 500;

function keepFailures(...lists: DocumentFailure[][]): DocumentFailure[] {
  return lists.flat().slice(0, JOB_FAILURES_KEPT);
}

export const DEFAULT_MAX_DELETE_SHARE = 0.5;
/** Below this many documents a group is too small for a share to mean anything. */
const GUARD_MIN_DOCUMENTS = 10;

/** A run that would remove an implausible share of a space, which usually means a broken listing. */
export class MassDeletionError extends Error {
  override readonly name = 'MassDeletionError';
}

/** How a stop asks for confirmation, for the API and the command line alike. */
const CONFIRM_WITH_FULL = 'run a full reindex ({"full": true}, or ingest --full) to confirm';

function guardMassDeletion(
  known: DocumentRecord[],
  gone: DocumentRecord[],
  maxShare: number,
  minDocuments: number,
): void {
  const group = (d: DocumentRecord) => d.spaceKey ?? '';
  for (const key of new Set(gone.map(group))) {
    const total = known.filter((d) => group(d) === key).length;
    const removed = gone.filter((d) => group(d) === key).length;
    if (total >= minDocuments && removed / total > maxShare) {
      throw new MassDeletionError(
        `stopped before removing ${removed} of ${total} documents${key ? ` of space ${key}` : ''} (more than ${Math.round(maxShare * 100)}%): ` +
          `nothing was deleted. If the source really lost them, ${CONFIRM_WITH_FULL}.`,
      );
    }
  }
}

/**
 * Brings the index in line with a source: new and changed documents are (re)indexed, unchanged ones are
 * skipped without any embedding call, and documents gone from the complete listing are removed.
 * Idempotent: running it twice in a row changes nothing the second time.
 */
export async function syncSource(options: SyncOptions): Promise<SyncReport> {
  const { source, store, indexer, signal, log } = options;
  const progress = emptyProgress();
  const failures: DocumentFailure[] = [];
  const fail = (document: string, reason: string) => {
    if (failures.length < JOB_FAILURES_KEPT)
      failures.push({ document, reason: reason.slice(0, REASON_MAX_CHARS) });
  };
  const report = () => options.onProgress?.({ ...progress, failures: [...failures] });

  const items = await source.list(signal);
  progress.discovered = items.length;
  report();
  const inScope = (await store.listDocuments(source.name)).filter((d) => source.covers?.(d) ?? true);
  const known = new Map(inScope.map((d) => [d.id, d]));
  const listed = new Set(items.map((i) => i.id));
  const gone = [...known.values()].filter((d) => !listed.has(d.id));
  if (!options.full && !items.length && inScope.length && source.emptyListingProblem) {
    throw new MassDeletionError(
      `${source.emptyListingProblem}. Stopped before removing the ${inScope.length} documents indexed from it: nothing was deleted. ` +
        `If the source really is empty now, ${CONFIRM_WITH_FULL}.`,
    );
  }
  if (!options.full) {
    const share = options.maxDeleteShare ?? DEFAULT_MAX_DELETE_SHARE;
    guardMassDeletion(inScope, gone, share, source.deletionGuardMinimum ?? GUARD_MIN_DOCUMENTS);
  }

  const changed = (item: SourceItem) => options.full || known.get(item.id)?.hash !== indexedHash(item.hash);
  await source.prefetch?.(items.filter(changed), signal);
  const writer = indexer.writer(signal);
  const account = (outcome: WriteOutcome) => {
    progress.indexed += outcome.written.length;
    progress.failed += outcome.failed.length;
    progress.processed += outcome.written.length + outcome.failed.length;
    progress.chunks += outcome.chunks;
    if (outcome.error) {
      for (const doc of outcome.failed) fail(doc.id, `could not be indexed: ${outcome.error.message}`);
      log?.warn(
        { err: outcome.error.message, documents: outcome.failed.map((d) => d.id) },
        'indexing failed',
      );
    }
    report();
  };

  for (const item of items) {
    signal?.throwIfAborted();
    if (!changed(item)) {
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
      writer.add(doc, await indexer.chunk(doc));
    } catch (err) {
      if (signal?.aborted) throw err;
      progress.failed++;
      progress.processed++;
      fail(item.id, (err as Error).message);
      log?.warn({ document: item.id, err: (err as Error).message }, 'document could not be read');
      report();
      continue;
    }
    if (writer.pendingChunks >= indexer.batchChunks) account(await writer.flush(false));
  }
  account(await writer.flush(true));

  signal?.throwIfAborted();
  await store.deleteDocuments(gone.map((d) => d.id));
  progress.deleted += gone.length;
  report();
  await store.optimize();
  return { ...progress, failures };
}

export interface SyncAllOptions extends Omit<SyncOptions, 'source' | 'onProgress'> {
  onProgress?: (report: SyncReport) => void;
  /** Called after each source with its own figures (metrics use it). */
  onSourceDone?: (source: DocumentSourceAdapter, progress: JobProgress) => void;
}

/** Syncs several sources one after the other, reporting progress summed (and failures gathered) over all of them. */
export async function syncSources(
  sources: readonly DocumentSourceAdapter[],
  options: SyncAllOptions,
): Promise<SyncReport> {
  let total = addProgress(undefined, undefined);
  let failures: DocumentFailure[] = [];
  const failed: { source: DocumentSourceAdapter; err: unknown }[] = [];
  for (const source of sources) {
    const before = total;
    const earlier = failures;
    let report: SyncReport;
    try {
      report = await syncSource({
        ...options,
        source,
        onProgress: (r) =>
          options.onProgress?.({ ...addProgress(before, r), failures: keepFailures(earlier, r.failures) }),
      });
    } catch (err) {
      // A cancelled job stops here; one source that cannot be synced (a folder unmounted, a deletion the
      // guard stopped) must not keep the others from theirs.
      if (options.signal?.aborted) throw err;
      failed.push({ source, err });
      continue;
    }
    total = addProgress(before, report);
    failures = keepFailures(earlier, report.failures);
    options.onSourceDone?.(source, report);
  }
  // The job still fails, naming what did: one source's own error as it was (the CLI's advice reads it).
  if (failed.length === 1) throw failed[0]!.err;
  if (failed.length > 1) {
    const messages = failed.map(({ err }) => (err instanceof Error ? err.message : String(err)));
    throw new Error(`${failed.length} sources could not be synced (the others were): ${messages.join('; ')}`);
  }
  return { ...total, failures };
}
