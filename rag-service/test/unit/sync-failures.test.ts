import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JOB_FAILURES_KEPT } from '@kb/contracts';
import { Indexer } from '../../src/ingest/indexer.js';
import { FolderSource } from '../../src/ingest/sources/files.js';
import { syncSource, syncSources, type SyncReport } from '../../src/ingest/sync.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import type { VectorStore } from '../../src/store/vector-store.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';
import { makeInflatingPdf } from '../helpers/hostile-pdf.js';
import { makePdf } from '../helpers/pdf.js';
import { tempDir } from '../helpers/temp.js';

/** Returns vectors of the wrong size: the batch fails at once, without retries. */
class BrokenEmbedder extends HashingEmbedder {
  override async embedBatch(texts: string[]): Promise<number[][]> {
    return texts.map(() => [1, 0, 0]);
  }
}

describe('syncSource: documents that fail, and why', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let store: VectorStore;
  const folder = (dir: string) => new FolderSource({ dir, name: 'files', idPrefix: 'file:', urlPrefix: '' });

  beforeEach(async () => {
    tmp = await tempDir();
    store = await EmbeddedStore.open({
      dir: path.join(tmp.dir, 'index'),
      identity: { embeddings: 'none', dimensions: 0 },
    });
  });
  afterEach(async () => {
    await store.close();
    await tmp.remove();
  });

  it('names each document that could not be read, with the reason, and indexes the rest', async () => {
    await writeFile(path.join(tmp.dir, 'a-guide.md'), '# Guide\n\nThe pelican cache holds ten entries.');
    await writeFile(path.join(tmp.dir, 'bomb.pdf'), makeInflatingPdf(10 * 1024 * 1024));
    await writeFile(path.join(tmp.dir, 'broken.pdf'), Buffer.from('%PDF-1.4 not really'));
    await writeFile(
      path.join(tmp.dir, 'huge.pdf'),
      makePdf(Array.from({ length: 2_001 }, (_, i) => [`page ${i + 1}`])),
    );
    const reports: SyncReport[] = [];
    const report = await syncSource({
      source: folder(tmp.dir),
      store,
      indexer: new Indexer(store, undefined),
      onProgress: (r) => reports.push(r),
    });
    expect(report).toMatchObject({ discovered: 4, processed: 4, indexed: 1, failed: 3 });
    expect(report.failures).toEqual([
      {
        document: 'file:bomb.pdf',
        reason:
          'page 1 of the PDF holds over 1,000,000 characters of text; at most 1,000,000 are read from one page',
      },
      { document: 'file:broken.pdf', reason: expect.any(String) },
      { document: 'file:huge.pdf', reason: 'the PDF has 2,001 pages; at most 2,000 are read' },
    ]);
    expect(report.failures[1]?.reason).not.toBe('');
    // Failures show while the sync runs, not only at its end.
    expect(reports.find((r) => r.failed === 1)?.failures.map((f) => f.document)).toEqual(['file:bomb.pdf']);
    expect((await store.listDocuments()).map((d) => d.id)).toEqual(['file:a-guide.md']);
  });

  it(`keeps the first ${JOB_FAILURES_KEPT} failures; progress.failed counts them all`, async () => {
    for (let i = 0; i < 25; i++)
      await writeFile(
        path.join(tmp.dir, `bad-${String(i).padStart(2, '0')}.txt`),
        Buffer.from([0xff, 0xfe, 0]),
      );
    const report = await syncSource({
      source: folder(tmp.dir),
      store,
      indexer: new Indexer(store, undefined),
    });
    expect(report.failed).toBe(25);
    expect(report.failures).toHaveLength(JOB_FAILURES_KEPT);
    expect(report.failures[0]?.document).toBe('file:bad-00.txt');
    expect(report.failures[19]?.document).toBe('file:bad-19.txt');
  });

  it('names documents whose indexing failed, and gathers failures over several sources', async () => {
    const embedder = new BrokenEmbedder(32, 8);
    const embedded = await EmbeddedStore.open({
      dir: path.join(tmp.dir, 'index-embedded'),
      identity: { embeddings: embedder.id, dimensions: 32 },
    });
    try {
      const one = path.join(tmp.dir, 'one');
      const two = path.join(tmp.dir, 'two');
      await Promise.all([one, two].map((dir) => mkdir(dir)));
      await writeFile(path.join(one, 'notes.txt'), 'Backups run nightly.');
      await writeFile(path.join(two, 'broken.pdf'), Buffer.from('%PDF-1.4 not really'));
      const report = await syncSources([folder(one), folder(two)], {
        store: embedded,
        indexer: new Indexer(embedded, embedder),
      });
      expect(report.failed).toBe(2);
      expect(report.failures).toEqual([
        {
          document: 'file:notes.txt',
          reason: expect.stringMatching(/^could not be indexed: .*returned 1 vectors/),
        },
        { document: 'file:broken.pdf', reason: expect.any(String) },
      ]);
    } finally {
      await embedded.close();
    }
  });
});
