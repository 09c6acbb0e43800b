import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ChatResponse, IndexStatus } from '@kb/contracts';
import request from 'supertest';
import { migrateToQdrant } from '../../src/cli/migrate.js';
import { ExtractiveAnswerer, LexicalCondenser } from '../../src/chat/extractive.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import type { VectorStore } from '../../src/store/vector-store.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';
import { OpenAITestServer } from '../fakes/openai-server.js';
import { QdrantTestServer } from '../fakes/qdrant-server.js';
import { parseSse, startTestService, useTestService } from '../helpers/service.js';

const REINDEX = 'How do I reindex the knowledge base?';

/**
 * A Qdrant test server and the whole service on it, for the enclosing describe: each describe has its own,
 * so what one test uploads or edits is never in another's index.
 */
function useQdrantService() {
  const qdrant = new QdrantTestServer('qdrant-key');
  beforeAll(() => qdrant.start());
  afterAll(() => qdrant.close());
  // Getters: the server's URL exists only once its beforeAll (registered first, so run first) has started it.
  const t = useTestService({
    get QDRANT_URL() {
      return qdrant.url;
    },
    QDRANT_API_KEY: 'qdrant-key',
  });
  afterEach(() => {
    expect(qdrant.violations).toEqual([]);
  });
  return { qdrant, t };
}

describe('the whole service on Qdrant (QDRANT_URL set, lexical retrieval)', () => {
  const { qdrant, t } = useQdrantService();

  it('reports Qdrant in the index status, with the sample docs in it', async () => {
    const status = IndexStatus.parse((await request(t.url).get('/api/v1/admin/index').expect(200)).body);
    expect(status.store).toEqual({ kind: 'qdrant', location: `${qdrant.url}/collections/knowledge` });
    expect(status.documents).toBe(9);
    expect(status.chunks).toBeGreaterThan(20);
    expect(qdrant.collections.get('knowledge')?.metadata).toEqual({
      embeddings: 'none',
      dimensions: 0,
      schemaVersion: 1,
    });
  });

  it('answers with a cited source, in JSON and as a stream', async () => {
    const json = ChatResponse.parse(
      (await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200)).body,
    );
    expect(json.sources[0]?.id).toMatch(/^file:reindexing\.md#/);
    expect(json.sources.some((s) => s.cited)).toBe(true);
    const res = await request(t.url)
      .post('/api/v1/chat')
      .set('Accept', 'text/event-stream')
      .send({ message: REINDEX })
      .buffer(true)
      .parse((r, cb) => {
        let data = '';
        r.on('data', (c: Buffer) => (data += c.toString()));
        r.on('end', () => cb(null, data));
      });
    const events = parseSse(res.body as string).map((e) => e.event);
    expect(events[0]).toBe('sources');
    expect(events.at(-1)).toBe('done');
    expect(
      (await request(t.url).post('/api/v1/chat').send({ message: 'What is the capital of France?' })).body
        .sources,
    ).toEqual([]);
  });

  it('an outage of Qdrant: readiness down, chat a clean 503, and back when it returns', async () => {
    qdrant.outage = 503;
    try {
      expect((await request(t.url).get('/readyz')).status).toBe(503);
      const chat = await request(t.url).post('/api/v1/chat').send({ message: REINDEX });
      expect(chat.status).toBe(503);
      expect(chat.body.error.code).toBe('upstream_unavailable');
    } finally {
      qdrant.outage = undefined;
    }
    await request(t.url).get('/readyz').expect(200);
    await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200);
  });
});

describe('the whole service on Qdrant, as its documents change', () => {
  const { t } = useQdrantService();

  it('indexes an upload at once, and re-indexes exactly what changed', async () => {
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('# Pelicans\n\nPelican mode doubles the cache.'), 'pelicans.md')
      .expect(201);
    expect(
      (await request(t.url).post('/api/v1/chat').send({ message: 'what does pelican mode do' })).body
        .sources[0].id,
    ).toBe('upload:local/pelicans.md#0');

    await writeFile(path.join(t.docsDir, 'walrus.md'), '# Walrus\n\nWalrus mode halves the cache.');
    const add = await request(t.url).post('/api/v1/admin/reindex').send({}).expect(202);
    expect((await t.service.jobs.whenFinished(add.body.jobId)).progress).toMatchObject({
      indexed: 1,
      deleted: 0,
    });

    await writeFile(path.join(t.docsDir, 'walrus.md'), '# Walrus\n\nWalrus mode triples the cache.');
    const edit = await request(t.url).post('/api/v1/admin/reindex').send({}).expect(202);
    expect((await t.service.jobs.whenFinished(edit.body.jobId)).progress).toMatchObject({
      indexed: 1,
      unchanged: 10,
    });
    const answer = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'what does walrus mode do to the cache' });
    expect(answer.body.answer).toContain('triples');
    expect(answer.body.answer).not.toContain('halves');

    await rm(path.join(t.docsDir, 'walrus.md'));
    const del = await request(t.url).post('/api/v1/admin/reindex').send({}).expect(202);
    expect((await t.service.jobs.whenFinished(del.body.jobId)).progress).toMatchObject({ deleted: 1 });
    const gone = (await request(t.url).post('/api/v1/chat').send({ message: 'walrus mode' })).body
      .sources as { id: string }[];
    expect(gone.filter((s) => s.id.includes('walrus'))).toEqual([]);
  });
});

