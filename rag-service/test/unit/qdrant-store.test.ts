import { QdrantClient } from '@qdrant/js-client-rest';
import { pointId } from '../../src/store/point-id.js';
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
        log: options?.log,
      }),
    dropRecord: async (id) => {
      const client = new QdrantClient({
        url: server.url,
        headers: { 'api-key': 'qdrant-key' },
        checkCompatibility: false,
      });
      await client.delete('knowledge_documents', { wait: true, points: [pointId(`document:${id}`)] });
    },
    cleanup: async () => {
      await server.close();
      // Any request the real Qdrant would refuse for its shape fails the test that made it.
      expect(server.violations).toEqual([]);
    },
  };
});

describe('the Qdrant API key', () => {
  const identity = { embeddings: 'none', dimensions: 0 };
  /** Opens a store at `host` (the test server, however addressed); returns what it warned and console.warn saw. */
  async function openAt(host: (port: string) => string) {
    const server = await new QdrantTestServer('qdrant-key').start();
    const warned: string[] = [];
    const consoleWarn = console.warn;
    let printed = 0;
    console.warn = () => printed++;
    try {
      const store = await QdrantStore.open({
        url: `http://${host(new URL(server.url).port)}`,
        apiKey: 'qdrant-key',
        collection: 'knowledge',
        identity,
        log: { warn: (msg: unknown) => warned.push(String(msg)) },
      });
      await store.close();
      return { warned, console: printed };
    } finally {
      console.warn = consoleWarn;
      await server.close();
    }
  }

  it('is sent (the server takes it), with no console warning for a local plain-http Qdrant', async () => {
    expect(await openAt((port) => `127.0.0.1:${port}`)).toEqual({ warned: [], console: 0 });
  });

  it('is warned about once in the log when it would cross the network without TLS', async () => {
    // The same server, addressed as another machine would be (an IPv4-mapped address is not "loopback").
    const { warned, console: printed } = await openAt((port) => `[::ffff:127.0.0.1]:${port}`);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(
      /^QDRANT_API_KEY is sent without TLS to \[::ffff:7f00:1\]:\d+: use an https:\/\/ QDRANT_URL outside a private network$/,
    );
    expect(printed).toBe(0);
  });
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

/** One document of one chunk, as a sync writes it; `hash` tells its versions apart. */
const hangarWrite = (hash: string) => ({
  record: {
    id: 'd',
    source: 'files' as const,
    title: 'Hangar',
    url: 'd.md',
    hash,
    chunks: 1,
    indexedAt: '',
  },
  chunks: [
    {
      id: 'd#0',
      docId: 'd',
      ordinal: 0,
      source: 'files' as const,
      title: 'Hangar',
      headingPath: [],
      url: 'd.md',
      text: `Zeppelin hangar keys, version ${hash}.`,
    },
  ],
});

/**
 * Several instances of the service share one collection, so one instance's repair on opening runs while
 * another may be in the middle of a write. Each test stops a request at the worst moment.
 */
describe('orphan repair beside other instances writing', () => {
  let server: QdrantTestServer;
  beforeEach(async () => {
    server = await new QdrantTestServer().start();
  });
  afterEach(async () => {
    await server.close();
    expect(server.violations).toEqual([]);
  });

  const open = () =>
    QdrantStore.open({ url: server.url, collection: 'k', identity: { embeddings: 'none', dimensions: 0 } });
  const found = async (store: QdrantStore) =>
    (await store.search({ text: 'zeppelin hangar', limit: 3 })).map((h) => h.chunk.text);
  /** The request that writes a document's record with its real hash: a write's last step. */
  const finalRecord = (r: { method: string; path: string; body: unknown }) =>
    r.method === 'PUT' &&
    r.path === '/collections/k_documents/points' &&
    (r.body as { points: { payload: { hash: string } }[] }).points.some((p) => p.payload.hash !== '');

  it('leaves alone a write stopped between its chunks and its record', async () => {
    const writer = await open();
    const held = server.holdNext(finalRecord);
    const writing = writer.replaceDocuments([hangarWrite('h1')]);
    await held.reached;
    const other = await open();
    held.release();
    await writing;
    expect(await found(other)).toEqual(['Zeppelin hangar keys, version h1.']);
  });

  it('checks again for a record before deleting: a write may have begun after the records were listed', async () => {
    const writer = await open();
    const scan = server.holdNext((r) => r.path === '/collections/k/points/scroll');
    const opening = open();
    await scan.reached;
    const held = server.holdNext(finalRecord);
    const writing = writer.replaceDocuments([hangarWrite('h1')]);
    await held.reached;
    scan.release();
    const other = await opening;
    held.release();
    await writing;
    expect(await found(other)).toEqual(['Zeppelin hangar keys, version h1.']);
  });

  it('deletes only the points it found orphaned, not those a newer write put in their place', async () => {
    const crashed = await open();
    await crashed.replaceDocuments([hangarWrite('h1')]);
    const client = new QdrantClient({ url: server.url, checkCompatibility: false });
    await client.delete('k_documents', { wait: true, points: [pointId('document:d')] });
    const removal = server.holdNext((r) => r.path === '/collections/k/points/delete');
    const opening = open();
    await removal.reached;
    await crashed.replaceDocuments([hangarWrite('h2')]);
    removal.release();
    const other = await opening;
    expect(await found(other)).toEqual(['Zeppelin hangar keys, version h2.']);
  });
});

/**
 * A write records its document before its chunks (so other instances never see chunks without a record),
 * but with a hash no content has until the chunks are in: cut short in between, the next sync sees a
 * changed document and writes it again, instead of keeping it with missing chunks for good.
 */
describe('a write cut short after its pending record', () => {
  let server: QdrantTestServer;
  beforeEach(async () => {
    server = await new QdrantTestServer().start();
  });
  afterEach(async () => {
    await server.close();
    expect(server.violations).toEqual([]);
  });

  const REAL_HASH = 'sha256-of-the-content';
  const write = hangarWrite(REAL_HASH);

  it('leaves the document recorded with a hash that is not its own, so the next sync redoes it', async () => {
    const store = await QdrantStore.open({
      url: server.url,
      collection: 'k',
      identity: { embeddings: 'none', dimensions: 0 },
    });
    const chunkUpsert = server.holdNext((r) => r.method === 'PUT' && r.path === '/collections/k/points');
    const writing = store.replaceDocuments([write]);
    await chunkUpsert.reached;
    // The record went first; then Qdrant goes away before a single chunk is in.
    expect(server.requests.filter((r) => r.path === '/collections/k_documents/points')).toHaveLength(1);
    server.outage = 503;
    chunkUpsert.release();
    await expect(writing).rejects.toMatchObject({ code: 'upstream_unavailable' });
    server.outage = undefined;

    const [record, ...others] = await store.listDocuments();
    expect(others).toEqual([]);
    expect(record).toMatchObject({ id: 'd', source: 'files' });
    expect(record!.hash).not.toBe(REAL_HASH);

    // The redo completes the document and records its real hash.
    await store.replaceDocuments([write]);
    expect((await store.listDocuments()).map((d) => [d.id, d.hash])).toEqual([['d', REAL_HASH]]);
    expect((await store.search({ text: 'zeppelin hangar', limit: 3 })).map((h) => h.chunk.id)).toEqual([
      'd#0',
    ]);
  });
});
