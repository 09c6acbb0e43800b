import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { EmbeddedStore } from '../store/embedded.js';
import { QdrantStore } from '../store/qdrant.js';

export const MIGRATE_HELP = `Usage: pnpm kb migrate-to-qdrant [options]

Copies the embedded index in DATA_DIR into Qdrant (QDRANT_URL, QDRANT_API_KEY, QDRANT_COLLECTION) as it
is: chunks, vectors and document records. Nothing is re-embedded, so no model key is needed. The
collection records the same embedding model, so the service can switch to VECTOR_STORE=qdrant at once.

Options:
  --replace     drop the Qdrant collection first if it exists (otherwise it must match the index)
  -h, --help    show this help
`;

export interface MigrateResult {
  documents: number;
  chunks: number;
  elapsedMs: number;
}

export async function migrateToQdrant(
  argv: string[],
  env: Record<string, string | undefined>,
  onBatch?: (documents: number) => void,
): Promise<MigrateResult> {
  const { values } = parseArgs({
    args: argv,
    options: { replace: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  const config = loadConfig(env);
  if (!config.qdrant.url)
    throw new Error('set QDRANT_URL (and QDRANT_API_KEY for Qdrant Cloud) to the Qdrant to copy into');
  const dir = path.join(config.dataDir, 'index');
  const identity = await EmbeddedStore.identityAt(dir);
  if (!identity) throw new Error(`no embedded index in ${dir}: nothing to copy`);

  const started = Date.now();
  const source = await EmbeddedStore.open({ dir, identity, readOnly: true });
  const target = await QdrantStore.open({
    url: config.qdrant.url,
    apiKey: config.qdrant.apiKey,
    collection: config.qdrant.collection,
    identity,
    reset: values.replace,
  });
  try {
    let documents = 0;
    for await (const batch of source.exportDocuments()) {
      await target.replaceDocuments(batch);
      documents += batch.length;
      onBatch?.(documents);
    }
    const [from, to] = await Promise.all([source.stats(), target.stats()]);
    if (to.documents < from.documents || to.chunks < from.chunks) {
      throw new Error(
        `copy incomplete: Qdrant holds ${to.documents} documents and ${to.chunks} chunks, the index ${from.documents} and ${from.chunks}`,
      );
    }
    return { documents: from.documents, chunks: from.chunks, elapsedMs: Date.now() - started };
  } finally {
    await source.close();
    await target.close();
  }
}
