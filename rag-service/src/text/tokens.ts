import { halfTokensOf, isAscii, LONG_PIECE_CHARS, pieces, pieceTokens } from './bpe.js';

/**
 * Token counts with OpenAI's cl100k_base, offline, in time linear in the text whatever it holds (see
 * bpe.ts). Other providers tokenise differently, but a shared, slightly conservative measure is what
 * chunk budgets and prompt packing need. Special-token text such as `<|endoftext|>` is ordinary text here.
 */
export function countTokens(text: string): number {
  let total = 0;
  for (const piece of pieces(text)) total += pieceTokens(piece);
  return total;
}

/** A stretch of text with its token count. */
export interface CountedText {
  text: string;
  tokens: number;
}

/**
 * `text` cut into consecutive parts of at most `maxTokens` tokens each, between pieces (a long run is cut
 * inside, by its estimate), lazily: a caller can stop or pause between parts. Joined, the parts are `text`.
 */
export function* partsWithin(text: string, maxTokens: number): Generator<CountedText> {
  let part = '';
  let tokens = 0; // of the BPE-counted pieces in `part`
  let runHalf = 0; // half-tokens of the estimated characters in `part`: a run may span several pieces
  const total = () => tokens + Math.ceil(runHalf / 2);
  for (const piece of pieces(text)) {
    const count = piece.length < LONG_PIECE_CHARS ? pieceTokens(piece) : Infinity;
    if (count <= maxTokens) {
      if (total() + count > maxTokens && part) {
        yield { text: part, tokens: total() };
        [part, tokens, runHalf] = ['', 0, 0];
      }
      part += piece;
      tokens += count;
      continue;
    }
    // A long run (or a piece larger than a whole part), by its estimate. ASCII counts half a token a
    // character: the characters that fit are a subtraction away, as many at once as the part has room for.
    if (isAscii(piece)) {
      for (let from = 0; from < piece.length;) {
        // An empty part always takes a character, so even a budget below one token moves on.
        const room = Math.max(part ? 0 : 1, 2 * (maxTokens - tokens) - runHalf);
        const take = Math.min(room, piece.length - from);
        part += piece.slice(from, from + take);
        runHalf += take;
        from += take;
        if (from < piece.length) {
          yield { text: part, tokens: total() };
          [part, tokens, runHalf] = ['', 0, 0];
        }
      }
      continue;
    }
    // Otherwise character by character.
    let from = 0;
    let at = 0;
    for (const char of piece) {
      const half = halfTokensOf(char.codePointAt(0)!);
      if (tokens + Math.ceil((runHalf + half) / 2) > maxTokens && (part || at > from)) {
        yield { text: part + piece.slice(from, at), tokens: total() };
        [part, tokens, runHalf, from] = ['', 0, 0, at];
      }
      runHalf += half;
      at += char.length;
    }
    part += piece.slice(from);
  }
  if (part) yield { text: part, tokens: total() };
}

/**
 * A cheap stand-in for `countTokens` where a budget is a guide, not a hard limit (packing a prompt far
 * below the model's window): about 3 bytes per token, which over-counts English (4+) and matches code and
 * CJK text. Exact BPE counting of every passage cost more than the rest of a chat turn together.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / 3);
}

/**
 * A piece shorter than `LONG_PIECE_CHARS` is at least one token, and a longer one is estimated at least
 * one token per two characters: `maxTokens` tokens never need more characters than this many times it.
 */
const MAX_CHARS_PER_TOKEN = LONG_PIECE_CHARS;

/** As many characters of a long run as `maxTokens` allows by its estimate (from its end, `fromEnd`). */
function partOfRun(run: string, maxTokens: number, fromEnd: boolean): string {
  const chars = Array.from(run);
  if (fromEnd) chars.reverse();
  let half = 0;
  let kept = 0;
  for (const char of chars) {
    half += halfTokensOf(char.codePointAt(0)!);
    if (Math.ceil(half / 2) > maxTokens) break;
    kept++;
  }
  const part = chars.slice(0, kept);
  return (fromEnd ? part.reverse() : part).join('');
}

/**
 * The longest prefix (or suffix) of `text` that fits in `maxTokens`, cut between pieces (a long run may be
 * cut inside). Linear in `maxTokens`, not in the text: only a window of the text is ever looked at.
 */
export function truncateTokens(text: string, maxTokens: number, from: 'start' | 'end' = 'start'): string {
  // Every token is at least one byte: a text with no more bytes than the limit fits without encoding.
  if (Buffer.byteLength(text) <= maxTokens) return text;
  const fromEnd = from === 'end';
  const window = maxTokens * MAX_CHARS_PER_TOKEN;
  // A cut window must not start or end with half a surrogate pair.
  const part =
    text.length <= window
      ? text
      : fromEnd
        ? text.slice(-window).replace(/^[\uDC00-\uDFFF]/, '')
        : text.slice(0, window).replace(/[\uD800-\uDBFF]$/, '');
  // From the start, pieces are read only until the budget is spent; from the end, the window is read whole.
  const inOrder = fromEnd ? Array.from(pieces(part)).reverse() : pieces(part);
  const kept: string[] = [];
  let left = maxTokens;
  for (const piece of inOrder) {
    const tokens = pieceTokens(piece);
    if (tokens > left) {
      if (piece.length >= LONG_PIECE_CHARS) kept.push(partOfRun(piece, left, fromEnd));
      break;
    }
    kept.push(piece);
    left -= tokens;
  }
  if (fromEnd) kept.reverse();
  return kept.join('');
}
