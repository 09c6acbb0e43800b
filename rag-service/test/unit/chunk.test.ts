import { chunkDocument, chunkDocumentInSlices } from '../../src/ingest/chunk.js';
import { DocumentLimitError } from '../../src/ingest/limits.js';
import type { StructuredDocument } from '../../src/ingest/structured.js';
import { countTokens } from '../../src/text/tokens.js';

const sentence = (i: number) => `Sentence number ${i} explains one more detail of the procedure.`;

describe('chunkDocument', () => {
  it('never spans two sections and carries the heading path and anchor', () => {
    const doc: StructuredDocument = {
      title: 'Guide',
      blocks: [
        { kind: 'heading', level: 1, text: 'Guide', anchor: 'guide' },
        { kind: 'text', text: 'Intro.' },
        { kind: 'heading', level: 2, text: 'Setup', anchor: 'setup' },
        { kind: 'text', text: 'Install it.' },
        { kind: 'heading', level: 3, text: 'Linux', anchor: 'linux' },
        { kind: 'text', text: 'Use apt.' },
        { kind: 'heading', level: 2, text: 'Usage', anchor: 'usage' },
        { kind: 'text', text: 'Run it.' },
      ],
    };
    const chunks = chunkDocument(doc);
    expect(chunks.map((c) => [c.ordinal, c.headingPath, c.anchor, c.text])).toEqual([
      [0, ['Guide'], 'guide', 'Intro.'],
      [1, ['Guide', 'Setup'], 'setup', 'Install it.'],
      [2, ['Guide', 'Setup', 'Linux'], 'linux', 'Use apt.'],
      [3, ['Guide', 'Usage'], 'usage', 'Run it.'],
    ]);
  });

  it('packs blocks up to the token budget, with overlap between chunks of a section', () => {
    const blocks = Array.from({ length: 40 }, (_, i) => ({ kind: 'text' as const, text: sentence(i) }));
    const chunks = chunkDocument({ title: 't', blocks }, { maxTokens: 60, overlapTokens: 15 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(60);
    for (let i = 1; i < chunks.length; i++) {
      const lastOfPrevious = chunks[i - 1]!.text.split('\n\n').at(-1)!;
      expect(chunks[i]!.text.startsWith(lastOfPrevious)).toBe(true);
    }
    const all = chunks.map((c) => c.text).join('\n\n');
    for (let i = 0; i < 40; i++) expect(all).toContain(sentence(i));
  });

  it('keeps a table or code block whole when it fits', () => {
    const code = '```ts\n' + Array.from({ length: 10 }, (_, i) => `const x${i} = ${i};`).join('\n') + '\n```';
    const chunks = chunkDocument(
      {
        title: 't',
        blocks: [
          { kind: 'text', text: 'before' },
          { kind: 'text', text: code },
        ],
      },
      { maxTokens: 200, overlapTokens: 20 },
    );
    expect(chunks.some((c) => c.text.includes(code))).toBe(true);
  });

  it('splits a block larger than the budget at line and sentence ends, losing nothing', () => {
    const big = Array.from({ length: 60 }, (_, i) => sentence(i)).join(' ');
    const chunks = chunkDocument(
      { title: 't', blocks: [{ kind: 'text', text: big }] },
      { maxTokens: 50, overlapTokens: 0 },
    );
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(countTokens(c.text)).toBeLessThanOrEqual(50);
    expect(
      chunks
        .map((c) => c.text)
        .join(' ')
        .replace(/\s+/g, ' '),
    ).toBe(big);
  });

  it('cuts a single unbreakable run by tokens', () => {
    const run = 'x'.repeat(5000);
    const chunks = chunkDocument(
      { title: 't', blocks: [{ kind: 'text', text: run }] },
      { maxTokens: 100, overlapTokens: 0 },
    );
    expect(chunks.map((c) => c.text).join('')).toBe(run);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(100);
  });

  it('makes no chunk of a document without text', () => {
    expect(chunkDocument({ title: 't', blocks: [{ kind: 'heading', level: 1, text: 'Empty' }] })).toEqual([]);
  });

  it('cuts a 10 MB run in linear time: every part within the budget, nothing lost', () => {
    const run = 'a'.repeat(10_000_000);
    const chunks = chunkDocument(
      { title: 't', blocks: [{ kind: 'text', text: run }] },
      { maxTokens: 350, overlapTokens: 0 },
    );
    expect(chunks.length).toBe(Math.ceil(run.length / 700));
    expect(chunks.every((c) => c.tokens <= 350)).toBe(true);
    // Compared as a boolean: a failing diff of 10 MB would bury the report.
    expect(chunks.map((c) => c.text).join('') === run).toBe(true);
  });

  it('refuses a document past its limits, naming the limit', () => {
    const blocks = Array.from({ length: 30 }, (_, i) => ({ kind: 'text' as const, text: sentence(i) }));
    const options = { maxTokens: 20, overlapTokens: 0 };
    const chars = blocks.reduce((n, b) => n + b.text.length, 0);
    expect(() =>
      chunkDocument({ title: 't', blocks }, { ...options, limits: { maxTextChars: 1000, maxChunks: 100 } }),
    ).toThrow(
      new DocumentLimitError(
        `the document holds ${chars.toLocaleString('en-US')} characters of text; at most 1,000 are indexed`,
      ),
    );
    expect(() =>
      chunkDocument({ title: 't', blocks }, { ...options, limits: { maxTextChars: 10_000, maxChunks: 29 } }),
    ).toThrow(/more than 29 chunks/);
    expect(
      chunkDocument({ title: 't', blocks }, { ...options, limits: { maxTextChars: chars, maxChunks: 30 } }),
    ).toHaveLength(30);
  });
});

describe('chunkDocumentInSlices', () => {
  it('makes the same chunks as chunkDocument while letting the event loop run between slices', async () => {
    const paragraph = Array.from({ length: 40 }, (_, i) => sentence(i)).join(' ');
    const doc = {
      title: 't',
      blocks: Array.from({ length: 300 }, (_, i) =>
        i % 10
          ? { kind: 'text' as const, text: paragraph }
          : { kind: 'heading' as const, level: 2, text: `Part ${i}` },
      ),
    };
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    try {
      const sliced = await chunkDocumentInSlices(doc);
      expect(turns).toBeGreaterThan(0);
      expect(sliced).toEqual(chunkDocument(doc));
    } finally {
      clearInterval(ticking);
    }
  });
});
