import { analyze } from './analyzer.js';

/** A sparse vector as Qdrant takes it: parallel arrays of term ids and weights. */
export interface SparseVector {
  indices: number[];
  values: number[];
}

/** BM25 parameters (Robertson's defaults) and the expected analyzed length of a chunk (~350 cl100k tokens). */
export const BM25 = { k1: 1.2, b: 0.75, averageLength: 150 };

/** A term's id: 32-bit FNV-1a of its text, so every instance maps terms the same way with no shared vocabulary. */
export function termId(term: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) h = Math.imul(h ^ term.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function counts(text: string): Map<number, number> {
  const tf = new Map<number, number>();
  for (const term of analyze(text)) {
    const id = termId(term);
    tf.set(id, (tf.get(id) ?? 0) + 1);
  }
  return tf;
}

/**
 * A document's BM25 term weights: term-frequency saturation and length normalisation happen here; the
 * IDF factor is applied by Qdrant at query time (the collection's `modifier: idf`), from live statistics.
 */
export function documentSparseVector(text: string): SparseVector {
  const tf = counts(text);
  const length = [...tf.values()].reduce((a, b) => a + b, 0);
  const { k1, b, averageLength } = BM25;
  const norm = k1 * (1 - b + (b * length) / averageLength);
  const indices = [...tf.keys()];
  return {
    indices,
    values: indices.map((i) => {
      const f = tf.get(i)!;
      return (f * (k1 + 1)) / (f + norm);
    }),
  };
}

/** A query's sparse vector: each distinct term once, weight 1; Qdrant multiplies in the IDF. */
export function querySparseVector(text: string): SparseVector {
  const indices = [...counts(text).keys()];
  return { indices, values: indices.map(() => 1) };
}
