// The text converters' worker thread (text-converter.ts starts it): one document per message, converted
// here so that a parser's worst case (marked on nested lists or emphasis runs) never holds the service.
import { parentPort } from 'node:worker_threads';
import { convertText, type TextConversion } from './text-formats.js';
import type { TextWorkerReply } from './text-converter.js';

const port = parentPort!;
port.on('message', (request: TextConversion) => {
  let reply: TextWorkerReply;
  try {
    reply = { type: 'done', document: convertText(request) };
  } catch (err) {
    reply = { type: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
