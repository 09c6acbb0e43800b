import { AppError } from '../errors.js';

/**
 * What one document may cost to index. A document past a limit fails on its own, with the reason, and
 * never holds the service: the rest of a sync goes on, and an upload gets a 4xx that says which limit.
 */
export const DOCUMENT_LIMITS = {
  /** Text a document may hold once converted (characters): about 2,500 pages of prose. */
  maxTextChars: 20_000_000,
  /** Chunks one document may produce; past it the document is refused rather than half-indexed. */
  maxChunks: 20_000,
  /** Wall-clock time one text document (Markdown, HTML, a Confluence page) may take to convert. */
  convertTimeoutMs: 20_000,
  /** Heap the converters' worker thread may use (MB). */
  convertHeapMb: 512,
  /** PDF pages read at most. */
  maxPdfPages: 2_000,
  /**
   * Text one PDF page may hold (characters). A dense A4 page holds under 10,000 and a poster or drawing
   * a few times more; past this, the page is machine-made filler, not something to answer from.
   */
  maxPdfPageChars: 1_000_000,
  /** Bytes a PDF may inflate to (its decoded streams), so a small file cannot become gigabytes. */
  maxPdfInflatedBytes: 64 * 1024 * 1024,
  /** Wall-clock time one PDF may take to parse, off the event loop. */
  pdfTimeoutMs: 30_000,
  /** Heap the PDF reader's worker thread may use (MB); past it the worker is stopped. */
  pdfHeapMb: 256,
  /**
   * How much the service's memory (RSS) may grow while a PDF is read (MB). pdfjs keeps decoded streams in
   * buffers outside the heap, which the heap cap does not see; this catches what the inflate count misses.
   */
  pdfMemoryMb: 512,
} as const;

/** The limits' shape, as plain numbers (tests and callers pass their own). */
export type DocumentLimits = { readonly [K in keyof typeof DOCUMENT_LIMITS]: number };

/**
 * A document that breaks one of the limits above; its message names the limit and the figure. An upload
 * that breaks one is answered 413 with that message; a sync records it as the document's failure.
 */
export class DocumentLimitError extends AppError {
  constructor(message: string) {
    super('payload_too_large', message);
  }
}
