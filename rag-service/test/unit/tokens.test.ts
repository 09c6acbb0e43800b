import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getEncoding } from 'js-tiktoken';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { SAMPLE_DOCS_DIR } from '../../src/config.js';
import { LONG_PIECE_CHARS, PIECE_WINDOW, pieces } from '../../src/text/bpe.js';
import { countTokens, partsWithin, truncateTokens } from '../../src/text/tokens.js';

/** The reference: js-tiktoken's own cl100k encoder (exact, but worse than quadratic on long pieces). */
const reference = getEncoding('cl100k_base');

/** A deterministic random source (mulberry32), so every run sees the same text. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Words of 1 to 20 characters from an alphabet, each followed by one of the separators. */
function wordsFrom(alphabet: string, separators: string, length: number, seed: number): string {
  const chars = Array.from(alphabet);
  const next = random(seed);
  let out = '';
  while (out.length < length) {
    const size = 1 + Math.floor(next() * 20);
    for (let i = 0; i < size; i++) out += chars[Math.floor(next() * chars.length)]!;
    out += separators[Math.floor(next() * separators.length)]!;
  }
  return out;
}

/** Text whose every run of letters, symbols or spaces is shorter than a long piece. */
const withoutLongRuns = (text: string) => text.replace(/\s{20,}|[-=|]{20,}/g, ' ');

