import { convertPdf } from '../../src/ingest/convert/pdf.js';
import { pdfReadsInWorkers } from '../../src/ingest/convert/pdf-reader.js';
import { DocumentLimitError } from '../../src/ingest/limits.js';
import { makeInflatingPdf, TEXT_OPERATORS } from '../helpers/hostile-pdf.js';
import { makePdf } from '../helpers/pdf.js';

const MB = 1024 * 1024;
/**
 * Out of the way of tests about other limits: the default 30 s deadline is wall-clock, which a loaded
 * machine can pass while reading a 10 MB bomb in full. The deadline has its own test.
 */
const NO_DEADLINE = { pdfTimeoutMs: 60 * 60_000 };

/**
 * Converts, returning the error it fails with and how many PDFs went to a reader thread meanwhile. The
 * loop stays free because pdfjs runs over there (on this thread it held the loop for minutes): that is
 * counted, not timed, so a loaded machine cannot fail it. Which limit stopped the work, the error names.
 */
async function attempt(pdf: Buffer, limits?: Parameters<typeof convertPdf>[2]) {
  const before = pdfReadsInWorkers();
  const error = await convertPdf(pdf, 'fallback', {
    ...limits,
    limits: { ...NO_DEADLINE, ...limits?.limits },
  }).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  return { error, inWorkers: pdfReadsInWorkers() - before };
}

