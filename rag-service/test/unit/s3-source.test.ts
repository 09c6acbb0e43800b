import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Indexer } from '../../src/ingest/indexer.js';
import { S3Source, s3Url } from '../../src/ingest/sources/s3.js';
import { s3Client } from '../../src/ingest/sources/s3-bucket.js';
import { MassDeletionError, syncSource } from '../../src/ingest/sync.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import type { VectorStore } from '../../src/store/vector-store.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';
import { S3_TEST_CREDENTIALS, S3TestServer } from '../fakes/s3-server.js';
import { tempDir } from '../helpers/temp.js';

const BUCKET = 'kb-unit';

/** The S3 source itself, through the AWS SDK against S3 on loopback, synced into an embedded store. */
describe('S3Source', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s3: S3TestServer;
  let client: S3Client;
  let store: VectorStore;
  let indexer: Indexer;
  const saved = { ...process.env };
  const source = (prefix: string, options: Partial<ConstructorParameters<typeof S3Source>[0]> = {}) =>
    new S3Source({
      client: s3Client({
        bucket: BUCKET,
        prefix,
        region: 'us-east-1',
        endpoint: s3.url,
        forcePathStyle: true,
      }),
      location: { bucket: BUCKET, prefix, region: 'us-east-1', endpoint: s3.url, forcePathStyle: true },
      name: 's3',
      idPrefix: 's3:',
      urlOf: (_rel, key) => s3Url(BUCKET, key),
      ...options,
    });
  const put = (Key: string, Body: string) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  const gets = (key: string) => s3.requests.filter((r) => r.startsWith(`GET /${BUCKET}/${key}`)).length;

  beforeEach(async () => {
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    tmp = await tempDir();
    s3 = await new S3TestServer(path.join(tmp.dir, 's3')).start();
    client = await s3.bucket(BUCKET);
    const embedder = new HashingEmbedder(32, 8);
    store = await EmbeddedStore.open({
      dir: path.join(tmp.dir, 'index'),
      identity: { embeddings: embedder.id, dimensions: 32 },
    });
    indexer = new Indexer(store, embedder);
  });
  afterEach(async () => {
    await store.close();
    await s3.close();
    await tmp.remove();
    process.env = saved;
  });

  it('never downloads an object past the size limit, reading ahead or in its turn', async () => {
    await put('docs/a.md', '# A\n\nSmall.');
    await put('docs/b.md', `# B\n\n${'Large text. '.repeat(200)}`);
    await put('docs/c.md', '# C\n\nSmall too.');
    const report = await syncSource({ source: source('docs/', { maxObjectBytes: 1000 }), store, indexer });
    expect(report).toMatchObject({ discovered: 3, indexed: 2, failed: 1 });
    expect(report.failures[0]).toMatchObject({ document: 's3:b.md' });
    expect(report.failures[0]?.reason).toMatch(/more than the 0 MB read from S3: it was not downloaded/);
    expect(gets('docs/b.md')).toBe(0);
    expect(gets('docs/a.md')).toBe(1);
    expect(gets('docs/c.md')).toBe(1);
  });

  it('reads ahead within a byte budget, each object once', async () => {
    for (let i = 0; i < 6; i++) await put(`docs/p${i}.md`, `# P${i}\n\n${'Words here. '.repeat(40)}`);
    const s = source('docs/', { readAheadBytes: 1200 });
    const items = await s.list();
    await s.prefetch(items);
    await items[0]!.load();
    // Each object is about 500 bytes: the one read and at most one more fit in 1,200.
    const started = items.map((_, i) => gets(`docs/p${i}.md`));
    expect(started.slice(0, 2)).toEqual([1, 1]);
    expect(started.slice(2)).toEqual([0, 0, 0, 0]);
    for (const item of items.slice(1)) await item.load();
    expect(items.map((_, i) => gets(`docs/p${i}.md`))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('stops before deleting anything when a mistyped prefix lists nothing, and a full run confirms', async () => {
    await put('docs/a.md', '# A\n\nKept.');
    expect((await syncSource({ source: source('docs/'), store, indexer })).indexed).toBe(1);
    const typo = syncSource({ source: source('Docs/'), store, indexer });
    await expect(typo).rejects.toThrow(MassDeletionError);
    await expect(syncSource({ source: source('Docs/'), store, indexer })).rejects.toThrow(
      /nothing is listed under "Docs\/" in bucket "kb-unit": check S3_BUCKET and S3_PREFIX.*nothing was deleted/,
    );
    expect((await store.listDocuments('s3')).map((d) => d.id)).toEqual(['s3:a.md']);
    expect((await syncSource({ source: source('Docs/'), store, indexer, full: true })).deleted).toBe(1);
  });

  it('skips dot-files as a folder does, and links a key with # and ? percent-encoded', async () => {
    await put('docs/.env.md', '# Secret\n\nA dot-file.');
    await put('docs/what #1?.md', '# Odd\n\nAn odd name.');
    const items = await source('docs/').list();
    expect(items.map((i) => i.id)).toEqual(['s3:what #1?.md']);
    expect((await items[0]!.load()).url).toBe(`s3://${BUCKET}/docs/what%20%231%3F.md`);
  });

  it('retries throttling up to six attempts in all', async () => {
    await put('docs/a.md', '# A\n\nThrottled.');
    s3.fail({ status: 503, code: 'SlowDown', times: 5, only: /list-type=2/ });
    expect((await source('docs/').list()).map((i) => i.id)).toEqual(['s3:a.md']);
    expect(s3.requests.filter((r) => r.includes('list-type=2'))).toHaveLength(6);
  }, 60_000);
});
