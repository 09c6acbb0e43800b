import { CitationStream, citedNumbers, keepValidMarkers } from '../../src/chat/citations.js';

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

describe('extractive quotes', () => {
  it('prefers the sentences that hold the question, in their original order, and prose over code', async () => {
    const { bestQuote } = await import('../../src/chat/extractive.js');
    const text =
      'Intro text. Rotate tokens monthly. Unrelated remark. Tokens rotate via the API.\n```bash\nrotate-token --all\n```';
    expect(bestQuote(text, 'how do I rotate tokens')).toBe(
      'Rotate tokens monthly. Tokens rotate via the API.',
    );
    expect(bestQuote('Nothing here.\n```sh\nkb rotate-token\n```', 'rotate token')).toBe('kb rotate-token');
  });
});
