import { DOCUMENT_LIMITS } from '../limits.js';
import type { StructuredDocument } from '../structured.js';
import type { TextConversion } from './text-formats.js';
import { WorkerPool } from './worker-pool.js';

export type TextWorkerReply =
  { type: 'done'; document: StructuredDocument } | { type: 'error'; message: string };

/** Time and heap one text document may take to convert. */
export interface ConversionLimits {
  convertTimeoutMs: number;
  convertHeapMb: number;
}

/**
 * Under tsx and jest this module is TypeScript, and so is its worker, which ts-worker.mjs starts with tsx;
 * in the production bundle both are JavaScript in dist/ (scripts/build.mjs), the worker as text-worker.mjs.
 */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

const converters = new WorkerPool<TextConversion, TextWorkerReply>({
  url: new URL(FROM_SOURCE ? './ts-worker.mjs' : './text-worker.mjs', import.meta.url),
  execArgv: [],
  workerData: { entry: new URL('./text-worker.ts', import.meta.url).href },
  parallel: 2,
  doing: 'converting the document',
});

/** How many documents have been handed to a converter thread (tests count it: they ran off the event loop). */
export const conversionsInWorkers = (): number => converters.tasksRun;

/**
 * A text document (Markdown, HTML, plain text, a Confluence page's storage format) converted in a worker
 * thread. The parsers are not linear in every input (21 KB of Markdown emphasis runs took marked 32 s, a
 * list nested 2,200 deep ran the heap out at 4 GB), so they run where a deadline and a heap cap can stop
 * them: a document past either throws a DocumentLimitError; the service goes on.
 */
export async function convertInWorker(
  conversion: TextConversion,
  limits: ConversionLimits = DOCUMENT_LIMITS,
): Promise<StructuredDocument> {
  const reply = await converters.run(
    conversion,
    { timeoutMs: limits.convertTimeoutMs, heapMb: limits.convertHeapMb },
    (r) => r.type === 'done',
  );
  if (reply.type === 'error') throw new Error(reply.message);
  return reply.document;
}
