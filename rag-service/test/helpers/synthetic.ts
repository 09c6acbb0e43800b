import type { DocumentSourceAdapter, SourceItem } from '../../src/ingest/sources/source.js';

/**
 * A source of 1,000 chunks: 333 documents of three sections and one of one. Document boundaries never
 * line up with embedding batches, so only batching across documents gives ceil(1000 / batch) calls.
 */
export function thousandChunkSource(): DocumentSourceAdapter {
  const items: SourceItem[] = Array.from({ length: 334 }, (_, d) => ({
    id: `doc${d}`,
    hash: 'h',
    load: async () => ({
      title: `Doc ${d}`,
      url: `doc${d}.md`,
      structured: {
        title: `Doc ${d}`,
        blocks: (d === 333 ? [0] : [0, 1, 2]).flatMap((s) => [
          { kind: 'heading' as const, level: 2, text: `Section ${s}` },
          { kind: 'text' as const, text: `Body ${d}.${s}` },
        ]),
      },
    }),
  }));
  return { name: 'files', list: async () => items };
}
