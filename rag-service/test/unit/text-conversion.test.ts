import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SAMPLE_DOCS_DIR } from '../../src/config.js';
import { conversionsInWorkers, convertInWorker } from '../../src/ingest/convert/text-converter.js';
import { convertText } from '../../src/ingest/convert/text-formats.js';
import { DocumentLimitError } from '../../src/ingest/limits.js';

/** A Markdown list nested `depth` levels deep by indentation: marked's block lexer is superlinear on it. */
const nestedList = (depth: number) =>
  Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}- a`).join('\n');

describe('text documents converted in a worker thread', () => {
  it('gives what the converters give in process, for every format', async () => {
    for (const file of readdirSync(SAMPLE_DOCS_DIR)) {
      const text = readFileSync(path.join(SAMPLE_DOCS_DIR, file), 'utf8');
      const conversion = { format: 'markdown' as const, text, title: file };
      expect(await convertInWorker(conversion)).toEqual(convertText(conversion));
    }
    const html = {
      format: 'html' as const,
      text: '<h1>Relay</h1><p>Restarts <b>weekly</b>.</p>',
      title: 'r',
    };
    expect(await convertInWorker(html)).toEqual(convertText(html));
    const storage = {
      format: 'confluence-storage' as const,
      text: '<h2>Tokens</h2><p>Rotate them.</p>',
      title: 'API tokens',
    };
    expect(await convertInWorker(storage)).toEqual({
      title: 'API tokens',
      blocks: [
        { kind: 'heading', level: 2, text: 'Tokens', anchor: 'Tokens' },
        { kind: 'text', text: 'Rotate them.' },
      ],
    });
  });

  it('stops a conversion past its time, without holding the event loop, and converts the next', async () => {
    const before = conversionsInWorkers();
    const error = await convertInWorker(
      { format: 'markdown', text: nestedList(1500), title: 'nest' },
      { convertTimeoutMs: 300, convertHeapMb: 512 },
    ).then(
      () => new Error('converted'),
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(DocumentLimitError);
    expect(error.message).toBe('converting the document took longer than 0.3 s; it was stopped there');
    // The parse (seconds of it) ran on a converter thread, so this one only waited: counted, not timed.
    expect(conversionsInWorkers() - before).toBe(1);
    const next = await convertInWorker({ format: 'text', text: 'Still here.', title: 'next' });
    expect(next.blocks).toEqual([{ kind: 'text', text: 'Still here.' }]);
  });

  it('stops a conversion that needs more heap than its cap', async () => {
    const error = await convertInWorker(
      { format: 'markdown', text: nestedList(2200), title: 'nest' },
      { convertTimeoutMs: 120_000, convertHeapMb: 32 },
    ).then(
      () => new Error('converted'),
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(DocumentLimitError);
    expect(error.message).toBe(
      'converting the document needed more than 32 MB of heap; it was stopped there',
    );
  }, 130_000);
});
