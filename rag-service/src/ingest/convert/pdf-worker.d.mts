// The message protocol between pdf.ts and pdf-worker.mjs. The worker is plain JavaScript so that it runs
// unchanged under tsx, under jest and from the production bundle; these types are what TypeScript sees.

/** The limits the worker enforces itself (time and heap are enforced from outside, by pdf.ts). */
export interface PdfWorkerLimits {
  maxPdfPages: number;
  maxPdfPageChars: number;
  maxTextChars: number;
  maxPdfInflatedBytes: number;
}

/** `workerData`: the PDF (its buffer transferred, not copied) and the limits. */
export interface PdfWorkerRequest {
  bytes: Uint8Array;
  limits: PdfWorkerLimits;
}

export interface PdfPageText {
  /** 1-based page number. */
  page: number;
  /** The page's paragraphs, whitespace collapsed; pages without text are left out. */
  paragraphs: string[];
}

/** The one message the worker posts before it ends. */
export type PdfWorkerReply =
  | { type: 'done'; title: string; numPages: number; pages: PdfPageText[] }
  | {
      type: 'limit';
      limit: keyof PdfWorkerLimits;
      /** The figure that broke the limit: pages, characters or bytes (a lower bound when reading stopped early). */
      figure: number;
      /** The page being read, for a per-page limit. */
      page?: number;
    }
  | { type: 'error'; message: string };
