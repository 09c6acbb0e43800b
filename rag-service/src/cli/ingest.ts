import path from 'node:path';
import { parseArgs } from 'node:util';
import type { JobProgress } from '@kb/contracts';
import { loadConfig, type Config } from '../config.js';
import { Indexer } from '../ingest/indexer.js';
import { syncSources } from '../ingest/sync.js';
import { createLogger } from '../logging.js';
import { createModels } from '../models/registry.js';
import { openStore, sourcesFor } from '../service.js';
import { IndexMismatchError } from '../store/vector-store.js';

export const INGEST_HELP = `Usage: pnpm ingest [options]

Syncs a source into the index now, with a progress bar and a summary at the end. Unchanged documents
are skipped; documents gone from the source are removed. Uses the same configuration (environment and
.env) as the service. Prefer the admin API while the service runs: one writer at a time is safest.

Options:
  --source <name>     files (the documents folder and uploads), confluence or s3 (S3_BUCKET)
                      (default: confluence when configured, else files)
  --spaces <A,B>      Confluence space keys to sync (default: CONFLUENCE_SPACES, or all readable)
  --dir <folder>      index this folder instead of DOCS_DIR (files source only)
  --full              re-index every document, and confirm removals the deletion guard stopped;
                      also rebuilds an index made by another embedding model
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
      source: { type: 'string' },
      dir: { type: 'string' },
      spaces: { type: 'string' },
      full: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const config: Config = loadConfig({
    ...env,
    ...(values.dir ? { DOCS_DIR: path.resolve(values.dir) } : {}),
  });
  const source = values.source ?? (config.confluence ? 'confluence' : 'files');
  if (source !== 'files' && source !== 'confluence' && source !== 's3')
    throw new Error(`--source must be files, confluence or s3, not "${source}"`);
  const spaceKeys = (values.spaces ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const sources = sourcesFor(config, source, log, spaceKeys);
  const models = await createModels(config, log);
  const store = await openStore(config, models.embedder, false, config.vectorStore, log).catch(
    async (err: unknown) => {
      // Only a full rebuild may replace an index made by another embedding model; every source must then be synced.
      if (!(err instanceof IndexMismatchError) || !values.full) throw err;
      log.warn('the index was built by another embedding model: rebuilding it; sync every source again');
      return openStore(config, models.embedder, true);
    },
  );
  const indexer = new Indexer(store, models.embedder);
  const started = Date.now();
  try {
    const progress = await syncSources(sources, {
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
