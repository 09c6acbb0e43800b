import type { PageCheck } from '../../src/access/page-access.js';
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

  it('leaves out a near-copy that differs by a word in more than ten (terms overlap past 0.9)', async () => {
    const original =
      'Rotate the signing token monthly from the admin settings page, then restart every worker, check the audit log and notify owners.';
    const nearCopy = `${original} Quickly.`;
    await store.replaceDocuments([
      oneChunkDocument('original', 'Signing', original),
      oneChunkDocument('near', 'Signing', nearCopy),
    ]);
    const found = await store.search({ text: 'rotate signing token', limit: 10 });
    expect(found.map((h) => h.chunk.docId)).toEqual(expect.arrayContaining(['original', 'near']));
    const { passages } = await new Retriever(store, undefined).retrieve({
      query: 'rotate signing token',
      call: call(),
    });
    expect(passages.map((p) => p.chunk.docId).filter((d) => d === 'original' || d === 'near')).toHaveLength(
      1,
    );
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

  /** A document of several chunks, each its own passage. */
  const manyChunkDocument = (id: string, title: string, texts: string[]): DocumentWrite => ({
    record: { id, source: 'files', title, url: `${id}.md`, hash: 'h', chunks: texts.length, indexedAt: '' },
    chunks: texts.map((text, ordinal) => ({
      id: `${id}#${ordinal}`,
      docId: id,
      ordinal,
      source: 'files' as const,
      title,
      headingPath: [title, `Part ${ordinal}`],
      url: `${id}.md`,
      text,
      vector: embedder.vector(`${title}\n${text}`),
    })),
  });

  it('keeps out a passage that holds too little of the question, though the store ranks it', async () => {
    const question = 'kubernetes helm chart autoscaling ingress container';
    // Premise: the full-text search finds the deploy passage for one shared word.
    const found = await store.search({ text: question, limit: 5 });
    expect(found.map((h) => h.chunk.id)).toContain('d2#0');
    const lexical = new Retriever(store, undefined);
    expect((await lexical.retrieve({ query: question, call: call() })).passages).toEqual([]);
    // Enough of the question (2 of its 4 terms) passes the gate.
    const enough = await lexical.retrieve({ query: 'container image kubernetes helm', call: call() });
    expect(enough.passages.map((p) => p.chunk.id)).toContain('d2#0');
  });

  it("weighs the question's words by how rare they are among the candidates: a word every passage shares is no match", async () => {
    await store.replaceDocuments([
      oneChunkDocument('restart', 'Restarts', 'Restart the service after an upgrade.'),
      oneChunkDocument('logs', 'Logs', 'The service logs to standard output.'),
      oneChunkDocument('scale', 'Scaling', 'Scale the service to three replicas.'),
      oneChunkDocument('backups', 'Backups', 'Backups of the service run nightly.'),
    ]);
    const lexical = new Retriever(store, undefined);
    const question = 'service backups nightly schedule';
    // Premise: the store finds every passage that says "service".
    const found = await store.search({ text: question, limit: 10 });
    expect(found.map((h) => h.chunk.docId)).toEqual(expect.arrayContaining(['restart', 'logs', 'scale']));
    const { passages } = await lexical.retrieve({ query: question, call: call() });
    expect(passages.map((p) => p.chunk.docId)).toEqual(['backups']);
  });

  it('admits, for a short question, only passages that hold a good part of what the best one holds', async () => {
    await store.replaceDocuments([
      oneChunkDocument('osprey', 'Osprey', 'The osprey gate code is 4711.'),
      oneChunkDocument('reviews', 'Reviews', 'Code reviews need two approvals.'),
      oneChunkDocument('gates', 'Gates', 'Gate B opens at nine.'),
    ]);
    const found = await store.search({ text: 'osprey gate code', limit: 10 });
    expect(found.map((h) => h.chunk.docId)).toEqual(expect.arrayContaining(['osprey', 'reviews', 'gates']));
    const lexical = new Retriever(store, undefined);
    const { passages } = await lexical.retrieve({ query: 'osprey gate code', call: call() });
    expect(passages.map((p) => p.chunk.docId)).toEqual(['osprey']);
  });

  it("finds nothing for a short question naming what no passage holds, and gates on the asker's own words", async () => {
    await store.replaceDocuments([
      oneChunkDocument('formats', 'Formats', 'The service supports Markdown and PDF files.'),
    ]);
    const lexical = new Retriever(store, undefined);
    const ask = async (query: string, question?: string) =>
      (await lexical.retrieve({ query, question, call: call() })).passages.map((p) => p.chunk.docId);
    // Premise: the store finds the passage for "supports", one of the two words.
    const found = await store.search({ text: 'Does it support Slack?', limit: 5 });
    expect(found.map((h) => h.chunk.docId)).toContain('formats');
    expect(await ask('Does it support Slack?')).toEqual([]);
    // In a longer question a name is a detail: the passage still answers.
    expect((await ask('Does the service support Markdown on my Mac?'))[0]).toBe('formats');
    // A plain word the docs do not use is wording, not a subject: the passage still answers.
    expect((await ask('does the service support uploading?'))[0]).toBe('formats');
    // A follow-up searched with the conversation's words: they find passages, but only the question admits.
    const followUp = 'Does it support Slack? How do I rotate the API token?';
    expect(await ask(followUp)).not.toEqual([]);
    expect(await ask(followUp, 'Does it support Slack?')).toEqual([]);
  });

  it('lets no page the asker may not open shape the answer, not even by making a word look common', async () => {
    const page = (id: string, text: string): DocumentWrite => {
      const doc = oneChunkDocument(id, id, text);
      return {
        record: { ...doc.record, source: 'confluence', pageId: id, spaceKey: 'ENG' },
        chunks: doc.chunks.map((c) => ({ ...c, source: 'confluence' as const, pageId: id, spaceKey: 'ENG' })),
      };
    };
    const hidden: PageCheck = {
      decide: (ids) => Promise.resolve({ visible: new Set(ids.filter((id) => !id.startsWith('secret'))) }),
    };
    const lexical = new Retriever(store, undefined);
    const ask = async () =>
      (
        await lexical.retrieve({ query: 'Can we deploy Falcon?', access: { check: hidden }, call: call() })
      ).passages.map((p) => p.chunk.docId);
    await store.replaceDocuments([
      page('guide', 'Deploy the service with the container image, step by step.'),
    ]);
    const without = await ask();
    await store.replaceDocuments([
      page('secret-falcon', 'Falcon is deployed from the red vault on Fridays.'),
    ]);
    expect(await ask()).toEqual(without);
  });

  it('gates a question of stop words only ("What about it?") on the words it was searched with', async () => {
    const lexical = new Retriever(store, undefined);
    const { passages } = await lexical.retrieve({
      query: 'rotate token',
      question: 'What about it?',
      call: call(),
    });
    expect(passages.map((p) => p.chunk.id)).toContain('d0#0');
  });

  it('takes at most two passages from one document while others match, and fills up from it when they do not', async () => {
    await store.replaceDocuments([
      manyChunkDocument(
        'big',
        'Token handbook',
        Array.from(
          { length: 6 },
          (_, i) => `Rotate the API token, step ${i}: settings, tokens, rotate ${'token '.repeat(3)}.`,
        ),
      ),
      oneChunkDocument(
        'other',
        'Token FAQ',
        'Rotate a token when a colleague leaves; tokens rotate from settings.',
      ),
    ]);
    const retriever = new Retriever(store, undefined);
    const { passages } = await retriever.retrieve({ query: 'rotate api token settings', call: call() });
    const docs = passages.map((p) => p.chunk.docId);
    expect(passages).toHaveLength(5);
    // The first five would all be the handbook's by score; the cap lets the others in ahead of its third.
    expect(docs.slice(0, 4).filter((d) => d === 'big')).toHaveLength(2);
    expect(docs).toEqual(expect.arrayContaining(['other', 'd0']));
    // Too few other documents to fill five: the handbook's further passages fill the rest.
    expect(docs.filter((d) => d === 'big').length).toBeGreaterThan(2);
  });
});
