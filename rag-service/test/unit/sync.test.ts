import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Indexer } from '../../src/ingest/indexer.js';
import { FolderSource } from '../../src/ingest/sources/files.js';
import { syncSource } from '../../src/ingest/sync.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import type { DocumentWrite, VectorStore } from '../../src/store/vector-store.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';
import { makePdf } from '../helpers/pdf.js';
import { thousandChunkSource } from '../helpers/synthetic.js';
import { tempDir } from '../helpers/temp.js';

/** The export's write for one document. */
async function collect(batches: AsyncIterable<DocumentWrite[]>, id: string): Promise<DocumentWrite[]> {
  const out: DocumentWrite[] = [];
  for await (const batch of batches) out.push(...batch.filter((w) => w.record.id === id));
  return out;
}

describe('syncSource over a folder', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let docs: string;
  let store: VectorStore;
  let embedder: HashingEmbedder;
  let source: FolderSource;
  let indexer: Indexer;

  const sync = (full = false) => syncSource({ source, store, indexer, full });
  const search = async (text: string) => (await store.search({ text, limit: 10 })).map((h) => h.chunk.docId);

  beforeEach(async () => {
    tmp = await tempDir();
    docs = path.join(tmp.dir, 'docs');
    await mkdir(path.join(docs, 'guides'), { recursive: true });
    await writeFile(
      path.join(docs, 'tokens.md'),
      '# API tokens\n\n## Rotate\n\nRotate the token every ninety days.',
    );
    await writeFile(
      path.join(docs, 'guides', 'deploy.html'),
      '<h1>Deploying</h1><p>Deploy with the container image.</p>',
    );
    await writeFile(path.join(docs, 'notes.txt'), 'Backups run nightly.');
    await writeFile(path.join(docs, 'manual.pdf'), makePdf([['Escalate outages to the on-call engineer.']]));
    await writeFile(path.join(docs, 'image.png'), Buffer.from([0x89, 0x50]));
    embedder = new HashingEmbedder(32, 8);
    store = await EmbeddedStore.open({
      dir: path.join(tmp.dir, 'index'),
      identity: { embeddings: embedder.id, dimensions: 32 },
    });
    source = new FolderSource({ dir: docs, name: 'files', idPrefix: 'file:', urlPrefix: '' });
    indexer = new Indexer(store, embedder);
  });
  afterEach(async () => {
    await store.close();
    await tmp.remove();
  });

  it('indexes every supported file, recursively, with links to the file and heading', async () => {
    const progress = await sync();
    expect(progress).toMatchObject({
      discovered: 4,
      processed: 4,
      indexed: 4,
      unchanged: 0,
      deleted: 0,
      failed: 0,
    });
    expect((await store.listDocuments()).map((d) => d.id).sort()).toEqual([
      'file:guides/deploy.html',
      'file:manual.pdf',
      'file:notes.txt',
      'file:tokens.md',
    ]);
    const [hit] = await store.search({ text: 'rotate token', limit: 1 });
    expect(hit?.chunk).toMatchObject({
      title: 'API tokens',
      headingPath: ['API tokens', 'Rotate'],
      url: 'tokens.md#rotate',
    });
    expect(await search('escalate outages on-call')).toEqual(['file:manual.pdf']);
  });

  it('a second run changes nothing and makes no embedding call', async () => {
    await sync();
    const calls = embedder.calls;
    const progress = await sync();
    expect(progress).toMatchObject({ discovered: 4, indexed: 0, unchanged: 4, deleted: 0 });
    expect(embedder.calls).toBe(calls);
  });

  it('re-indexes exactly the edited file: new text answerable, old text gone', async () => {
    await sync();
    const texts = embedder.texts;
    await writeFile(path.join(docs, 'notes.txt'), 'Snapshots are taken hourly.');
    const progress = await sync();
    expect(progress).toMatchObject({ indexed: 1, unchanged: 3 });
    expect(embedder.texts - texts).toBe(1);
    expect(await search('snapshots hourly')).toEqual(['file:notes.txt']);
    expect(await search('backups nightly')).toEqual([]);
  });

  it('removes the chunks of a deleted file', async () => {
    await sync();
    await rm(path.join(docs, 'guides', 'deploy.html'));
    expect(await sync()).toMatchObject({ deleted: 1, unchanged: 3 });
    expect(await search('deploy container image')).toEqual([]);
  });

  it('counts an unreadable file as failed and keeps going', async () => {
    await writeFile(path.join(docs, 'broken.pdf'), Buffer.from('%PDF-1.4 not really'));
    const progress = await sync();
    expect(progress).toMatchObject({ discovered: 5, indexed: 4, failed: 1 });
  });

  it('full: true re-indexes unchanged files too', async () => {
    await sync();
    expect(await sync(true)).toMatchObject({ indexed: 4, unchanged: 0 });
  });

  it('rebuilds, on an ordinary sync, documents an older conversion indexed, and skips them afterwards', async () => {
    await sync();
    // As an older release left them: the same content hash, recorded without this conversion's version.
    const records = await store.listDocuments();
    const older = await Promise.all(
      records.map(async (record) => {
        const [write] = await collect(store.exportDocuments(100), record.id);
        return { ...write!, record: { ...record, hash: record.hash.replace(/^v\d+:/, '') } };
      }),
    );
    await store.replaceDocuments(older);
    expect(await sync()).toMatchObject({ indexed: 4, unchanged: 0 });
    expect(await sync()).toMatchObject({ indexed: 0, unchanged: 4 });
  });

  it('fails when the folder does not exist rather than report an empty success', async () => {
    source = new FolderSource({
      dir: path.join(tmp.dir, 'missing'),
      name: 'files',
      idPrefix: 'file:',
      urlPrefix: '',
    });
    await expect(sync()).rejects.toThrow(/cannot read the documents folder/);
  });

  it('stops at once when cancelled', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(syncSource({ source, store, indexer, signal: controller.signal })).rejects.toThrow(
      'cancelled',
    );
  });
});

describe('embedding batches', () => {
  it('1,000 chunks cost ceil(1000 / batch) embedding calls, not 1,000', async () => {
    const tmp = await tempDir();
    const embedder = new HashingEmbedder(16, 64);
    const store = await EmbeddedStore.open({
      dir: tmp.dir,
      identity: { embeddings: embedder.id, dimensions: 16 },
    });
    try {
      const indexer = new Indexer(store, embedder);
      const progress = await syncSource({
        source: thousandChunkSource(),
        store,
        indexer,
      });
      expect(progress.chunks).toBe(1000);
      expect(embedder.texts).toBe(1000);
      expect(embedder.calls).toBe(Math.ceil(1000 / 64));
    } finally {
      await store.close();
      await tmp.remove();
    }
  });
});
