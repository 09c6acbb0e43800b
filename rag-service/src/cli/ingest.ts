import path from 'node:path';
import { parseArgs } from 'node:util';
import type { JobProgress } from '@kb/contracts';
import { loadConfig, type Config } from '../config.js';
import { Indexer } from '../ingest/indexer.js';
import { syncSources } from '../ingest/sync.js';
import { createLogger } from '../logging.js';
import { createModels } from '../models/registry.js';
import { fileSources, openStore } from '../service.js';

export const INGEST_HELP = `Usage: pnpm ingest [options]

Syncs a source into the index now, with a progress bar and a summary at the end. Unchanged documents
are skipped; documents gone from the source are removed. Uses the same configuration (environment and
.env) as the service. Prefer the admin API while the service runs: one writer at a time is safest.

Options:
  --source <files>    the source to sync (default: files, the documents folder and uploads)
  --dir <folder>      index this folder instead of DOCS_DIR (files source only)
  --full              re-index every document; also rebuilds an index made by another embedding model
  -h, --help          show this help
`;

export interface IngestResult {
  progress: JobProgress;
  elapsedMs: number;
}

/** Runs `ingest` with parsed arguments; resolves with the final progress (exit code is the caller's). */
export async function ingest(
  argv: string[],
  env: Record<string, string | undefined>,
  onProgress?: (p: JobProgress) => void,
): Promise<IngestResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: 'string', default: 'files' },
      dir: { type: 'string' },
      full: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.source !== 'files') {
    throw new Error(`--source ${values.source} is not available: this version syncs the files source only`);
  }
  const config: Config = loadConfig({
    ...env,
    ...(values.dir ? { DOCS_DIR: path.resolve(values.dir) } : {}),
  });
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const models = await createModels(config, log);
  const store = await openStore(config, models.embedder, values.full);
  const indexer = new Indexer(store, models.embedder);
  const started = Date.now();
  try {
    const progress = await syncSources(fileSources(config), {
      store,
      indexer,
      full: values.full,
      log,
      onProgress,
    });
    return { progress, elapsedMs: Date.now() - started };
  } finally {
    await store.close();
  }
}
