import { RRF_K } from '../../src/retrieval/fusion.js';
import type { DocumentSource } from '@kb/contracts';
import type {
  DocumentRecord,
  IndexIdentity,
  StoredChunk,
  VectorStore,
} from '../../src/store/vector-store.js';
import type { StoreLog } from '../../src/store/orphans.js';
import { IndexMismatchError } from '../../src/store/vector-store.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';

/** How a conformance run gets at an adapter: open (again) the same index, and clean up after. */
export interface StoreHarness {
  open(identity: IndexIdentity, options?: { reset?: boolean; log?: StoreLog }): Promise<VectorStore>;
  /**
   * Deletes a document's record beneath the port (the store closed), keeping its chunks: what a crash
   * between writing a document's chunks and its record leaves.
   */
  dropRecord(id: string): Promise<void>;
  cleanup(): Promise<void>;
}

const embedder = new HashingEmbedder(64);
const DENSE: IndexIdentity = { embeddings: embedder.id, dimensions: 64 };

interface DocSpec {
  id: string;
  source?: DocumentSource;
  title: string;
  texts: string[];
  spaceKey?: string;
  hash?: string;
}

function build(spec: DocSpec, withVectors: boolean): { record: DocumentRecord; chunks: StoredChunk[] } {
  const source = spec.source ?? 'files';
  const chunks = spec.texts.map((text, ordinal) => ({
    id: `${spec.id}#${ordinal}`,
    docId: spec.id,
    ordinal,
    source,
    title: spec.title,
    headingPath: [spec.title, `Part ${ordinal}`],
    url: `${spec.id}.md#part-${ordinal}`,
    text,
    spaceKey: spec.spaceKey,
    ...(withVectors ? { vector: embedder.vector(`${spec.title}\n${text}`) } : {}),
  }));
  return {
    record: {
      id: spec.id,
      source,
      title: spec.title,
      url: `${spec.id}.md`,
      hash: spec.hash ?? 'h1',
      chunks: chunks.length,
      spaceKey: spec.spaceKey,
      indexedAt: new Date().toISOString(),
    },
    chunks,
  };
}

const DOCS: DocSpec[] = [
  {
    id: 'tokens',
    title: 'API tokens',
    spaceKey: 'ENG',
    texts: ['Rotate the API token under Settings and Tokens.', 'Revoked tokens stop working at once.'],
  },
  {
    id: 'deploy',
    title: 'Deploying',
    spaceKey: 'OPS',
    texts: ['Deploy the service with the container image.', 'Roll back a deployment from the release page.'],
  },
  {
    id: 'holidays',
    title: 'Holiday policy',
    spaceKey: 'HR',
    texts: ['Employees take annual leave after approval by their manager.'],
  },
];

/**
 * The behaviour every `VectorStore` adapter must show. Run it with a harness per adapter; the tests
 * never look inside the store, only at what the port promises.
 */
