import type { SourceCount } from '@kb/contracts';
import type { DocumentRecord, StoreStats } from './vector-store.js';

/** Index statistics from the document records: counts per source and space, and each group's last sync. */
export function summarize(docs: readonly DocumentRecord[], chunks: number): StoreStats {
  const groups = new Map<string, SourceCount>();
  for (const d of docs) {
    const key = `${d.source}\u0000${d.spaceKey ?? ''}`;
    const g = groups.get(key) ?? {
      source: d.source,
      spaceKey: d.spaceKey ?? null,
      documents: 0,
      chunks: 0,
      lastSyncAt: null,
    };
    g.documents += 1;
    g.chunks += d.chunks;
    if (!g.lastSyncAt || d.indexedAt > g.lastSyncAt) g.lastSyncAt = d.indexedAt;
    groups.set(key, g);
  }
  const bySource = [...groups.values()].sort(
    (a, b) => a.source.localeCompare(b.source) || (a.spaceKey ?? '').localeCompare(b.spaceKey ?? ''),
  );
  return { documents: docs.length, chunks, bySource };
}
