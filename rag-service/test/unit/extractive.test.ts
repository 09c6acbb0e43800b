import { ExtractiveAnswerer, NO_MODEL_NOTICE } from '../../src/chat/extractive.js';
import type { RetrievedChunk } from '../../src/store/vector-store.js';

const chunk = (id: string, text: string): RetrievedChunk => ({
  id: `${id}#0`,
  docId: id,
  ordinal: 0,
  source: 'files',
  title: id,
  headingPath: [id],
  url: `${id}.md`,
  text,
});

async function answer(question: string, texts: string[]): Promise<string> {
  let out = '';
  const call = { signal: new AbortController().signal, deadline: Date.now() + 10_000 };
  for await (const part of new ExtractiveAnswerer().answer(
    {
      question,
      history: [],
      passages: texts.map((text, i) => ({ n: i + 1, chunk: chunk(`doc${i + 1}`, text) })),
    },
    call,
  ))
    out += part;
  return out;
}

describe('the extractive answerer', () => {
  it('quotes at most three passages, each with its citation', async () => {
    const text = await answer(
      'rotate tokens',
      Array.from({ length: 5 }, (_, i) => `Rotate tokens from settings page number ${i}.`),
    );
    expect(text.startsWith(NO_MODEL_NOTICE)).toBe(true);
    expect(text.match(/\[\d\]/g)).toEqual(['[1]', '[2]', '[3]']);
  });

  it('quotes the best passage always, and a further one only when its words hold some of the question', async () => {
    const text = await answer('rotate tokens', [
      'Rotate tokens from the settings page.',
      'The index lives in a vector store of your choice.',
      'Tokens expire after a year of use.',
    ]);
    expect(text).toContain('[1]');
    expect(text).not.toContain('[2]');
    expect(text).toContain('[3]');
  });
});
