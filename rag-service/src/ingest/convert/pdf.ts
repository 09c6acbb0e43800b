import { DOCUMENT_LIMITS, DocumentLimitError } from '../limits.js';
import type { Block, StructuredDocument } from '../structured.js';
import { readPdf, type PdfLimits } from './pdf-reader.js';
import type { PdfWorkerReply } from './pdf-worker.mjs';

export type { PdfLimits } from './pdf-reader.js';

export interface PdfOptions {
  /** Limits other than DOCUMENT_LIMITS (tests use small ones). */
  limits?: Partial<PdfLimits>;
}

const count = (n: number) => n.toLocaleString('en-US');
const megabytes = (bytes: number) => `${count(Math.round(bytes / (1024 * 1024)))} MB`;

/** What the reader stopped at, in words that name the limit and the figure. */
function limitMessage(reply: Extract<PdfWorkerReply, { type: 'limit' }>, limits: PdfLimits): string {
  const max = limits[reply.limit];
  switch (reply.limit) {
    case 'maxPdfPages':
      return `the PDF has ${count(reply.figure)} pages; at most ${count(max)} are read`;
    case 'maxPdfPageChars':
      return `page ${reply.page ?? '?'} of the PDF holds over ${count(max)} characters of text; at most ${count(max)} are read from one page`;
    case 'maxTextChars':
      return `the PDF holds over ${count(max)} characters of text; at most ${count(max)} are read`;
    case 'maxPdfInflatedBytes':
      return `the PDF's streams inflate to over ${megabytes(max)}; at most ${megabytes(max)} are read`;
  }
}

/**
 * PDF text, page by page. PDFs carry no reliable heading structure, so each page becomes a section
 * ("Page N", anchor `page=N`) and a citation can open the PDF at that page. pdfjs parses on the thread
 * that calls it, so the text is read in a worker thread (pdf-reader.ts) under DOCUMENT_LIMITS; a PDF past
 * one of them throws a DocumentLimitError that names the limit and the figure.
 */
export async function convertPdf(
  bytes: Uint8Array,
  fallbackTitle: string,
  options: PdfOptions = {},
): Promise<StructuredDocument> {
  const limits: PdfLimits = { ...DOCUMENT_LIMITS, ...options.limits };
  const reply = await readPdf(bytes, limits);
  if (reply.type === 'limit') throw new DocumentLimitError(limitMessage(reply, limits));
  if (reply.type === 'error') throw new Error(reply.message);
  const blocks: Block[] = [];
  for (const { page, paragraphs } of reply.pages) {
    if (reply.numPages > 1)
      blocks.push({ kind: 'heading', level: 2, text: `Page ${page}`, anchor: `page=${page}` });
    for (const text of paragraphs) blocks.push({ kind: 'text', text });
  }
  return { title: reply.title || fallbackTitle, blocks };
}
