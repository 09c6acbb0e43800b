import cl100k from 'js-tiktoken/ranks/cl100k_base';

/**
 * cl100k_base token counting with our own byte-pair merge over the published ranks. js-tiktoken's merge
 * rebuilds every pair's key after each merge (worse than quadratic in a piece's length: 47 CJK characters
 * without a break cost 3.5 ms, 1,000 `a`s 0.2–0.45 s, on the event loop). This one looks up only the two
 * pairs a merge changes, keys byte strings as latin1 (one character a byte), and never sees a piece longer
 * than `LONG_PIECE_CHARS`: such runs are no words, and are counted by an estimate instead.
 */

/** A run this long of letters, symbols or white space (one cl100k pre-token piece) is estimated, not merged. */
export const LONG_PIECE_CHARS = 48;

/** How much text one run of cl100k's pre-tokenising regex sees at most (see `pieces`). */
export const PIECE_WINDOW = 4096;

/**
 * cl100k's pre-tokeniser: text → pieces, each encoded on its own; joined, they are the text. The regex
 * runs over windows of `PIECE_WINDOW` characters, never the whole text: on a run of millions of letters one
 * match can exhaust the regex engine's backtracking stack (a RangeError, seen under load in the tests). The
 * last piece of a window may be cut short by the window's end, so it is matched again as the start of the
 * next window; every other piece ended on a character inside the window, as it would in the whole text. A
 * piece that fills a whole window is a run far past `LONG_PIECE_CHARS`, estimated per character, so it is
 * given out in window-sized parts whose estimates add up to the run's.
 */
export function* pieces(text: string): Generator<string> {
  const regex = new RegExp(cl100k.pat_str, 'gu');
  let start = 0;
  while (start < text.length) {
    const end = Math.min(text.length, start + PIECE_WINDOW);
    const found = Array.from(text.slice(start, end).matchAll(regex), ([piece]) => piece);
    if (end === text.length) {
      yield* found;
      return;
    }
    if (found.length > 1) {
      const last = found.pop()!;
      yield* found;
      start = end - last.length;
      continue;
    }
    // One piece fills the window: cut it there, but never between the halves of a surrogate pair.
    const cut = /[\uD800-\uDBFF]/.test(text[end - 1]!) ? end - 1 : end;
    yield text.slice(start, cut);
    start = cut;
  }
}

const ASCII = /^[^\u0080-\uffff]*$/;

export const isAscii = (text: string): boolean => ASCII.test(text);

let ranks: Map<string, number> | undefined;

/**
 * Byte sequence (latin1, one character a byte) → rank; about 100,000 entries, built on first use. Building
 * it takes a few hundred milliseconds of one thread: the service does so before it takes requests.
 */
export function rankTable(): Map<string, number> {
  if (ranks) return ranks;
  ranks = new Map();
  for (const line of cl100k.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...tokens] = line.split(' ');
    const first = Number.parseInt(offset!, 10);
    tokens.forEach((token, i) => ranks!.set(Buffer.from(token, 'base64').toString('latin1'), first + i));
  }
  return ranks;
}

/**
 * Half-tokens a character of a long run counts for, over-counted on purpose: one token per two ASCII
 * characters (BPE gives `aaaa…` one per eight, random letters about one per three) and one per byte of
 * anything else (a rare CJK character is up to three tokens; BPE never makes more tokens than bytes).
 */
export const halfTokensOf = (codePoint: number): number =>
  codePoint < 0x80 ? 1 : codePoint < 0x800 ? 4 : codePoint < 0x10000 ? 6 : 8;

/** Tokens of a long run by the estimate above. */
export function estimatePieceTokens(piece: string): number {
  let half = 0;
  for (const char of piece) half += halfTokensOf(char.codePointAt(0)!);
  return Math.ceil(half / 2);
}

/** Heap keys pack a pair's rank and its start: ranks stay below 2^17, starts below 2^20 (bytes of a piece). */
const KEY_SHIFT = 2 ** 20;

/**
 * The number of tokens BPE makes of one piece: repeatedly merge the adjacent pair of lowest rank (the
 * leftmost on a tie), as tiktoken does, until no pair is a token. The pairs wait in a binary heap keyed by
 * (rank, start), so a piece of n bytes costs O(n log n): a scan for the lowest pair before each merge was
 * quadratic, and 32,000 characters of 46-character runs of symbols (141 bytes each) took 272 ms.
 */
function mergedCount(bytes: string, table: Map<string, number>): number {
  const n = bytes.length;
  // Parts are named by the byte they start at; a merge removes the right part of the pair.
  const next = Int32Array.from({ length: n }, (_, i) => i + 1);
  const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
  const alive = new Uint8Array(n).fill(1);
  const rankAt = new Float64Array(n);
  const heap: number[] = [];
  const rankOf = (start: number) => {
    const middle = next[start]!;
    if (middle >= n) return Infinity;
    return table.get(bytes.slice(start, middle < n ? next[middle] : n)) ?? Infinity;
  };
  const consider = (start: number) => {
    rankAt[start] = rankOf(start);
    if (rankAt[start] !== Infinity) heapPush(heap, rankAt[start] * KEY_SHIFT + start);
  };
  for (let i = 0; i < n; i++) consider(i);
  let parts = n;
  while (heap.length) {
    const key = heapPop(heap);
    const rank = Math.floor(key / KEY_SHIFT);
    const start = key - rank * KEY_SHIFT;
    // Stale: the part was merged away, or its pair has changed since this entry was pushed.
    if (!alive[start] || rankAt[start] !== rank) continue;
    const gone = next[start]!;
    alive[gone] = 0;
    next[start] = next[gone]!;
    if (next[gone]! < n) prev[next[gone]!] = start;
    parts--;
    consider(start);
    if (prev[start]! >= 0) consider(prev[start]!);
  }
  return parts;
}

function heapPush(heap: number[], key: number): void {
  let i = heap.push(key) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= key) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = key;
}

function heapPop(heap: number[]): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length) {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1]! < heap[left]! ? left + 1 : left;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
  return top;
}

/** cl100k tokens of one pre-token piece (exact, or the estimate for a long run). */
export function pieceTokens(piece: string): number {
  if (piece.length >= LONG_PIECE_CHARS) return estimatePieceTokens(piece);
  const table = rankTable();
  // ASCII is its own latin1 byte string: no buffer for most pieces.
  const bytes = ASCII.test(piece) ? piece : Buffer.from(piece, 'utf8').toString('latin1');
  return table.has(bytes) ? 1 : mergedCount(bytes, table);
}
