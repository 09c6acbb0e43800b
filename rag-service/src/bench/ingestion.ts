import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfluenceTestServer } from '../../test/fakes/confluence-server.js';
import { OpenAITestServer } from '../../test/fakes/openai-server.js';
import { ingest } from '../cli/ingest.js';

export interface IngestionResult {
  pages: number;
  firstSync: { seconds: number; pagesPerSecond: number; chunks: number };
  /** A second sync with nothing changed: lists versions, fetches no body, embeds nothing. */
  noOpResync: { seconds: number; bodyFetches: number; embeddingCalls: number };
}

function storage(i: number): string {
  const p = (s: number) =>
    `<p>Step ${s} of procedure ${i}: check the service, restart the worker, confirm the queue drains.</p>`;
  return `<h2>Overview ${i}</h2>${p(1)}${p(2)}<h2>Details</h2><ul><li>Owner: team ${i % 17}</li><li>Runbook ${i}</li></ul>${p(3)}`;
}

/**
 * Confluence ingestion through the same code as `pnpm ingest` (confluence.js v2 against the Confluence test
 * server, the embedded store, embeddings from a server that answers at once), then a resync with nothing
 * changed.
 */
export async function ingestion(
  pages: number,
  onProgress?: (what: string) => void,
): Promise<IngestionResult> {
  const confluence = await new ConfluenceTestServer().start();
  const model = await new OpenAITestServer().start();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-ingest-'));
  try {
    const spaces = ['ENG', 'OPS', 'HR', 'SALES', 'DOCS'].map((k) => confluence.addSpace(k));
    for (let i = 0; i < pages; i++)
      confluence.addContent(spaces[i % spaces.length]!, `Procedure ${i}`, storage(i));
    const env = {
      DATA_DIR: dir,
      CONFLUENCE_URL: confluence.url,
      CONFLUENCE_USERNAME: confluence.email,
      CONFLUENCE_API_TOKEN: confluence.token,
      EMBEDDINGS_PROVIDER: 'openai',
      LLM_PROVIDER: 'none',
      OPENAI_API_KEY: model.apiKey,
      OPENAI_BASE_URL: model.baseUrl,
      LOG_LEVEL: 'silent',
    };
    const args = ['--source', 'confluence'];
    onProgress?.(`first sync of ${pages} pages`);
    const first = await ingest(args, env);
    const fetchesBefore = confluence.bodyFetches();
    const embedsBefore = model.requestsTo(/embeddings/).length;
    onProgress?.('resync with nothing changed');
    const again = await ingest(args, env);
    if (first.progress.indexed !== pages || again.progress.unchanged !== pages) {
      throw new Error(
        `ingestion bench: expected ${pages} pages indexed then unchanged, got ${JSON.stringify([first.progress, again.progress])}`,
      );
    }
    return {
      pages,
      firstSync: {
        seconds: first.elapsedMs / 1000,
        pagesPerSecond: Math.round((pages / (first.elapsedMs / 1000)) * 10) / 10,
        chunks: first.progress.chunks,
      },
      noOpResync: {
        seconds: again.elapsedMs / 1000,
        bodyFetches: confluence.bodyFetches() - fetchesBefore,
        embeddingCalls: model.requestsTo(/embeddings/).length - embedsBefore,
      },
    };
  } finally {
    await Promise.all([confluence.close(), model.close(), rm(dir, { recursive: true, force: true })]);
  }
}