describe('Qdrant with a language model and embeddings (hybrid through the Query API)', () => {
  const qdrant = new QdrantTestServer();
  const openai = new OpenAITestServer();
  beforeAll(async () => {
    await qdrant.start();
    await openai.start();
  });
  afterAll(async () => {
    await qdrant.close();
    await openai.close();
  });
  const t = useTestService({
    get QDRANT_URL() {
      return qdrant.url;
    },
    get OPENAI_API_KEY() {
      return openai.apiKey;
    },
    get OPENAI_BASE_URL() {
      return openai.baseUrl;
    },
  });

  it('fuses dense and sparse results with RRF in Qdrant, and answers with a citation', async () => {
    const res = await request(t.url).post('/api/v1/chat').send({ message: REINDEX }).expect(200);
    expect(res.body.answer).toMatch(/\[1\]$/);
    expect(res.body.sources[0].id).toMatch(/^file:reindexing\.md#/);
    const query = qdrant.requests.filter((r) => r.path.endsWith('/points/query')).at(-1)?.body as Record<
      string,
      unknown
    >;
    expect(query.query).toEqual({ rrf: { k: 60 } });
    expect((query.prefetch as { using: string }[]).map((p) => p.using)).toEqual(['dense', 'lexical']);
    expect(qdrant.collections.get('knowledge')?.metadata).toMatchObject({
      embeddings: 'openai:text-embedding-3-small',
      dimensions: 64,
    });
    expect(qdrant.violations).toEqual([]);
  });
});

describe('moving up: migrate-to-qdrant', () => {
  it('copies an embedded index with its vectors, without re-embedding, and the service answers the same from Qdrant', async () => {
    const embedder = new HashingEmbedder(64);
    const models = { answerer: new ExtractiveAnswerer(), condenser: new LexicalCondenser(), embedder };
    const embedded = await startTestService({}, { models });
    await embedded.synced;
    const before = (await request(embedded.url).post('/api/v1/chat').send({ message: REINDEX })).body;
    const textsEmbedded = embedder.texts;
    await embedded.service.close();

    const qdrant = await new QdrantTestServer().start();
    try {
      const result = await migrateToQdrant([], { DATA_DIR: embedded.dataDir, QDRANT_URL: qdrant.url });
      expect(result).toMatchObject({ documents: 9 });
      expect(result.chunks).toBeGreaterThan(20);
      expect(embedder.texts).toBe(textsEmbedded);
      expect(qdrant.violations).toEqual([]);

      const onQdrant = await startTestService({ QDRANT_URL: qdrant.url }, { models });
      try {
        await onQdrant.synced;
        const job = (await onQdrant.service.jobs.list())[0];
        expect(job?.progress).toMatchObject({ indexed: 0, unchanged: 9 });
        const after = (await request(onQdrant.url).post('/api/v1/chat').send({ message: REINDEX })).body;
        // Two engines rank the tail differently (their BM25 and RRF constants differ); the best passage is the same.
        expect(after.sources[0].id).toBe(before.sources[0].id);
        const exported = async (store: VectorStore) => {
          const chunks = new Map<string, number[] | undefined>();
          for await (const batch of store.exportDocuments())
            for (const w of batch) for (const c of w.chunks) chunks.set(c.id, c.vector);
          return chunks;
        };
        const copy = await exported(onQdrant.service.store);
        const original = await EmbeddedStore.open({
          dir: path.join(embedded.dataDir, 'index'),
          identity: { embeddings: embedder.id, dimensions: 64 },
        });
        const source = await exported(original);
        await original.close();
        expect([...copy.keys()].sort()).toEqual([...source.keys()].sort());
        for (const [id, vector] of source)
          copy.get(id)!.forEach((x, i) => expect(x).toBeCloseTo(vector![i]!, 6));
      } finally {
        await onQdrant.close();
      }
      await expect(
        migrateToQdrant([], { DATA_DIR: embedded.dataDir, QDRANT_URL: qdrant.url }),
      ).resolves.toMatchObject({ documents: 9 });
    } finally {
      await qdrant.close();
      await embedded.close().catch(() => undefined);
    }
  });
});