export function describeVectorStore(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`VectorStore conformance: ${name}`, () => {
    let harness: StoreHarness;
    let store: VectorStore;

    const put = async (s: VectorStore, spec: DocSpec, withVectors = false) => {
      const { record, chunks } = build(spec, withVectors);
      await s.replaceDocuments([{ record, chunks }]);
    };
    const ids = (hits: { chunk: { id: string } }[]) => hits.map((h) => h.chunk.id);

    beforeEach(async () => {
      harness = await makeHarness();
      store = await harness.open({ embeddings: 'none', dimensions: 0 });
    });
    afterEach(async () => {
      // When setup failed there is no store to close; the setup error is the one to report.
      await (store as VectorStore | undefined)?.close();
      await (harness as StoreHarness | undefined)?.cleanup();
    });

    it('finds a document lexically, with stemming (rotating → rotate)', async () => {
      for (const d of DOCS) await put(store, d);
      const hits = await store.search({ text: 'rotating tokens', limit: 5 });
      expect(hits[0]?.chunk.id).toBe('tokens#0');
      expect(hits[0]?.chunk).toMatchObject({
        docId: 'tokens',
        title: 'API tokens',
        spaceKey: 'ENG',
        headingPath: ['API tokens', 'Part 0'],
      });
      expect(ids(hits)).not.toContain('holidays#0');
    });

    it('weighs a word few documents hold above one most hold (IDF), however often the common one repeats', async () => {
      for (let i = 0; i < 8; i++) {
        await put(store, {
          id: `service-${i}`,
          title: `Service ${i}`,
          spaceKey: 'OPS',
          texts: [`Service ${i}: the service restarts the service nightly, service by service.`],
        });
      }
      await put(store, {
        id: 'badge',
        title: 'Badges',
        spaceKey: 'OPS',
        texts: ['The quokka badge opens the lab.'],
      });
      const hits = await store.search({ text: 'service quokka', limit: 3 });
      expect(hits[0]?.chunk.id).toBe('badge#0');
    });

    it('returns nothing for words no document holds, and for an empty query', async () => {
      for (const d of DOCS) await put(store, d);
      expect(await store.search({ text: 'zanzibar quokka', limit: 5 })).toEqual([]);
      expect(await store.search({ text: '', limit: 5 })).toEqual([]);
    });

    it('does not break on query syntax characters', async () => {
      for (const d of DOCS) await put(store, d);
      for (const text of [
        '"token',
        "what's the token's (rotate) AND OR NOT * ? ~ ^ : \\",
        "'; DROP TABLE chunks; --",
      ]) {
        await expect(store.search({ text, limit: 5 })).resolves.toBeInstanceOf(Array);
      }
    });

    it('replaces a document: new text is found, old text and surplus chunks are gone', async () => {
      await put(store, DOCS[0]!);
      await put(store, { ...DOCS[0]!, texts: ['Tokens now expire after ninety days.'], hash: 'h2' });
      expect(ids(await store.search({ text: 'expire ninety days', limit: 5 }))).toEqual(['tokens#0']);
      expect(await store.search({ text: 'revoked', limit: 5 })).toEqual([]);
      const [record] = await store.listDocuments('files');
      expect(record).toMatchObject({ id: 'tokens', hash: 'h2', chunks: 1 });
      expect((await store.stats()).chunks).toBe(1);
    });

    it('always returns the current text of a chunk found before: after a rewrite, a compaction, a delete', async () => {
      const texts = (hits: { chunk: { id: string; text: string } }[]) =>
        Object.fromEntries(hits.map((h) => [h.chunk.id, h.chunk.text]));
      for (const d of DOCS) await put(store, d);
      expect(texts(await store.search({ text: 'tokens', limit: 5 }))).toMatchObject({
        'tokens#0': DOCS[0]!.texts[0],
      });
      // Same chunk ids, same query words, new text: what was read for the first search must not come back.
      const rewritten = ['Tokens rotate every ninety days.', 'Tokens revoked by an admin stop at once.'];
      await put(store, { ...DOCS[0]!, texts: rewritten, hash: 'h2' });
      const current = { 'tokens#0': rewritten[0], 'tokens#1': rewritten[1] };
      expect(texts(await store.search({ text: 'tokens', limit: 5 }))).toEqual(current);
      await put(store, { ...DOCS[1]!, texts: ['Deploy tokens are kept in the vault.'], hash: 'h2' });
      await store.optimize();
      expect(texts(await store.search({ text: 'tokens', limit: 5 }))).toEqual({
        ...current,
        'deploy#0': 'Deploy tokens are kept in the vault.',
      });
      await store.deleteDocuments(['tokens']);
      expect(ids(await store.search({ text: 'tokens', limit: 5 }))).toEqual(['deploy#0']);
    });

    it('reads one document: its record, and its current chunks by ordinal range, nothing of another', async () => {
      // Twelve chunks, so an order by text or by id ("#10" before "#2") would show.
      const texts = Array.from(
        { length: 12 },
        (_, i) => `Step ${String.fromCharCode(97 + i)} of the runbook.`,
      );
      const runbook = { id: 'upload:local/runbook.md', title: 'Runbook', texts };
      for (const d of DOCS) await put(store, d, false);
      // Written last chunk first: the order read back is the ordinals', not the writes'.
      const written = build(runbook, false);
      await store.replaceDocuments([{ ...written, chunks: [...written.chunks].reverse() }]);
      expect(await store.documentRecord(runbook.id)).toMatchObject({
        id: runbook.id,
        title: 'Runbook',
        chunks: 12,
      });
      const all = await store.documentChunks(runbook.id, 0, 12);
      expect(all.map((c) => c.ordinal)).toEqual([...texts.keys()]);
      expect(all.map((c) => c.text)).toEqual(texts);
      expect(all[3]).toMatchObject({
        id: `${runbook.id}#3`,
        docId: runbook.id,
        headingPath: ['Runbook', 'Part 3'],
      });
      expect((await store.documentChunks(runbook.id, 9, 11)).map((c) => c.ordinal)).toEqual([9, 10]);
      expect((await store.documentChunks(runbook.id, 10, 40)).map((c) => c.ordinal)).toEqual([10, 11]);
      expect(await store.documentChunks(runbook.id, 5, 5)).toEqual([]);
      // Past one page of a store's reads (Qdrant retrieves 512 points a call), in order and complete.
      const manual = {
        id: 'file:manual.md',
        title: 'Manual',
        texts: Array.from({ length: 600 }, (_, i) => `Item ${i}.`),
      };
      await put(store, manual);
      const read = await store.documentChunks(manual.id, 0, 600);
      expect(read.map((c) => c.text)).toEqual(manual.texts);
      // A rewrite with fewer chunks reads as the new text alone.
      await put(store, { ...runbook, texts: ['One step now.'], hash: 'h2' });
      expect((await store.documentRecord(runbook.id))?.chunks).toBe(1);
      expect((await store.documentChunks(runbook.id, 0, 1)).map((c) => c.text)).toEqual(['One step now.']);
      expect(await store.documentRecord('upload:local/runbook')).toBeUndefined();
      expect(await store.documentChunks('upload:local/runbook', 0, 12)).toEqual([]);
      await store.deleteDocuments([runbook.id]);
      expect(await store.documentRecord(runbook.id)).toBeUndefined();
    });

    it('replaying the same write changes nothing (idempotent)', async () => {
      await put(store, DOCS[1]!);
      await put(store, DOCS[1]!);
      expect((await store.stats()).chunks).toBe(2);
      expect(await store.listDocuments()).toHaveLength(1);
    });

    it('deletes a document with all its chunks', async () => {
      for (const d of DOCS) await put(store, d);
      await store.deleteDocuments(['deploy']);
      expect(await store.search({ text: 'deploy rollback', limit: 5 })).toEqual([]);
      expect((await store.listDocuments()).map((d) => d.id).sort()).toEqual(['holidays', 'tokens']);
    });

    it('filters by space key, source and document id lists', async () => {
      for (const d of DOCS) await put(store, d);
      await put(store, {
        id: 'up',
        source: 'upload',
        title: 'Uploaded token guide',
        texts: ['Token rotation for uploads.'],
      });
      const q = 'token deploy leave';
      const only = async (filter: Parameters<VectorStore['search']>[0]['filter']) =>
        new Set((await store.search({ text: q, limit: 10, filter })).map((h) => h.chunk.docId));
      expect(await only({ spaceKeys: ['OPS'] })).toEqual(new Set(['deploy']));
      expect(await only({ spaceKeys: ['ENG', 'HR'] })).toEqual(new Set(['tokens', 'holidays']));
      expect(await only({ sources: ['upload'] })).toEqual(new Set(['up']));
      expect(await only({ docIds: ['holidays'] })).toEqual(new Set(['holidays']));
      expect(await only({ docIds: [] })).toEqual(new Set());
      expect(await only({ excludeDocIds: ['tokens', 'up'] })).toEqual(new Set(['deploy', 'holidays']));
      expect(await only({ spaceKeys: ["O'Brien"] })).toEqual(new Set());
    });

    it('keeps Confluence to the allowed spaces without touching other sources', async () => {
      const page = (id: string, spaceKey: string): DocSpec => ({
        id,
        source: 'confluence',
        spaceKey,
        title: `Token page ${id}`,
        texts: ['Token rotation and deploy steps for the team.'],
      });
      for (const d of [...DOCS, page('eng-page', 'ENG'), page('hr-page', 'HR')]) await put(store, d);
      const q = 'token deploy leave rotation';
      const only = async (confluenceSpaces: string[]) =>
        new Set(
          (await store.search({ text: q, limit: 10, filter: { confluenceSpaces } })).map(
            (h) => h.chunk.docId,
          ),
        );
      const files = ['tokens', 'deploy', 'holidays'];
      expect(await only([])).toEqual(new Set(files));
      expect(await only(['ENG'])).toEqual(new Set([...files, 'eng-page']));
      expect(await only(['ENG', 'HR'])).toEqual(new Set([...files, 'eng-page', 'hr-page']));
      const both = await store.search({
        text: q,
        limit: 10,
        filter: { confluenceSpaces: ['HR'], spaceKeys: ['HR'] },
      });
      expect(new Set(both.map((h) => h.chunk.docId))).toEqual(new Set(['holidays', 'hr-page']));
    });

    it('counts documents and chunks per source and space', async () => {
      for (const d of DOCS) await put(store, d);
      const stats = await store.stats();
      expect(stats.documents).toBe(3);
      expect(stats.chunks).toBe(5);
      expect(stats.bySource.find((s) => s.spaceKey === 'ENG')).toMatchObject({
        source: 'files',
        documents: 1,
        chunks: 2,
      });
      expect(stats.bySource.every((s) => typeof s.lastSyncAt === 'string')).toBe(true);
    });

    it('keeps the index across a restart', async () => {
      for (const d of DOCS) await put(store, d);
      await store.optimize();
      await store.close();
      store = await harness.open({ embeddings: 'none', dimensions: 0 });
      expect(ids(await store.search({ text: 'annual leave', limit: 3 }))).toEqual(['holidays#0']);
      expect((await store.stats()).documents).toBe(3);
    });

    it('removes chunks left without a document record when it opens, and nothing else', async () => {
      const ghost: DocSpec = {
        id: 'ghost',
        title: 'Half written',
        texts: ['Zeppelin hangar keys.', 'Zeppelin fuel.'],
      };
      for (const d of [...DOCS, ghost]) await put(store, d);
      await store.close();
      await harness.dropRecord('ghost');
      const warnings: unknown[] = [];
      store = await harness.open(
        { embeddings: 'none', dimensions: 0 },
        { log: { warn: (fields: unknown) => void warnings.push(fields) } },
      );
      expect(await store.search({ text: 'zeppelin', limit: 5 })).toEqual([]);
      expect(warnings).toEqual([expect.objectContaining({ orphanChunks: 2, orphanDocuments: 1 })]);
      expect((await store.listDocuments()).map((d) => d.id).sort()).toEqual(['deploy', 'holidays', 'tokens']);
      expect((await store.stats()).chunks).toBe(5);
      expect(ids(await store.search({ text: 'annual leave', limit: 3 }))).toEqual(['holidays#0']);
      expect(await store.removeOrphanChunks()).toEqual({ documents: 0, chunks: 0 });
    });

    it('writes and deletes many documents in one batch', async () => {
      const batch = Array.from({ length: 300 }, (_, i) =>
        build({ id: `b${i}`, title: `Batch ${i}`, texts: [`kilo ${i}`, `lima ${i}`] }, false),
      );
      await store.replaceDocuments(batch);
      expect((await store.stats()).chunks).toBe(600);
      await store.replaceDocuments(batch.map((w) => ({ record: w.record, chunks: w.chunks.slice(0, 1) })));
      expect((await store.stats()).chunks).toBe(300);
      await store.deleteDocuments(batch.slice(0, 250).map((w) => w.record.id));
      expect((await store.stats()).documents).toBe(50);
      await store.deleteDocuments([]);
      await store.replaceDocuments([]);
    });

    it('takes concurrent writes without losing any', async () => {
      const many = Array.from({ length: 20 }, (_, i) => ({
        id: `doc${i}`,
        title: `Document ${i}`,
        texts: [`alpha bravo ${i}`, `charlie ${i}`],
      }));
      await Promise.all(many.map((d) => put(store, d)));
      expect((await store.stats()).chunks).toBe(40);
      expect(await store.listDocuments()).toHaveLength(20);
    });

    it('refuses to open an index built by another embedder, and rebuilds it when asked', async () => {
      await put(store, DOCS[0]!);
      await store.close();
      await expect(harness.open(DENSE)).rejects.toBeInstanceOf(IndexMismatchError);
      store = await harness.open(DENSE, { reset: true });
      expect((await store.stats()).chunks).toBe(0);
    });

    describe('with embeddings', () => {
      beforeEach(async () => {
        await store.close();
        store = await harness.open(DENSE, { reset: true });
        for (const d of DOCS) await put(store, d, true);
      });

      it(`fuses by reciprocal rank with the one constant both stores use (k = ${RRF_K})`, async () => {
        // The holiday policy is first both lexically and by vector: 1/(k+1) from each list.
        const query = 'annual leave approval manager';
        const [top] = await store.search({ text: query, vector: embedder.vector(query), limit: 3 });
        expect(top?.chunk.docId).toBe('holidays');
        expect(top?.score).toBeCloseTo(2 / (RRF_K + 1), 6);
      });

      it('finds by vector alone (dense), reporting a similarity', async () => {
        const hits = await store.search({
          text: '',
          vector: embedder.vector('annual leave approval manager'),
          limit: 2,
        });
        expect(hits[0]?.chunk.docId).toBe('holidays');
        expect(hits[0]?.similarity).toBeGreaterThan(0.3);
      });

      it('fuses lexical and dense results (hybrid) and respects filters', async () => {
        const query = 'rotate the API token';
        const hits = await store.search({ text: query, vector: embedder.vector(query), limit: 3 });
        expect(hits[0]?.chunk.id).toBe('tokens#0');
        const filtered = await store.search({
          text: query,
          vector: embedder.vector(query),
          limit: 3,
          filter: { spaceKeys: ['OPS'] },
        });
        expect(filtered.length).toBeGreaterThan(0);
        expect(filtered.every((h) => h.chunk.spaceKey === 'OPS')).toBe(true);
      });

      it('refuses a chunk without a vector of the right size', async () => {
        const { record, chunks } = build(DOCS[0]!, false);
        await expect(store.replaceDocuments([{ record, chunks }])).rejects.toThrow(/vector/);
      });
    });
  });
}
