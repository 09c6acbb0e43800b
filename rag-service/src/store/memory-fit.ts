import os from 'node:os';
import type { Logger } from 'pino';

/**
 * What the service needs in memory at peak over an embedded index, fitted to the scale curves
 * (`pnpm kb bench --suites scale`, docs/benchmarks.md) and rounded up: the process at its busiest answering
 * 16 chats at once over a small index, its chunk cache full (about 75 MB), plus what each chunk adds (its
 * full-text postings and bookkeeping), plus its vectors in hybrid mode: whole while they fit under the
 * quantising point (with LanceDB's copy as it loads them, 1.5 times their size), quantised codes and row
 * ids past it.
 */
export const SIZING = {
  /** The peaks of 10,000–100,000 chunks answering at concurrency 16 (352–442 MB lexical), with room. */
  baseMb: 450,
  /** The lexical peaks' slope from 100,000 to a million chunks: 232 bytes a chunk. */
  bytesPerChunk: 250,
  /** Per chunk and dimension while vectors are held whole: 4 bytes a float, loaded at 1.5 times that. */
  flatBytesPerDimension: 6,
  /** Per chunk past the quantising point: dims/16 bytes of codes, and the row id and partition beside them. */
  quantisedBytesPerChunk: (dimensions: number) => dimensions / 16 + 24,
  /** Full-precision vectors (4 bytes a float) the embedded store keeps in its index at most; it quantises past it. */
  flatIndexBytesMax: 256 * 1024 ** 2,
};

/** Whether the embedded store keeps `chunks` vectors of `dimensions` as quantised codes: the one rule, for it and for sizing. */
export function quantisesVectors(
  chunks: number,
  dimensions: number,
  flatIndexBytesMax = SIZING.flatIndexBytesMax,
): boolean {
  return chunks * dimensions * 4 > flatIndexBytesMax;
}

/** The peak resident memory, in MB, the service needs over `chunks` chunks with `dimensions`-sized vectors (0: lexical). */
export function embeddedPeakMb(chunks: number, dimensions: number): number {
  let bytes = chunks * SIZING.bytesPerChunk;
  if (dimensions > 0) {
    const quantised = quantisesVectors(chunks, dimensions);
    bytes +=
      chunks *
      (quantised ? SIZING.quantisedBytesPerChunk(dimensions) : dimensions * SIZING.flatBytesPerDimension);
  }
  return Math.round(SIZING.baseMb + bytes / 1024 ** 2);
}

/** The memory this process may use: its container's limit (cgroup), or else the machine's. */
export function memoryLimitBytes(): number {
  // Unconstrained, Node reports 2^64 (or, on some versions, nothing): the machine's memory is the limit.
  const constrained = process.constrainedMemory();
  return constrained > 0 ? Math.min(constrained, os.totalmem()) : os.totalmem();
}

/** Of the limit, what the service may plan to use: the rest is the page cache its index is read through. */
const PLANNED_SHARE = 0.75;

/** Why an index is too big for the memory it has, or nothing when it fits. */
export function indexMemoryProblem(
  chunks: number,
  dimensions: number,
  limitBytes: number,
): string | undefined {
  const needMb = embeddedPeakMb(chunks, dimensions);
  const limitMb = Math.round(limitBytes / 1024 ** 2);
  if (needMb <= limitMb * PLANNED_SHARE) return undefined;
  const vectors = dimensions > 0 ? `${dimensions}-dimension vectors` : 'lexical only';
  return (
    `the embedded index holds ${chunks.toLocaleString('en')} chunks (${vectors}): the service needs about ` +
    `${needMb} MB at peak over it, and has ${limitMb} MB (keep a quarter for the page cache). ` +
    'Give it more memory, or move the index to Qdrant (`kb migrate-to-qdrant`): see "Sizing" in the README'
  );
}

/** Logs, as the service starts, when its embedded index has outgrown the memory it runs in. */
export function warnIfIndexOutgrowsMemory(
  size: { chunks: number; dimensions: number },
  log: Pick<Logger, 'warn'>,
  limitBytes = memoryLimitBytes(),
): void {
  const problem = indexMemoryProblem(size.chunks, size.dimensions, limitBytes);
  if (problem) log.warn({ chunks: size.chunks, limitMb: Math.round(limitBytes / 1024 ** 2) }, problem);
}
