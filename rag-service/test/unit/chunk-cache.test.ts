import { ChunkCache } from '../../src/store/chunk-cache.js';
import type { RetrievedChunk } from '../../src/store/vector-store.js';

const chunk = (docId: string, ordinal: number): RetrievedChunk => ({
  id: `${docId}#${ordinal}`,
  docId,
  ordinal,
  source: 'files',
  title: docId,
  headingPath: [docId],
  url: `${docId}.md`,
  text: `text of ${docId} ${ordinal}`,
});

describe('the chunk cache', () => {
  it('keeps the most recently used chunks up to its capacity', () => {
    const cache = new ChunkCache(2);
    cache.set(1n, chunk('a', 0));
    cache.set(2n, chunk('a', 1));
    expect(cache.get(1n)?.id).toBe('a#0'); // 1 is now the most recent: 2 goes first
    cache.set(3n, chunk('b', 0));
    expect(cache.size).toBe(2);
    expect(cache.get(2n)).toBeUndefined();
    expect(cache.get(1n)?.id).toBe('a#0');
    expect(cache.get(3n)?.id).toBe('b#0');
  });

  it('forgets the chunks of rewritten documents, and everything when cleared', () => {
    const cache = new ChunkCache(10);
    cache.set(1n, chunk('a', 0));
    cache.set(2n, chunk('b', 0));
    cache.set(3n, chunk('a', 1));
    cache.forgetDocuments(new Set(['a']));
    expect([1n, 2n, 3n].map((id) => cache.get(id)?.id)).toEqual([undefined, 'b#0', undefined]);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('hands out chunks no request can change for the next one', () => {
    const cache = new ChunkCache(10);
    cache.set(1n, chunk('a', 0));
    const shared = cache.get(1n)!;
    expect(() => ((shared as { text: string }).text = 'changed')).toThrow(TypeError);
    expect(() => shared.headingPath.push('x')).toThrow(TypeError);
    expect(cache.get(1n)?.text).toBe('text of a 0');
  });
});
