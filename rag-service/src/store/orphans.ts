import type { Logger } from 'pino';
import type { OrphanRepair, VectorStore } from './vector-store.js';

/** Where a store reports what it repaired on opening. */
export type StoreLog = Pick<Logger, 'warn'>;

/**
 * The repair a store runs as it opens for writing: the moment right after a crash, before any search can
 * find what the crash left behind. What it removed is logged, because it means a write was cut short.
 */
export async function repairOrphansOnOpen(store: VectorStore, log?: StoreLog): Promise<OrphanRepair> {
  const repair = await store.removeOrphanChunks();
  if (repair.chunks) {
    log?.warn(
      { store: store.kind, orphanChunks: repair.chunks, orphanDocuments: repair.documents },
      `removed ${repair.chunks} chunks of ${repair.documents} documents that had no document record (a write was cut short)`,
    );
  }
  return repair;
}
