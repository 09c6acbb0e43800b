import * as lancedb from '@lancedb/lancedb';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { filterPredicate, literal } from '../../src/store/sql.js';
import type { SearchFilter } from '../../src/store/vector-store.js';
import { describeVectorStore } from '../conformance/vector-store.js';
import { tempDir } from '../helpers/temp.js';
import { cosine } from '../../src/store/cosine.js';

describeVectorStore('embedded (LanceDB)', async () => {
  const tmp = await tempDir();
  return {
    open: (identity, options) =>
      EmbeddedStore.open({ dir: tmp.dir, identity, reset: options?.reset, log: options?.log }),
    dropRecord: async (id) => {
      const db = await lancedb.connect(tmp.dir);
      const documents = await db.openTable('documents');
      await documents.delete(`id = ${literal(id)}`);
      documents.close();
      db.close();
    },
    cleanup: tmp.remove,
  };
});

describe('one writer per embedded index', () => {
  it('refuses a second live writer, names it, and takes over a lock left by a dead one', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const { IndexLockedError } = await import('../../src/store/write-lock.js');
    const tmp = await tempDir();
    const identity = { embeddings: 'none', dimensions: 0 };
    const other = spawn('sleep', ['30']);
    try {
      await writeFile(
        path.join(tmp.dir, 'write.lock'),
        JSON.stringify({ pid: other.pid, purpose: 'kb ingest' }),
      );
      const refused = await EmbeddedStore.open({ dir: tmp.dir, identity }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(IndexLockedError);
      expect((refused as Error).message).toMatch(
        new RegExp(`pid ${other.pid}, kb ingest.*POST /api/v1/admin/reindex`),
      );
      const reader = await EmbeddedStore.open({ dir: tmp.dir, identity, readOnly: true });
      await reader.close();

      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
      const writer = await EmbeddedStore.open({ dir: tmp.dir, identity });
      await writer.close();
    } finally {
      other.kill('SIGKILL');
      await tmp.remove();
    }
  });

  it('takes over a lock held by a zombie: a killed writer nobody reaped holds nothing', async () => {
    const { spawn } = await import('node:child_process');
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const tmp = await tempDir();
    // The shell starts a child, prints its pid and becomes `sleep`, which never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30']);
    try {
      const [line] = (await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve)))
        .toString()
        .split('\n');
      const pid = Number(line);
      for (let i = 0; i < 100; i++) {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(() => process.kill(pid, 0)).not.toThrow();
      await writeFile(path.join(tmp.dir, 'write.lock'), JSON.stringify({ pid, purpose: 'kb ingest' }));
      const writer = await EmbeddedStore.open({
        dir: tmp.dir,
        identity: { embeddings: 'none', dimensions: 0 },
      });
      await writer.close();
    } finally {
      parent.kill('SIGKILL');
      await tmp.remove();
    }
  });
});

/** A chunk of a plain file, without a vector. */
const chunkOf = (docId: string, ordinal: number, text: string) => ({
  id: `${docId}#${ordinal}`,
  docId,
  ordinal,
  source: 'files' as const,
  title: docId,
  headingPath: [docId],
  url: `${docId}.md`,
  text,
});
/** A file document made of such chunks, one per text. */
const write = (docId: string, texts: string[]) => ({
  record: {
    id: docId,
    source: 'files' as const,
    title: docId,
    url: `${docId}.md`,
    hash: 'h',
    chunks: texts.length,
    indexedAt: '',
  },
  chunks: texts.map((t, i) => chunkOf(docId, i, t)),
});

describe('chunks held in memory', () => {
  it('are the ones searches found, kept until their rows are rewritten or compaction moves them', async () => {
    const tmp = await tempDir();
    const store = await EmbeddedStore.open({
      dir: tmp.dir,
      identity: { embeddings: 'none', dimensions: 0 },
    });
    const found = async (text: string) => (await store.search({ text, limit: 5 })).map((h) => h.chunk.text);
    try {
      await store.replaceDocuments([write('a', ['alpha one', 'alpha two']), write('b', ['beta one'])]);
      expect(store.cachedChunks).toBe(0); // writing alone (an ingest run) reads nothing in
      expect(await found('beta')).toEqual(['beta one']);
      expect(store.cachedChunks).toBe(1);
      expect((await found('alpha')).sort()).toEqual(['alpha one', 'alpha two']);
      expect(await found('beta')).toEqual(['beta one']);
      expect(store.cachedChunks).toBe(3);

      await store.replaceDocuments([write('b', ['beta rewritten'])]);
      expect(store.cachedChunks).toBe(2); // b's old row is dead: forgotten at once
      expect(await found('beta')).toEqual(['beta rewritten']);
      await store.optimize();
      expect(store.cachedChunks).toBe(0);
      expect(await found('beta')).toEqual(['beta rewritten']);
      expect(store.cachedChunks).toBe(1);
    } finally {
      await store.close();
      await tmp.remove();
    }
  });
});

