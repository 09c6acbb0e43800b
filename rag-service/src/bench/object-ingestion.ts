import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { OpenAITestServer } from '../../test/fakes/openai-server.js';
import { S3_TEST_CREDENTIALS, S3TestServer } from '../../test/fakes/s3-server.js';
import { ingest } from '../cli/ingest.js';

export interface SourceSyncFigures {
  firstSync: { seconds: number; documentsPerSecond: number; chunks: number };
  /** A second sync with nothing changed: lists, downloads and embeds nothing. */
  noOpResync: { seconds: number; downloads: number; embeddingCalls: number };
}

export interface ObjectIngestionResult {
  documents: number;
  s3: SourceSyncFigures;
  folder: SourceSyncFigures;
}

const BUCKET = 'kb-bench';

function markdown(i: number): string {
  const p = (s: number) =>
    `Step ${s} of procedure ${i}: check the service, restart the worker, confirm the queue drains.`;
  return `# Procedure ${i}\n\n## Overview\n\n${p(1)} ${p(2)}\n\n## Details\n\n- Owner: team ${i % 17}\n- Runbook ${i}\n\n${p(3)}\n`;
}

const figures = (
  documents: number,
  first: { elapsedMs: number; chunks: number },
  again: { elapsedMs: number },
  downloads: number,
  embeddingCalls: number,
): SourceSyncFigures => ({
  firstSync: {
    seconds: first.elapsedMs / 1000,
    documentsPerSecond: Math.round((documents / (first.elapsedMs / 1000)) * 10) / 10,
    chunks: first.chunks,
  },
  noOpResync: { seconds: again.elapsedMs / 1000, downloads, embeddingCalls },
});

/**
 * The same Markdown documents ingested from a bucket (the AWS SDK against S3 on loopback) and from a
 * folder, through the code `pnpm ingest` runs, with embeddings from a server that answers at once; then
 * each resynced with nothing changed.
 */
export async function objectIngestion(
  documents: number,
  onProgress?: (what: string) => void,
): Promise<ObjectIngestionResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-objects-'));
  const s3 = await new S3TestServer(path.join(dir, 's3')).start();
  const model = await new OpenAITestServer().start();
  const saved = { ...process.env };
  try {
    // The SDK's credential chain reads the environment, as a task role's would be.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const client = await s3.bucket(BUCKET);
    const folder = path.join(dir, 'docs');
    await mkdir(folder, { recursive: true });
    onProgress?.(`writing ${documents} documents to the bucket and the folder`);
    let next = 0;
    const put = async () => {
      while (next < documents) {
        const i = next++;
        const body = markdown(i);
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `docs/p${i}.md`, Body: body }));
        await writeFile(path.join(folder, `p${i}.md`), body);
      }
    };
    await Promise.all(Array.from({ length: 16 }, put));
    const base = {
      EMBEDDINGS_PROVIDER: 'openai',
      LLM_PROVIDER: 'none',
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
      LOG_LEVEL: 'silent',
    };
    const s3Env = {
      ...base,
      DATA_DIR: path.join(dir, 'data-s3'),
      S3_BUCKET: BUCKET,
      S3_PREFIX: 'docs/',
      S3_REGION: 'us-east-1',
      S3_ENDPOINT: s3.url,
      S3_FORCE_PATH_STYLE: 'true',
    };
    const run = async (args: string[], env: Record<string, string>, downloads: () => number) => {
      onProgress?.(`first sync of ${documents} documents (${args.join(' ')})`);
      const first = await ingest(args, env);
      const downloadsBefore = downloads();
      const embedsBefore = model.requestsTo(/embeddings/).length;
      onProgress?.(`resync with nothing changed (${args.join(' ')})`);
      const again = await ingest(args, env);
      if (first.progress.indexed < documents || again.progress.unchanged < documents) {
        throw new Error(
          `object ingestion bench: expected ${documents} indexed then unchanged, got ${JSON.stringify([first.progress, again.progress])}`,
        );
      }
      return figures(
        documents,
        { elapsedMs: first.elapsedMs, chunks: first.progress.chunks },
        again,
        downloads() - downloadsBefore,
        model.requestsTo(/embeddings/).length - embedsBefore,
      );
    };
    const gets = () => s3.requests.filter((r) => r.startsWith(`GET /${BUCKET}/docs/p`)).length;
    const s3Figures = await run(['--source', 's3'], s3Env, gets);
    // A folder has no downloads: what a resync reads there is every file, to hash it.
    const folderFigures = await run(
      ['--source', 'files', '--dir', folder],
      { ...base, DATA_DIR: path.join(dir, 'data-folder') },
      () => 0,
    );
    return { documents, s3: s3Figures, folder: folderFigures };
  } finally {
    process.env = saved;
    await Promise.all([s3.close(), model.close()]);
    await rm(dir, { recursive: true, force: true });
  }
}
