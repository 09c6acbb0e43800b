import { seededRandom } from './random.js';

/** A deterministic synthetic knowledge base: Zipf-distributed words in topical documents, and questions about them. */
export interface SyntheticChunk {
  docId: string;
  ordinal: number;
  title: string;
  heading: string;
  text: string;
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'te',
  'vo',
  'zi',
  'pa',
  'qu',
  'do',
  'fe',
  'gu',
  'hi',
  'jo',
];

/** Pronounceable made-up words, so stemming and stop words treat them like ordinary terms. */
function vocabulary(size: number, rnd: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + Math.floor(rnd() * 3);
    words.add(Array.from({ length: n }, () => SYLLABLES[Math.floor(rnd() * SYLLABLES.length)]).join(''));
  }
  return [...words];
}

export interface SyntheticCorpus {
  chunks: SyntheticChunk[];
  questions: string[];
}

/** A corpus generated as it is read, so an index of a million chunks never has to be held in memory. */
export interface SyntheticCorpusStream {
  /** Each document's chunks (5 per document), in order. */
  documents(): Generator<SyntheticChunk[]>;
  /** 500 questions naming a document's topic words: call once every document was read. */
  questions(): string[];
}

/** `chunkCount` chunks of about 120 words (5 per document), and 500 questions naming a document's topic words. */
export function syntheticCorpusStream(chunkCount: number, seed = 7): SyntheticCorpusStream {
  const rnd = seededRandom(seed);
  const words = vocabulary(20_000, rnd);
  // Zipf: word i is drawn with weight 1/(i+1); sampled by inverting the cumulative weights.
  const cumulative: number[] = [];
  words.reduce((sum, _w, i) => (cumulative[i] = sum + 1 / (i + 1)), 0);
  const total = cumulative.at(-1)!;
  const zipf = () => {
    const x = rnd() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo]!;
  };
  const topics: string[][] = [];
  // Each document has its own topic words, drawn from the rarer part of the vocabulary.
  const newTopic = () =>
    Array.from({ length: 4 }, () => words[500 + Math.floor(rnd() * (words.length - 500))]!);
  return {
    *documents() {
      let made = 0;
      for (let d = 0; made < chunkCount; d++) {
        const topic = newTopic();
        topics.push(topic);
        const chunks: SyntheticChunk[] = [];
        for (let o = 0; o < 5 && made < chunkCount; o++, made++) {
          const body = Array.from({ length: 120 }, (_, i) => (i % 10 === 0 ? topic[i % 4]! : zipf()));
          chunks.push({
            docId: `bench:doc-${d}`,
            ordinal: o,
            title: `${topic[0]} ${topic[1]} guide`,
            heading: `${topic[2]} section ${o}`,
            text: `${body.join(' ')}.`,
          });
        }
        yield chunks;
      }
    },
    questions() {
      return Array.from({ length: 500 }, () => {
        // An empty index (the service's floor) is asked about topics nothing covers.
        const topic = topics.length ? topics[Math.floor(rnd() * topics.length)]! : newTopic();
        return `How do I use ${topic[0]} with ${topic[2]} and ${topic[3]}?`;
      });
    },
  };
}

/** The whole corpus at once, for indexes small enough to hold. */
export function syntheticCorpus(chunkCount: number, seed = 7): SyntheticCorpus {
  const stream = syntheticCorpusStream(chunkCount, seed);
  const chunks = [...stream.documents()].flat();
  return { chunks, questions: stream.questions() };
}
