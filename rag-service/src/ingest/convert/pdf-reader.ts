import { Worker } from 'node:worker_threads';
import { DocumentLimitError } from '../limits.js';
import type { PdfWorkerLimits, PdfWorkerReply, PdfWorkerRequest } from './pdf-worker.mjs';

/** What one PDF is read under: the worker's own limits, plus the time and memory enforced from here. */
export type PdfLimits = PdfWorkerLimits & { pdfTimeoutMs: number; pdfHeapMb: number; pdfMemoryMb: number };

/**
 * The worker beside this module: `src/ingest/convert/` under tsx and jest, `dist/` in the production
 * bundle (scripts/build.mjs puts it there, next to main.js and cli.js).
 */
const WORKER_URL = new URL('./pdf-worker.mjs', import.meta.url);
/** PDFs read at once: each worker may use `pdfHeapMb`, so a burst of uploads cannot add up. */
const PARALLEL_PDFS = 2;
/** An idle worker is kept this long for the next PDF (starting one costs ~0.3 s), then ended. */
const IDLE_MS = 30_000;
/** How often the process's memory is checked while a PDF is read. */
const MEMORY_CHECK_MS = 50;
const MB = 1024 * 1024;

const count = (n: number) => n.toLocaleString('en-US');
const stopped = (what: string) => new DocumentLimitError(`parsing the PDF ${what}; it was stopped there`);

/** One worker thread that reads PDFs one after the other. */
class PdfThread {
  private readonly worker: Worker;
  private job?: { resolve: (reply: PdfWorkerReply) => void; reject: (err: Error) => void };
  private idleTimer?: NodeJS.Timeout;
  exited = false;

  constructor(readonly heapMb: number) {
    this.worker = new Worker(WORKER_URL, {
      // The worker is plain JavaScript: it needs none of the parent's loaders (tsx), which would only slow it.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
    });
    this.worker.on('message', (reply: PdfWorkerReply) => this.settle((job) => job.resolve(reply)));
    this.worker.on('error', (err: NodeJS.ErrnoException) => {
      const error =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? stopped(`needed more than ${count(heapMb)} MB of heap`)
          : err;
      this.settle((job) => job.reject(error));
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      clearTimeout(this.idleTimer);
      this.settle((job) => job.reject(new Error(`the PDF reader stopped unexpectedly (exit code ${code})`)));
    });
  }

  private settle(action: (job: NonNullable<PdfThread['job']>) => void): void {
    const job = this.job;
    this.job = undefined;
    if (job) action(job);
  }

  /**
   * Reads one PDF, within `timeoutMs` and while the process grows by at most `memoryMb`; the caller ends
   * the thread unless the reply is `done`.
   */
  read(request: PdfWorkerRequest, { pdfTimeoutMs, pdfMemoryMb }: PdfLimits): Promise<PdfWorkerReply> {
    clearTimeout(this.idleTimer);
    this.worker.ref();
    return new Promise<PdfWorkerReply>((resolve, reject) => {
      const fail = (err: Error) => this.settle((job) => job.reject(err));
      const timer = setTimeout(
        () => fail(stopped(`took longer than ${count(pdfTimeoutMs / 1000)} s`)),
        pdfTimeoutMs,
      );
      // RSS counts every thread of the process: a PDF read beside another may be blamed for its growth too,
      // which only matters at sizes no honest PDF reaches.
      const baseline = process.memoryUsage.rss();
      const watch = setInterval(() => {
        if (process.memoryUsage.rss() - baseline > pdfMemoryMb * MB)
          fail(stopped(`grew the service's memory by more than ${count(pdfMemoryMb)} MB`));
      }, MEMORY_CHECK_MS);
      const done = () => {
        clearTimeout(timer);
        clearInterval(watch);
      };
      this.job = {
        resolve: (reply) => {
          done();
          resolve(reply);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
      this.worker.postMessage(request, [request.bytes.buffer as ArrayBuffer]);
    });
  }

  /** Waits, unreferenced, for the next PDF: an idle reader never keeps the process alive. */
  rest(onExpired: () => void): void {
    this.worker.unref();
    this.idleTimer = setTimeout(onExpired, IDLE_MS).unref();
  }

  async end(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.worker.terminate();
  }
}

const idle: PdfThread[] = [];
let busy = 0;
const queue: (() => void)[] = [];

async function takeThread(heapMb: number): Promise<PdfThread> {
  if (busy >= PARALLEL_PDFS) await new Promise<void>((resolve) => queue.push(resolve));
  busy++;
  for (const dead of idle.filter((t) => t.exited)) idle.splice(idle.indexOf(dead), 1);
  const i = idle.findIndex((t) => t.heapMb === heapMb);
  if (i >= 0) return idle.splice(i, 1)[0]!;
  // Threads with another heap cap (tests use small ones) give way rather than pile up.
  if (idle.length + busy > PARALLEL_PDFS) void idle.shift()?.end();
  return new PdfThread(heapMb);
}

async function giveBack(thread: PdfThread, reusable: boolean): Promise<void> {
  try {
    if (!reusable || thread.exited) await thread.end();
    else {
      idle.push(thread);
      thread.rest(() => {
        const i = idle.indexOf(thread);
        if (i >= 0) void idle.splice(i, 1)[0]!.end();
      });
    }
  } finally {
    busy--;
    queue.shift()?.();
  }
}

/**
 * Reads a PDF's text in a worker thread under the limits. A worker that breaks a limit, fails or runs
 * out of time is terminated (pdfjs may be mid-parse); one that read its PDF is kept for the next.
 */
export async function readPdf(bytes: Uint8Array, limits: PdfLimits): Promise<PdfWorkerReply> {
  const thread = await takeThread(limits.pdfHeapMb);
  let reply: PdfWorkerReply | undefined;
  try {
    // A copy: the caller keeps its bytes, and the copy's buffer moves to the worker without a second copy.
    const copy = new Uint8Array(bytes);
    reply = await thread.read(
      {
        bytes: copy,
        limits: {
          maxPdfPages: limits.maxPdfPages,
          maxPdfPageChars: limits.maxPdfPageChars,
          maxTextChars: limits.maxTextChars,
          maxPdfInflatedBytes: limits.maxPdfInflatedBytes,
        },
      },
      limits,
    );
    return reply;
  } finally {
    await giveBack(thread, reply?.type === 'done');
  }
}
