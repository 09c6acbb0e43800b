import type { PdfWorkerLimits, PdfWorkerReply, PdfWorkerRequest } from './pdf-worker.mjs';
import { WorkerPool } from './worker-pool.js';

/** What one PDF is read under: the worker's own limits, plus the time and memory enforced from here. */
export type PdfLimits = PdfWorkerLimits & { pdfTimeoutMs: number; pdfHeapMb: number; pdfMemoryMb: number };

/**
 * The PDF readers: the worker is beside this module, `src/ingest/convert/` under tsx and jest, `dist/` in
 * the production bundle (scripts/build.mjs puts it there, next to main.js and cli.js). It is plain
 * JavaScript: it needs none of the parent's loaders (tsx), which would only slow it.
 */
const pdfReaders = new WorkerPool<PdfWorkerRequest, PdfWorkerReply>({
  url: new URL('./pdf-worker.mjs', import.meta.url),
  execArgv: [],
  parallel: 2,
  doing: 'parsing the PDF',
  transfer: (request) => [request.bytes.buffer as ArrayBuffer],
});

/** How many PDFs have been handed to a reader thread (tests count it: the parse ran off the event loop). */
export const pdfReadsInWorkers = (): number => pdfReaders.tasksRun;

/**
 * Reads a PDF's text in a worker thread under the limits. A worker that breaks a limit, fails or runs
 * out of time is terminated (pdfjs may be mid-parse); one that read its PDF is kept for the next.
 */
export async function readPdf(bytes: Uint8Array, limits: PdfLimits): Promise<PdfWorkerReply> {
  // A copy: the caller keeps its bytes, and the copy's buffer moves to the worker without a second copy.
  const copy = new Uint8Array(bytes);
  return pdfReaders.run(
    {
      bytes: copy,
      limits: {
        maxPdfPages: limits.maxPdfPages,
        maxPdfPageChars: limits.maxPdfPageChars,
        maxTextChars: limits.maxTextChars,
        maxPdfInflatedBytes: limits.maxPdfInflatedBytes,
      },
    },
    { timeoutMs: limits.pdfTimeoutMs, heapMb: limits.pdfHeapMb, memoryMb: limits.pdfMemoryMb },
    (reply) => reply.type === 'done',
  );
}
