import { QdrantClient } from '@qdrant/js-client-rest';
import { QdrantStore } from '../../src/store/qdrant.js';
import { describeVectorStore } from '../conformance/vector-store.js';
import { OpenApiValidator, SPECS_DIR } from '../fakes/openapi-validator.js';
import { QdrantTestServer } from '../fakes/qdrant-server.js';

describeVectorStore('Qdrant (js-client-rest against the spec-checked test server)', async () => {
  const server = await new QdrantTestServer('qdrant-key').start();
  return {
    open: (identity, options) =>
      QdrantStore.open({
        url: server.url,
        apiKey: 'qdrant-key',
        collection: 'knowledge',
        identity,
        reset: options?.reset,
      }),
    cleanup: async () => {
      await server.close();
      // Any request the real Qdrant would refuse for its shape fails the test that made it.
      expect(server.violations).toEqual([]);
    },
  };
});

describe('the Qdrant spec check', () => {
  let server: QdrantTestServer;
  beforeEach(async () => {
    server = await new QdrantTestServer().start();
  });
  afterEach(() => server.close());

  it('catches a malformed request: a string point id that is not a UUID', async () => {
    const client = new QdrantClient({ url: server.url, checkCompatibility: false });
    await client.createCollection('c', { vectors: {} });
    const err = await client
      .upsert('c', { wait: true, points: [{ id: 'file:guide.md#3', vector: {}, payload: {} }] })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect(server.violations).toHaveLength(1);
    expect(server.violations[0]?.errors.join(' ')).toMatch(/\/points\/0\/id/);
  });

  it('accepts unsigned integers and UUIDs as ids, and refuses a negative one', async () => {
    const validator = new OpenApiValidator(`${SPECS_DIR}/qdrant-openapi-v1.19.0.json`);
    const upsert = (id: unknown) =>
      validator.validate('PUT', '/collections/c/points', { points: [{ id, vector: {} }] });
    expect(upsert(42)).toEqual([]);
    expect(upsert('550e8400-e29b-41d4-a716-446655440000')).toEqual([]);
    expect(upsert(-1)).not.toEqual([]);
    expect(upsert(1.5)).not.toEqual([]);
    expect(validator.validate('POST', '/collections/c/points/query', { limit: 'ten' })).not.toEqual([]);
    expect(
      validator.validate('POST', '/collections/c/points/query', {
        filter: { must: [{ key: 'a', match: { any: ['x'] } }] },
        limit: 5,
      }),
    ).toEqual([]);
  });

  it('the adapter retries passing faults and gives a clean error when Qdrant stays down', async () => {
    const store = await QdrantStore.open({
      url: server.url,
      collection: 'k',
      identity: { embeddings: 'none', dimensions: 0 },
    });
    await store.replaceDocuments([
      {
        record: {
          id: 'd',
          source: 'files',
          title: 'T',
          url: 'd.md',
          hash: 'h',
          chunks: 1,
          indexedAt: new Date().toISOString(),
        },
        chunks: [
          {
            id: 'd#0',
            docId: 'd',
            ordinal: 0,
            source: 'files',
            title: 'T',
            headingPath: [],
            url: 'd.md',
            text: 'rotate the token',
          },
        ],
      },
    ]);
    server.failNext = 2;
    expect((await store.search({ text: 'rotate', limit: 3 }))[0]?.chunk.id).toBe('d#0');
    server.outage = 503;
    await expect(store.search({ text: 'rotate', limit: 3 })).rejects.toMatchObject({
      code: 'upstream_unavailable',
      message: expect.stringMatching(/Qdrant \(query\).*503 after 4 attempts/),
    });
    server.outage = undefined;
  });

  it('answers like Qdrant: 404 for a missing collection, 409 for a duplicate', async () => {
    const client = new QdrantClient({ url: server.url, checkCompatibility: false });
    await expect(client.getCollection('missing')).rejects.toMatchObject({ status: 404 });
    await client.createCollection('dup', { vectors: {} });
    await expect(client.createCollection('dup', { vectors: {} })).rejects.toMatchObject({ status: 409 });
  });
});