describe('search indexes', () => {
  it('are loaded before the first search queries them, and again after an optimize', async () => {
    const tmp = await tempDir();
    const store = await EmbeddedStore.open({ dir: tmp.dir, identity: { embeddings: 'none', dimensions: 0 } });
    // LanceDB races a prewarm against a query loading the same full-text partitions (it then logs an
    // internal error), so the order is what matters: every prewarm has ended before any query starts.
    const table = (
      store as unknown as { chunks: { prewarmIndex(n: string): Promise<void>; query(): unknown } }
    ).chunks;
    const events: string[] = [];
    const prewarm = table.prewarmIndex.bind(table);
    table.prewarmIndex = async (name) => {
      events.push('prewarm');
      await new Promise((resolve) => setTimeout(resolve, 30));
      await prewarm(name);
      events.push('prewarmed');
    };
    const query = table.query.bind(table);
    table.query = () => {
      events.push('query');
      return query();
    };
    try {
      await store.replaceDocuments([write('a', ['alpha one']), write('b', ['beta one'])]);
      await store.optimize();
      await Promise.all([
        store.search({ text: 'alpha', limit: 5 }),
        store.search({ text: 'beta', limit: 5 }),
      ]);
      // One prewarm per index (full text, and the scalar indexes filters use), each over before the next.
      const indexes = (await (table as unknown as lancedb.Table).listIndices()).length;
      const prewarms = Array.from({ length: indexes }, () => ['prewarm', 'prewarmed']).flat();
      expect(indexes).toBeGreaterThanOrEqual(4);
      expect(events).toEqual([...prewarms, 'query', 'query']);

      events.length = 0;
      await store.optimize();
      expect(await store.search({ text: 'beta', limit: 5 })).toHaveLength(1);
      expect(events).toEqual([...prewarms, 'query']);
    } finally {
      await store.close();
      await tmp.remove();
    }
  });
});

describe('filtered search', () => {
  /** A Confluence page in a space, or (no space) a plain file. */
  const doc = (id: string, text: string, spaceKey?: string) => {
    const w = write(id, [text]);
    if (!spaceKey) return w;
    const confluence = { source: 'confluence' as const, spaceKey };
    return { record: { ...w.record, ...confluence }, chunks: w.chunks.map((c) => ({ ...c, ...confluence })) };
  };

  it('goes through scalar indexes on source, space and document, and still sees rows written since', async () => {
    const tmp = await tempDir();
    const store = await EmbeddedStore.open({ dir: tmp.dir, identity: { embeddings: 'none', dimensions: 0 } });
    const table = async () => (await lancedb.connect(tmp.dir)).openTable('chunks');
    const found = async (filter: SearchFilter) =>
      (await store.search({ text: 'falcon', limit: 10, filter })).map((h) => h.chunk.docId).sort();
    try {
      await store.replaceDocuments([
        doc('ops-1', 'falcon runbook', 'OPS'),
        doc('hr-1', 'falcon policy', 'HR'),
        doc('file-1', 'falcon readme'),
      ]);
      await store.optimize();
      const indexes = Object.fromEntries(
        (await (await table()).listIndices()).map((i) => [i.columns[0], i.indexType]),
      );
      expect(indexes).toMatchObject({ source: 'Bitmap', spaceKey: 'Bitmap', docId: 'BTree' });
      // A Forge user's filter (the spaces they may see) is answered from the bitmaps, not a scan of every row.
      const plan = await (
        await table()
      )
        .query()
        .where(filterPredicate({ confluenceSpaces: ['OPS'] })!)
        .explainPlan();
      expect(plan).toMatch(/ScalarIndexQuery.*source_idx.*spaceKey_idx/s);

      // Written after the indexes: searched through the same filters before the next optimize folds them in.
      await store.replaceDocuments([doc('ops-2', 'falcon checklist', 'OPS'), doc('file-2', 'falcon notes')]);
      expect(await found({ confluenceSpaces: ['OPS'] })).toEqual(['file-1', 'file-2', 'ops-1', 'ops-2']);
      expect(await found({ confluenceSpaces: [] })).toEqual(['file-1', 'file-2']);
      expect(await found({ spaceKeys: ['HR'] })).toEqual(['hr-1']);
      expect(await found({ sources: ['confluence'], excludeDocIds: ['ops-1'] })).toEqual(['hr-1', 'ops-2']);
      expect((await store.documentChunks('ops-2', 0, 5)).map((c) => c.text)).toEqual(['falcon checklist']);
      await store.optimize();
      expect(await found({ confluenceSpaces: ['HR', 'OPS'] })).toEqual([
        'file-1',
        'file-2',
        'hr-1',
        'ops-1',
        'ops-2',
      ]);
    } finally {
      await store.close();
      await tmp.remove();
    }
  });
});

