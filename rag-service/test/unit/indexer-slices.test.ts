import { chunksOf, Indexer, type IndexableDocument } from '../../src/ingest/indexer.js';
import type { StructuredDocument } from '../../src/ingest/structured.js';
import type { VectorStore } from '../../src/store/vector-store.js';

const sentence = (i: number) => `Sentence number ${i} explains one more detail of the maintenance procedure.`;

/** About 2 MB of prose in sections of paragraphs, as a long manual would be. */
function largeManual(): IndexableDocument {
  const blocks: StructuredDocument['blocks'] = [];
  let size = 0;
  for (let section = 0; size < 2 * 1024 * 1024; section++) {
    blocks.push({ kind: 'heading', level: 2, text: `Part ${section}`, anchor: `part-${section}` });
    for (let p = 0; p < 8; p++) {
      const text = Array.from({ length: 12 }, (_, i) => sentence(section * 100 + p * 12 + i)).join(' ');
      blocks.push({ kind: 'text', text });
      size += text.length;
    }
  }
  return {
    id: 'file:manual.md',
    source: 'files',
    hash: 'h',
    loaded: { title: 'Manual', url: 'manual.md', structured: { title: 'Manual', blocks } },
  };
}

describe('Indexer.chunk', () => {
  it('chunks a large document in slices, letting other callbacks run before it is done, with the same chunks', async () => {
    const doc = largeManual();
    // Chunking needs neither the store nor an embedder.
    const indexer = new Indexer({} as VectorStore, undefined);
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const chunks = await indexer.chunk(doc).finally(() => (ticking = false));
    const whileChunking = turns;
    // A health check, a chat's stream, a timer: all got turns while the document was cut.
    expect(whileChunking).toBeGreaterThan(0);
    const expected = chunksOf(doc);
    expect(expected.length).toBeGreaterThan(500);
    // Compared as a boolean: a failing diff of 2 MB would bury the report.
    expect(chunks.length).toBe(expected.length);
    expect(JSON.stringify(chunks) === JSON.stringify(expected)).toBe(true);
  });
});