describe('pieces', () => {
  const wholeText = (text: string) => Array.from(text.matchAll(new RegExp(cl100k.pat_str, 'gu')), ([p]) => p);

  it('cuts text longer than a window exactly as the regex over the whole text would', () => {
    const text = [
      wordsFrom("abcdefghij'sdtmlrve", ' \n\r\t', 20_000, 23),
      wordsFrom('知识库问答 🙂𝔘', ' ，。\n', 20_000, 29),
      wordsFrom('0123456789!?-', '  \n\n', 20_000, 31),
    ].join('');
    expect(text.length).toBeGreaterThan(PIECE_WINDOW * 10);
    expect(Array.from(pieces(text))).toEqual(wholeText(text));
  });

  it('gives a run longer than a window in window-sized parts, never splitting a surrogate pair', () => {
    const run = 'a'.repeat(PIECE_WINDOW * 2 + 100);
    expect(Array.from(pieces(run)).map((p) => p.length)).toEqual([PIECE_WINDOW, PIECE_WINDOW, 100]);
    const astral = '𝔘'.repeat(PIECE_WINDOW); // two UTF-16 units each: windows end mid-pair
    const parts = Array.from(pieces(astral));
    expect(parts.join('')).toBe(astral);
    for (const part of parts) expect(part).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it('never lets the regex scan a whole 10 MB run', () => {
    const lengths = Array.from(pieces(`x ${'b'.repeat(10_000_000)}`), (p) => p.length);
    expect(Math.max(...lengths)).toBe(PIECE_WINDOW);
    expect(lengths.reduce((a, b) => a + b)).toBe(10_000_002);
  });
});

describe('countTokens', () => {
  const samples = [
    ...readdirSync(SAMPLE_DOCS_DIR).map((f) => readFileSync(path.join(SAMPLE_DOCS_DIR, f), 'utf8')),
    'Hello wörld — naïve café 知识库问答系统 🙂🙂 code: `x = 1;`\n\n  indented\r\n',
    wordsFrom('abcdefghijklmnopqrstuvwxyzäöüABC', ' .,;:!?\n', 5000, 7),
    wordsFrom('aeiou', ' ', 3000, 11),
    wordsFrom('知识库问答系统', ' ，。', 3000, 13),
    wordsFrom('!@#$%^&*()', ' \n', 3000, 17),
    wordsFrom('0123456789abcdef', ' -_/', 3000, 19),
  ].map(withoutLongRuns);

  it.each(samples.map((text, i) => ({ i, text })))(
    'matches cl100k exactly on ordinary text (sample $i)',
    ({ text }) => {
      expect(countTokens(text)).toBe(reference.encode(text).length);
    },
  );

  it('estimates a run no word is as long as: two ASCII characters or one other byte a token', () => {
    expect(countTokens('a'.repeat(32_000))).toBe(16_000);
    expect(countTokens('a'.repeat(10_000_000))).toBe(5_000_000);
    expect(countTokens('知'.repeat(10_000))).toBe(30_000);
    expect(countTokens(`${' '.repeat(100)}x`)).toBeGreaterThanOrEqual(50);
    // Never fewer than BPE would make of a run of rare characters.
    const rare = '𝔘'.repeat(LONG_PIECE_CHARS);
    expect(countTokens(rare)).toBeGreaterThanOrEqual(reference.encode(rare).length);
  });

  it('counts the longest pieces it still merges exactly', () => {
    // A piece may start with one character before its letters: 46 letters and a space make 47.
    const cjk = `${'知识库问答系统'.repeat(7).slice(0, LONG_PIECE_CHARS - 2)} `.repeat(50);
    expect(countTokens(cjk)).toBe(reference.encode(cjk).length);
  });

  it('treats special-token text as ordinary text instead of throwing', () => {
    expect(countTokens('before <|endoftext|> after')).toBeGreaterThan(5);
  });
});

describe('truncateTokens', () => {
  const prose = readdirSync(SAMPLE_DOCS_DIR)
    .map((f) => readFileSync(path.join(SAMPLE_DOCS_DIR, f), 'utf8'))
    .join('\n');

  it('keeps the longest prefix or suffix within the budget', () => {
    const head = truncateTokens(prose, 300);
    expect(prose.startsWith(head)).toBe(true);
    expect(countTokens(head)).toBeLessThanOrEqual(300);
    expect(countTokens(head)).toBeGreaterThan(290);
    const tail = truncateTokens(prose, 300, 'end');
    expect(prose.endsWith(tail)).toBe(true);
    expect(countTokens(tail)).toBeLessThanOrEqual(300);
    expect(countTokens(tail)).toBeGreaterThan(290);
  });

  it('cuts inside a long run, on whole characters', () => {
    expect(truncateTokens('a'.repeat(100_000), 800)).toBe('a'.repeat(1600));
    // An emoji is four bytes: four tokens by the estimate, and never cut in half.
    expect(truncateTokens(`x ${'🙂'.repeat(50_000)}`, 10, 'end')).toBe('🙂'.repeat(2));
    expect(truncateTokens('🙂'.repeat(50_000), 9)).toBe('🙂'.repeat(2));
  });

  it('returns a text within the budget unchanged', () => {
    expect(truncateTokens('Rotate the token monthly.', 50)).toBe('Rotate the token monthly.');
  });
});

describe('partsWithin', () => {
  it('cuts any text into parts within the budget that join back to it', () => {
    const text = `${prose()} ${'a'.repeat(5000)} tail words ${'知'.repeat(300)}`;
    const parts = [...partsWithin(text, 100)];
    expect(parts.map((p) => p.text).join('')).toBe(text);
    for (const part of parts) {
      expect(part.tokens).toBeLessThanOrEqual(100);
      // A slice of a run is shorter than a long piece, so BPE counts it: never more than the estimate.
      expect(countTokens(part.text)).toBeLessThanOrEqual(part.tokens);
    }
    expect(parts.length).toBeGreaterThan(text.length / 500);
  });

  it('fills each part of a run up to the budget, after the words already in it', () => {
    const words = 'one two three ';
    for (const run of ['a'.repeat(1001), 'é'.repeat(601)]) {
      const parts = [...partsWithin(words + run, 100)];
      expect(parts.map((p) => p.text).join('')).toBe(words + run);
      // Every part but the last is full: a run is cut where the next character would pass the budget.
      for (const part of parts.slice(0, -1)) expect(part.tokens).toBe(100);
      expect(parts[0]!.text.startsWith(words)).toBe(true);
    }
    expect([...partsWithin('a'.repeat(1001), 100)].map((p) => p.text.length)).toEqual([
      200, 200, 200, 200, 200, 1,
    ]);
  });
});

function prose(): string {
  return 'Rotate the API token under Settings, then restart the worker and confirm the queue drains. '.repeat(
    40,
  );
}
