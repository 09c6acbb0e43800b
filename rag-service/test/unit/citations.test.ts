import { CitationStream, citedNumbers, keepValidMarkers } from '../../src/chat/citations.js';
import { snippet } from '../../src/chat/sources.js';

describe('citations', () => {
  it('reads single and grouped markers', () => {
    expect([...citedNumbers('A [1]. B [2, 3]. C [1][4]. Not [x] or [].')].sort()).toEqual([1, 2, 3, 4]);
  });

  it('drops markers that point nowhere and keeps the valid part of a group', () => {
    expect(keepValidMarkers('A [1] B [7] C [2, 9]', new Set([1, 2]))).toBe('A [1] B  C [2]');
  });

  it('streams exactly what the final text says, however the markers are split across deltas', () => {
    const answer = 'Rotate it [1]. Never [9]. Both [1, 2] and [2][12].';
    const valid = new Set([1, 2]);
    const expected = keepValidMarkers(answer, valid);
    for (let size = 1; size <= 7; size++) {
      const stream = new CitationStream(valid);
      let out = '';
      for (let i = 0; i < answer.length; i += size) out += stream.push(answer.slice(i, i + size));
      out += stream.flush();
      expect(out).toBe(expected);
    }
  });

  it('releases an unclosed bracket at the end', () => {
    const stream = new CitationStream(new Set([1]));
    expect(stream.push('array[1')).toBe('array');
    expect(stream.flush()).toBe('[1');
  });
});

describe('source snippets', () => {
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

  it('shows a short passage whole, on one line', () => {
    expect(snippet('Rotate the token\n\n  under   Settings.\t')).toBe('Rotate the token under Settings.');
  });

  it('cuts a long passage at a word, before 280 characters', () => {
    const text = words(200);
    const cut = snippet(text);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(281);
    expect(text.startsWith(cut.slice(0, -1))).toBe(true);
    expect(text[cut.length - 1]).toBe(' '); // the next character after the shown text starts a new word
  });

  it('looks past a start that is mostly blank space', () => {
    const text = `Title${' \n'.repeat(400)}${words(100)}`;
    expect(snippet(text)).toMatch(/^Title word0 word1 .* word\d+…$/);
    expect(snippet(text).length).toBeGreaterThan(250);
  });
});
