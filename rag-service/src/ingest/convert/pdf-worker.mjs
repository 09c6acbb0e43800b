// Reads the text of PDFs in a worker thread, one at a time, so that a hostile or merely huge PDF never
// holds the service's event loop. pdf-reader.ts runs a few of these, caps their heap and the wall-clock
// time of each PDF, and terminates a worker that breaks a limit. Plain JavaScript on purpose: the same
// file runs under tsx, under jest and beside the production bundle (scripts/build.mjs bundles it to
// dist/pdf-worker.mjs). The message protocol is typed in pdf-worker.d.mts.
import { parentPort } from 'node:worker_threads';
import { constants, inflateSync } from 'node:zlib';
import { AbortException, getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** @typedef {import('./pdf-worker.mjs').PdfWorkerRequest} PdfWorkerRequest */
/** @typedef {import('./pdf-worker.mjs').PdfWorkerReply} PdfWorkerReply */
/** @typedef {import('./pdf-worker.mjs').PdfWorkerLimits} PdfWorkerLimits */
/** @typedef {import('./pdf-worker.mjs').PdfPageText} PdfPageText */

const FLATE = /\/(?:FlateDecode|Fl)\b/;
const IMAGE = /\/Subtype\s*\/Image\b/;

/**
 * How many bytes the Flate streams of the file inflate to, counted before pdfjs reads anything and
 * stopping as soon as the total passes `max`. pdfjs keeps each decoded stream whole in memory, outside
 * the heap that the worker's resource limits cap, so this count is what bounds it. Images are left out:
 * text extraction never decodes them. A stream that does not inflate here (encrypted, or another filter
 * first) is not counted; the time limit still bounds what pdfjs does with it.
 * @param {Uint8Array} bytes
 * @param {number} max
 * @returns {number} the inflated size, or a figure above `max` once it is passed
 */
function inflatedSize(bytes, max) {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let total = 0;
  let from = 0;
  for (;;) {
    const keyword = text.indexOf('stream', from);
    if (keyword < 0) return total;
    from = keyword + 6;
    if (text.startsWith('end', keyword - 3)) continue;
    let start = from;
    if (text[start] === '\r') start++;
    if (text[start] === '\n') start++;
    if (start === from) continue;
    const header = text.lastIndexOf('obj', keyword);
    const dict = text.slice(Math.max(header, keyword - 4096, 0), keyword);
    if (!FLATE.test(dict) || IMAGE.test(dict)) continue;
    const end = text.indexOf('endstream', start);
    try {
      total += inflateSync(bytes.subarray(start, end < 0 ? bytes.length : end), {
        // A truncated stream still inflates as far as it goes, as pdfjs would read it.
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: max - total + 1,
      }).length;
      // Skipped only once it proved a stream: a "stream" keyword faked inside a string or another
      // stream's data must not hide the streams that follow it.
      from = end < 0 ? text.length : end + 9;
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ERR_BUFFER_TOO_LARGE') return max + 1;
      // Not inflatable here: pdfjs will read it or reject it.
    }
    if (total > max) return total;
  }
}

/** The rule of collapseWhitespace in ../structured.ts, which this plain-JavaScript file cannot import. */
const collapse = (/** @type {string} */ s) =>
  s
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();

/**
 * @param {PdfWorkerRequest} request
 * @returns {Promise<PdfWorkerReply>}
 */
async function extract({ bytes, limits }) {
  const inflated = inflatedSize(bytes, limits.maxPdfInflatedBytes);
  if (inflated > limits.maxPdfInflatedBytes) {
    return { type: 'limit', limit: 'maxPdfInflatedBytes', figure: inflated };
  }
  const task = getDocument({
    data: bytes,
    useSystemFonts: false,
    disableFontFace: true,
    isEvalSupported: false,
    verbosity: 0,
  });
  try {
    return await readText(await task.promise, limits);
  } finally {
    // Frees what pdfjs holds for the document, so the worker starts the next PDF clean.
    await task.destroy();
  }
}

/**
 * @param {import('pdfjs-dist/legacy/build/pdf.mjs').PDFDocumentProxy} doc
 * @param {PdfWorkerLimits} limits
 * @returns {Promise<PdfWorkerReply>}
 */
async function readText(doc, limits) {
  if (doc.numPages > limits.maxPdfPages) {
    return { type: 'limit', limit: 'maxPdfPages', figure: doc.numPages };
  }
  const meta = await doc.getMetadata().catch(() => undefined);
  /** @type {unknown} */
  const info = meta?.info;
  const title = info && typeof info === 'object' && 'Title' in info ? info.Title : undefined;

  /** @type {PdfPageText[]} */
  const pages = [];
  let total = 0;
  for (let page = 1; page <= doc.numPages; page++) {
    const pdfPage = await doc.getPage(page);
    // Streamed, so that reading stops (and pdfjs stops parsing) as soon as a text limit is passed.
    const reader = pdfPage.streamTextContent().getReader();
    /** @type {string[]} */
    const parts = [];
    let chars = 0;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const item of /** @type {{ str?: unknown, hasEOL?: boolean }[]} */ (value.items)) {
          if (typeof item.str !== 'string') continue;
          parts.push(item.hasEOL ? `${item.str}\n` : item.str);
          chars += item.str.length + (item.hasEOL ? 1 : 0);
        }
        if (chars > limits.maxPdfPageChars) {
          return { type: 'limit', limit: 'maxPdfPageChars', figure: chars, page };
        }
        if (total + chars > limits.maxTextChars) {
          return { type: 'limit', limit: 'maxTextChars', figure: total + chars };
        }
      }
    } finally {
      // Cancelled when a limit stops the reading, not just left: pdfjs stops making text while 100 items
      // lie unread, and task.destroy() waits for it to finish, so a full stream left unread kept the worker
      // from ever replying. Unawaited, errors ignored, as pdfjs cancels its own readers (a stream read to
      // its end or failed has nothing to cancel).
      reader.cancel(new AbortException('a text limit was reached')).catch(() => {});
    }
    total += chars;
    const paragraphs = parts
      .join('')
      .split(/\n\s*\n/)
      .map(collapse)
      .filter(Boolean);
    if (paragraphs.length) pages.push({ page, paragraphs });
    pdfPage.cleanup();
  }
  return {
    type: 'done',
    title: typeof title === 'string' ? title.trim() : '',
    numPages: doc.numPages,
    pages,
  };
}

/**
 * @param {PdfWorkerRequest} request
 * @returns {Promise<PdfWorkerReply>}
 */
async function reply(request) {
  try {
    return await extract(request);
  } catch (err) {
    return { type: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

// One request at a time: the parent sends the next PDF only after this one's reply.
parentPort?.on('message', (/** @type {PdfWorkerRequest} */ request) => {
  void reply(request).then((r) => parentPort?.postMessage(r));
});