describe('dense search at scale', () => {
  const indexTypes = async (dir: string) => {
    const lancedb = await import('@lancedb/lancedb');
    const table = await (await lancedb.connect(dir)).openTable('chunks');
    return Object.fromEntries((await table.listIndices()).map((i) => [i.columns[0], i.indexType]));
  };

  async function tenThousandChunks() {
    const { HashingEmbedder } = await import('../fakes/hashing-embedder.js');
    const embedder = new HashingEmbedder(32);
    const text = (i: number) => `topic${i % 997} note${i} about item${i % 13}`;
    const writes = Array.from({ length: 1000 }, (_, d) => ({
      record: {
        id: `d${d}`,
        source: 'files' as const,
        title: `Doc ${d}`,
        url: `d${d}.md`,
        hash: 'h',
        chunks: 10,
        indexedAt: '',
      },
      chunks: Array.from({ length: 10 }, (_, o) => ({
        id: `d${d}#${o}`,
        docId: `d${d}`,
        ordinal: o,
        source: 'files' as const,
        title: `Doc ${d}`,
        headingPath: [`Doc ${d}`],
        url: `d${d}.md`,
        text: text(d * 10 + o),
        vector: embedder.vector(text(d * 10 + o)),
      })),
    }));
    /**
     * Of the store's top 10 for 50 probes, the share as near as the exact scan's 10th: recall that counts
     * ties (frequent with hashed vectors) as found.
     */
    const recallAt10 = async (store: EmbeddedStore) => {
      let found = 0;
      for (let p = 0; p < 50; p++) {
        const query = embedder.vector(text(p * 197 + 5));
        const hits = await store.search({ text: '', vector: query, limit: 10 });
        const tenth = writes
          .flatMap((w) => w.chunks)
          .map((c) => cosine(query, c.vector))
          .sort((a, b) => b - a)[9]!;
        found += hits.filter((h) => (h.similarity ?? 0) >= tenth - 1e-4).length;
      }
      return found / 500;
    };
    return { embedder, text, writes, recallAt10 };
  }

  it('builds an IVF vector index from 10,000 chunks that finds what an exact scan finds', async () => {
    const { embedder, text, writes, recallAt10 } = await tenThousandChunks();
    const tmp = await tempDir();
    const store = await EmbeddedStore.open({
      dir: tmp.dir,
      identity: { embeddings: embedder.id, dimensions: 32 },
    });
    try {
      await store.replaceDocuments(writes);
      await store.optimize();
      expect(await indexTypes(tmp.dir)).toMatchObject({ vector: 'IvfFlat' });
      const hits = await store.search({ text: '', vector: embedder.vector(text(4242)), limit: 5 });
      expect(hits[0]!.chunk.id).toBe('d424#2');
      expect(await recallAt10(store)).toBeGreaterThanOrEqual(0.99);
    } finally {
      await store.close();
      await tmp.remove();
    }
  }, 120_000);

  it('quantises the vector index once full vectors would outgrow memory, and re-scores to keep recall', async () => {
    const { embedder, text, writes, recallAt10 } = await tenThousandChunks();
    const tmp = await tempDir();
    // 10,000 vectors of 32 floats are 1.28 MB: one byte under it, the store quantises.
    const open = (flatIndexBytesMax: number) =>
      EmbeddedStore.open({
        dir: tmp.dir,
        identity: { embeddings: embedder.id, dimensions: 32 },
        flatIndexBytesMax,
      });
    let store = await open(10_000 * 32 * 4);
    try {
      await store.replaceDocuments(writes);
      await store.optimize();
      expect(await indexTypes(tmp.dir)).toMatchObject({ vector: 'IvfFlat' });
      await store.close();
      store = await open(10_000 * 32 * 4 - 1);
      await store.optimize();
      expect(await indexTypes(tmp.dir)).toMatchObject({ vector: 'IvfPq' });
      const hits = await store.search({ text: '', vector: embedder.vector(text(4242)), limit: 5 });
      expect(hits[0]!.chunk.id).toBe('d424#2');
      // The similarity reported is the full vectors' (re-scored), not the codes' estimate.
      expect(hits[0]!.similarity).toBeCloseTo(1, 5);
      expect(await recallAt10(store)).toBeGreaterThanOrEqual(0.95);
    } finally {
      await store.close();
      await tmp.remove();
    }
  }, 120_000);

  it('replaces the HNSW index of earlier versions at the next optimize, and searches it well until then', async () => {
    const { embedder, writes, recallAt10 } = await tenThousandChunks();
    const lancedb = await import('@lancedb/lancedb');
    const tmp = await tempDir();
    let store = await EmbeddedStore.open({
      dir: tmp.dir,
      identity: { embeddings: embedder.id, dimensions: 32 },
    });
    try {
      await store.replaceDocuments(writes);
      await store.close();
      const table = await (await lancedb.connect(tmp.dir)).openTable('chunks');
      await table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'cosine' }) });
      table.close();
      store = await EmbeddedStore.open({
        dir: tmp.dir,
        identity: { embeddings: embedder.id, dimensions: 32 },
      });
      expect(await indexTypes(tmp.dir)).toMatchObject({ vector: 'IvfHnswSq' });
      expect(await recallAt10(store)).toBeGreaterThanOrEqual(0.95);
      await store.optimize();
      expect(await indexTypes(tmp.dir)).toMatchObject({ vector: 'IvfFlat' });
      expect(await recallAt10(store)).toBeGreaterThanOrEqual(0.99);
    } finally {
      await store.close();
      await tmp.remove();
    }
  }, 120_000);
});
