import { askCited, BENCH_KEY_ENV, benchDocument, API_KEY } from '../../src/bench/bench-index.js';
import { syntheticCorpus, syntheticCorpusStream } from '../../src/bench/corpus.js';
import { lineChart } from '../../src/bench/scale-charts.js';
import { startTestService } from '../helpers/service.js';

describe('the bench corpus', () => {
  it('streams the same documents and questions as the whole corpus, five chunks a document', () => {
    const whole = syntheticCorpus(23, 3);
    const stream = syntheticCorpusStream(23, 3);
    const documents = [...stream.documents()];
    expect(documents.map((d) => d.length)).toEqual([5, 5, 5, 5, 3]);
    expect(documents.flat()).toEqual(whole.chunks);
    expect(stream.questions()).toEqual(whole.questions);
    expect(new Set(whole.chunks.map((c) => c.docId)).size).toBe(5);
  });

  it('asks questions about an empty index too (the service floor)', () => {
    const stream = syntheticCorpusStream(0);
    expect([...stream.documents()]).toEqual([]);
    const questions = stream.questions();
    expect(questions).toHaveLength(500);
    expect(questions[0]).toMatch(/^How do I use \w+ with \w+ and \w+\?$/);
  });
});

describe('the scale charts', () => {
  it('puts chunks on a log axis: each tenfold is the same width', () => {
    const svg = lineChart('t', 'ms', [
      {
        label: 'a',
        color: '#000',
        points: [
          [1000, 1],
          [10_000, 2],
          [100_000, 4],
        ],
      },
    ]);
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    const ys = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => Number(m[2]));
    expect(xs).toHaveLength(3);
    expect(xs[1]! - xs[0]!).toBeCloseTo(xs[2]! - xs[1]!, 1);
    // Higher values are drawn higher up (smaller y), in proportion from the axis.
    expect(ys[0]! > ys[1]! && ys[1]! > ys[2]!).toBe(true);
    const axis = Number(/<line x1="70" y1="([\d.]+)"/.exec(svg)![1]);
    expect((axis - ys[2]!) / (axis - ys[0]!)).toBeCloseTo(4, 2);
    expect(svg).toContain('>10k<');
    expect(svg).toContain('>100k<');
  });
});

describe('a bench service', () => {
  /** A service holding a few bench pages, started with `env`; asks a question about one of them. */
  async function ask(env: Record<string, string>) {
    const t = await startTestService(env);
    try {
      await t.synced;
      const corpus = syntheticCorpusStream(20);
      await t.service.store.replaceDocuments([...corpus.documents()].map((group) => benchDocument(group)));
      return await askCited(`${t.url}/api/v1/chat`, { message: corpus.questions()[0] }).then(
        () => 'cited',
        (err: unknown) => (err as Error).message,
      );
    } finally {
      await t.close();
    }
  }

  it('is given a key that sees the bench space, and a suite refuses to measure answers that cite nothing', async () => {
    expect(await ask(BENCH_KEY_ENV)).toBe('cited');
    // A key with the default access sees no Confluence page: the service answers, citing nothing.
    expect(await ask({ API_KEYS: API_KEY })).toMatch(/answered without citing the bench index \(200\)/);
  });
});
