import { Retriever } from '../../src/retrieval/retriever.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import type { DocumentWrite, SearchHit, SearchQuery, VectorStore } from '../../src/store/vector-store.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';
import { tempDir } from '../helpers/temp.js';

const TEXTS = [
  'Rotate the API token under Settings and Tokens.',
  'Revoked tokens stop working at once.',
  'Deploy the service with the container image.',
];

describe('the retriever', () => {
  const embedder = new HashingEmbedder(64);
  /** A document of one chunk, its vector made from its title and text. */
  const oneChunkDocument = (id: string, title: string, text: string): DocumentWrite => ({
    record: { id, source: 'files', title, url: `${id}.md`, hash: 'h', chunks: 1, indexedAt: '' },
    chunks: [
      {
        id: `${id}#0`,
        docId: id,
        ordinal: 0,
        source: 'files',
        title,
        headingPath: [title],
        url: `${id}.md`,
        text,
        vector: embedder.vector(`${title}\n${text}`),
      },
    ],
  });
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let store: EmbeddedStore;

  beforeEach(async () => {
    tmp = await tempDir();
    store = await EmbeddedStore.open({ dir: tmp.dir, identity: { embeddings: embedder.id, dimensions: 64 } });
    embedder.calls = 0;
    await store.replaceDocuments(TEXTS.map((text, i) => oneChunkDocument(`d${i}`, `Doc ${i}`, text)));
  });
  afterEach(async () => {
    embedder.delayMs = 0;
    await store.close();
    await tmp.remove();
  });

  /** The store as the retriever sees it, noting whether each search's vector had arrived when it began. */
  function watched() {
    const vectorPending: boolean[] = [];
    const found: SearchHit[][] = [];
    const view: VectorStore = Object.create(store) as VectorStore;
    view.search = async (query: SearchQuery) => {
      const marker = Symbol('pending');
      vectorPending.push((await Promise.race([query.vector, Promise.resolve(marker)])) === marker);
      const hits = await store.search(query);
      found.push(hits);
      return hits;
    };
    return { view, vectorPending, found };
  }
  const call = (signal = new AbortController().signal) => ({ signal, deadline: Date.now() + 10_000 });

  it('starts searching while the question is still being embedded, and still fuses in the dense results', async () => {
    embedder.delayMs = 200;
    const { view, vectorPending, found } = watched();
    const { passages } = await new Retriever(view, embedder).retrieve({
      query: 'rotate token',
      call: call(),
    });
    expect(vectorPending).toEqual([true]);
    expect(passages[0]?.chunk.id).toBe('d0#0');
    expect(embedder.calls).toBe(1);
    expect(found[0]?.find((h) => h.chunk.id === 'd0#0')?.similarity).toBeGreaterThan(0);
  });

  it('leaves out a passage that repeats a better-ranked one', async () => {
    const copy = 'Rotate the API token under Settings and Tokens!';
    await store.replaceDocuments([oneChunkDocument('copy', 'Doc 0', copy)]);
    const found = await store.search({ text: 'rotate token settings', limit: 5 });
    expect(found.map((h) => h.chunk.id)).toEqual(expect.arrayContaining(['d0#0', 'copy#0']));
    const { passages } = await new Retriever(store, embedder).retrieve({
      query: 'rotate token settings',
      call: call(),
    });
    const ids = passages.map((p) => p.chunk.id);
    expect(ids.filter((id) => id === 'd0#0' || id === 'copy#0')).toHaveLength(1);
  });

  it('answers from the text alone when the embedding fails, and stops when the asker goes away', async () => {
    const failing = Object.assign(Object.create(embedder) as HashingEmbedder, {
      embedBatch: () => Promise.reject(new Error('embedding model down')),
    });
    const { passages } = await new Retriever(store, failing).retrieve({
      query: 'revoked tokens',
      call: call(),
    });
    expect(passages.map((p) => p.chunk.id)).toContain('d1#0');

    embedder.delayMs = 200;
    const controller = new AbortController();
    const retrieval = new Retriever(store, embedder).retrieve({
      query: 'revoked tokens',
      call: call(controller.signal),
    });
    setTimeout(() => controller.abort(new Error('asker left')), 20);
    await expect(retrieval).rejects.toThrow();
  });
});