describe('PDF limits', () => {
  it('reads a decompression bomb off the event loop and refuses it, naming the limit', async () => {
    // 36 KB on disk, 10 MB of text-drawing operators once inflated: one page with ~6 million characters.
    const bomb = makeInflatingPdf(10 * MB);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const { error, inWorkers } = await attempt(bomb);
    expect(inWorkers).toBe(1);
    expect(error).toBeInstanceOf(DocumentLimitError);
    expect(error?.message).toBe(
      'page 1 of the PDF holds over 1,000,000 characters of text; at most 1,000,000 are read from one page',
    );
  });

  it('keeps the loop free even for a bomb it reads in full, and returns its text', async () => {
    // Read on the event loop, this kept it busy for ten seconds: pdfjs yields between slices of work, so
    // probes got through, but slowly, and the joining and splitting at the end held it in one go.
    // Now the reader thread joins the page's text into paragraphs too: this thread only lays out blocks.
    const bomb = makeInflatingPdf(10 * MB);
    const before = pdfReadsInWorkers();
    const doc = await convertPdf(bomb, 'fallback', {
      limits: { ...NO_DEADLINE, maxPdfPageChars: Infinity },
    });
    expect(pdfReadsInWorkers() - before).toBe(1);
    const [text, ...more] = doc.blocks.flatMap((b) => (b.kind === 'text' ? [b.text] : []));
    expect(more).toEqual([]);
    const sentence = TEXT_OPERATORS.slice(TEXT_OPERATORS.indexOf('(') + 1, TEXT_OPERATORS.indexOf(')'));
    expect(text?.length).toBe(Math.ceil((10 * MB) / TEXT_OPERATORS.length) * sentence.length);
    expect(text?.slice(0, sentence.length * 2)).toBe(sentence + sentence);
  });

  it('refuses a PDF with more pages than maxPdfPages', async () => {
    const pdf = makePdf(Array.from({ length: 2_001 }, (_, i) => [`page ${i + 1}`]));
    const { error } = await attempt(pdf);
    expect(error).toBeInstanceOf(DocumentLimitError);
    expect(error?.message).toBe('the PDF has 2,001 pages; at most 2,000 are read');
  });

  it('refuses streams that inflate past maxPdfInflatedBytes, counted before pdfjs reads them', async () => {
    const limits = { limits: { maxPdfInflatedBytes: 2 * MB } };
    const draws = '0 0 m 1 1 l S\n'; // lines: no text, so no text limit would stop them
    for (const pdf of [
      makeInflatingPdf(8 * MB, draws),
      // Three streams cut short, each inflating to ~1.5 MB: under the limit alone, over it together.
      makeInflatingPdf(9 * MB, draws, { streams: 3, truncate: true }),
      // A "stream" keyword faked inside a string must not hide the real stream after it.
      makeInflatingPdf(8 * MB, draws, { dict: '/Note (see the stream\n) ' }),
    ]) {
      const { error } = await attempt(pdf, limits);
      expect(error).toBeInstanceOf(DocumentLimitError);
      // The inflate count stopped it, not the time or memory limits that would stop a parse of it.
      expect(error?.message).toBe("the PDF's streams inflate to over 2 MB; at most 2 MB are read");
    }
    // The default allows 64 MB: a 100 MB bomb that draws nothing is refused, not parsed.
    const { error } = await attempt(makeInflatingPdf(100 * MB, draws));
    expect(error?.message).toBe("the PDF's streams inflate to over 64 MB; at most 64 MB are read");
  });

  it('refuses a PDF whose text passes maxTextChars', async () => {
    const pdf = makePdf([['a'.repeat(40)], ['b'.repeat(40)]]);
    const { error } = await attempt(pdf, { limits: { maxTextChars: 50 } });
    expect(error).toBeInstanceOf(DocumentLimitError);
    expect(error?.message).toBe('the PDF holds over 50 characters of text; at most 50 are read');
  });

  it('stops a parse that takes longer than pdfTimeoutMs', async () => {
    const { error } = await attempt(makeInflatingPdf(10 * MB), {
      limits: { pdfTimeoutMs: 300, maxPdfPageChars: Infinity },
    });
    expect(error).toBeInstanceOf(DocumentLimitError);
    // Only the deadline's timer says this: the parse was cut there rather than run to its end.
    expect(error?.message).toBe('parsing the PDF took longer than 0.3 s; it was stopped there');
  });

  it('stops a parse that needs more heap than pdfHeapMb', async () => {
    // One 8 MB string literal: pdfjs's lexer builds it a character at a time.
    const pdf = makeInflatingPdf(1, `BT /F1 12 Tf 72 720 Td (${'A'.repeat(8 * MB)}) Tj ET\n`);
    const { error, inWorkers } = await attempt(pdf, {
      limits: { pdfHeapMb: 32, maxPdfPageChars: Infinity },
    });
    expect(inWorkers).toBe(1);
    expect(error).toBeInstanceOf(DocumentLimitError);
    expect(error?.message).toBe('parsing the PDF needed more than 32 MB of heap; it was stopped there');
  });

  it('stops a bomb disguised from the inflate count once the memory it costs passes pdfMemoryMb', async () => {
    // Labelled an image, the content stream is not counted before parsing (images are never decoded for
    // text), but pdfjs decodes it as the page's content, into buffers the heap cap does not see.
    const disguised = makeInflatingPdf(150 * MB, '0 0 m\n', { dict: '/Subtype /Image /Width 1 /Height 1' });
    const { error } = await attempt(disguised, { limits: { pdfMemoryMb: 64 } });
    expect(error).toBeInstanceOf(DocumentLimitError);
    expect(error?.message).toBe(
      "parsing the PDF grew the service's memory by more than 64 MB; it was stopped there",
    );
  });

  it("replies at a text limit even when pdfjs filled the page's text stream meanwhile", async () => {
    // pdfjs makes a page's text on the far side of a stream and waits while 100 items lie unread. The
    // font's new size stops it after 20 items, which break the limit; it resumes at once and fills the
    // stream (each TJ gives 50 items: strings set back to the left) before the reader stops. Destroying
    // the document waits for that stream: left unread, it kept the worker from ever replying. Font
    // changes and item counts decide this, not speed: pdfjs looks at the clock every 100 operations.
    const run = (size: number, items: number) =>
      `BT /F1 ${size} Tf 600 720 Td [${Array(items).fill('(ab)').join(' 2000 ')}] TJ ET\n`;
    const pdf = makeInflatingPdf(1, run(12, 20) + run(10, 50).repeat(4));
    const page = await attempt(pdf, { limits: { maxPdfPageChars: 10 } });
    expect(page.inWorkers).toBe(1);
    expect(page.error?.message).toBe(
      'page 1 of the PDF holds over 10 characters of text; at most 10 are read from one page',
    );
    const text = await attempt(pdf, { limits: { maxTextChars: 10 } });
    expect(text.inWorkers).toBe(1);
    expect(text.error?.message).toBe('the PDF holds over 10 characters of text; at most 10 are read');
  });

  it('reads the next PDF normally after one broke a limit, several at once, and a broken one as unreadable', async () => {
    await expect(
      convertPdf(makeInflatingPdf(1 * MB), 'x', { limits: { ...NO_DEADLINE, maxPdfPageChars: 1_000 } }),
    ).rejects.toThrow(DocumentLimitError);
    const docs = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        convertPdf(makePdf([[`Document ${n} text.`]], `Doc ${n}`), 'x', { limits: NO_DEADLINE }),
      ),
    );
    expect(docs.map((d) => d.title)).toEqual(['Doc 1', 'Doc 2', 'Doc 3', 'Doc 4', 'Doc 5']);
    expect(docs[4]?.blocks).toEqual([{ kind: 'text', text: 'Document 5 text.' }]);
    // A broken file is still a reading error (the upload says "could not be read"), not a limit.
    const { error } = await attempt(Buffer.from('%PDF-1.4\ngarbage'));
    expect(error?.message).toBe('Invalid PDF structure.');
    expect(error).not.toBeInstanceOf(DocumentLimitError);
  });
});
