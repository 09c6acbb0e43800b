import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { emptyProgress, type JobProgress } from '@kb/contracts';
import { loadConfig, nestedFolders, type Config } from '../config.js';
import { Indexer } from '../ingest/indexer.js';
import { documentsFolder, type FolderSource } from '../ingest/sources/files.js';
import { syncSources } from '../ingest/sync.js';
import { createLogger } from '../logging.js';
import { UsageError } from './failure.js';
import { createModels } from '../models/registry.js';
import { openStore, scheduledSources, sourcesFor } from '../service.js';
import { IndexMismatchError, type VectorStore } from '../store/vector-store.js';
import type { DocumentSourceAdapter } from '../ingest/sources/source.js';

export const INGEST_HELP = `Usage: pnpm ingest [options]

Syncs a source into the index now, with a progress bar and a summary at the end. Unchanged documents
are skipped; documents gone from the source are removed. Uses the same configuration (environment and
.env) as the service. Prefer the admin API while the service runs: one writer at a time is safest.

Options:
  --source <name>     files (the documents folder and uploads), confluence or s3 (S3_BUCKET)
                      (default: confluence when configured, else files)
  --spaces <A,B>      Confluence space keys to sync (default: CONFLUENCE_SPACES, or all readable)
  --dir <folder>      sync this folder as a source of its own: its documents are added (or updated)
                      beside every other source's, never in place of them. A folder DOCS_DIR lists
                      keeps its ids; add the folder to DOCS_DIR to keep it synced by the service
  --remove            with --dir: remove that folder's documents from the index (the folder may be
                      gone); for a folder DOCS_DIR does not list
  --full              re-index every document, and confirm removals the deletion guard stopped;
                      also rebuilds an index made by another embedding model
  -h, --help          show this help
`;

/**
 * The folder `--dir` names, as its own source. Relative to where the command was typed: `pnpm ingest` runs
 * in rag-service/, and pnpm says where the user was in INIT_CWD.
 */
async function folderToSync(
  dir: string,
  config: Config,
  env: Record<string, string | undefined>,
  removing: boolean,
): Promise<{ folder: FolderSource; listed: boolean }> {
  const folder = path.resolve(env.INIT_CWD ?? process.cwd(), dir);
  const real = await realpath(folder).catch(() => undefined);
  if (!removing && !(real && (await stat(real)).isDirectory()))
    throw new UsageError(`--dir ${dir}: no such folder (${folder})`);
  // The same folder by another spelling (a symlink, a trailing slash) is the configured source, same ids.
  for (const [i, configured] of config.docsDirs.entries()) {
    const same = configured === folder || (real && real === (await realpath(configured).catch(() => '')));
    if (same) {
      if (removing)
        throw new UsageError(`--dir ${dir} is listed in DOCS_DIR: take it out of DOCS_DIR before --remove`);
      return { folder: documentsFolder(configured, i === 0), listed: true };
    }
    if (real && nestedFolders(real, await realpath(configured).catch(() => configured)))
      throw new UsageError(
        `--dir ${dir} and DOCS_DIR's ${configured} are one inside the other: their files would be indexed twice`,
      );
  }
  return { folder: documentsFolder(folder, false), listed: false };
}

/** Removes every document of a folder source (gone from disk, or no longer wanted): its ids alone. */
async function forgetFolder(store: VectorStore, folder: DocumentSourceAdapter): Promise<JobProgress> {
  const ids = (await store.listDocuments(folder.name)).filter((d) => folder.covers?.(d)).map((d) => d.id);
  await store.deleteDocuments(ids);
  return { ...emptyProgress(), deleted: ids.length };
}

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
      remove: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const config: Config = loadConfig(env);
  if (values.dir !== undefined && values.source !== undefined && values.source !== 'files')
    throw new UsageError(`--dir is a folder of files: it cannot be synced as --source ${values.source}`);
  const source = values.dir ? 'files' : (values.source ?? (config.confluence ? 'confluence' : 'files'));
  if (source !== 'files' && source !== 'confluence' && source !== 's3')
    throw new UsageError(`--source must be files, confluence or s3, not "${source}"`);
  const spaceKeys = (values.spaces ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  if (values.remove && !values.dir)
    throw new UsageError('--remove needs --dir <folder>: the folder to forget');
  const dir = values.dir ? await folderToSync(values.dir, config, env, values.remove) : undefined;
  let sources: DocumentSourceAdapter[] = dir ? [dir.folder] : sourcesFor(config, source, log, spaceKeys);
  const models = await createModels(config, log);
  const store = await openStore(config, models.embedder, false, config.vectorStore, log).catch(
    async (err: unknown) => {
      // Only a full rebuild may replace an index made by another embedding model.
      if (!(err instanceof IndexMismatchError) || !values.full || values.remove) throw err;
      // It empties the index, so it is refilled from every source, not just the one asked for: the asked
      // folder (when DOCS_DIR does not list it) and every configured source, all their spaces.
      log.warn('the index was built by another embedding model: rebuilding it from every source');
      sources = [
        ...scheduledSources(config).flatMap((s) => sourcesFor(config, s, log, [])),
        ...(dir && !dir.listed ? [dir.folder] : []),
      ];
      return openStore(config, models.embedder, true);
    },
  );
  const indexer = new Indexer(store, models.embedder);
  const started = Date.now();
  try {
    if (values.remove)
      return { progress: await forgetFolder(store, sources[0]!), elapsedMs: Date.now() - started };
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
