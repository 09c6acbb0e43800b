// Starts a TypeScript worker thread when the service runs from its sources (tsx, jest): Node 20 does not
// apply a parent's `--import tsx` to a worker, so the worker registers tsx itself, then loads the module
// named in workerData. The production bundle never uses this file: its workers are JavaScript already.
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
