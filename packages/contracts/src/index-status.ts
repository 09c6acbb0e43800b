import { z } from 'zod';
import { SyncSource } from './jobs';

export const DocumentSource = z.enum(['confluence', 'files', 's3', 'upload']);
export type DocumentSource = z.infer<typeof DocumentSource>;

export const SourceCount = z
  .object({
    source: DocumentSource,
    spaceKey: z.string().nullable(),
    documents: z.number().int().nonnegative(),
    chunks: z.number().int().nonnegative(),
    lastSyncAt: z.string().nullable(),
  })
  .meta({ id: 'SourceCount' });
export type SourceCount = z.infer<typeof SourceCount>;

export const IndexStatus = z
  .object({
    documents: z.number().int().nonnegative(),
    chunks: z.number().int().nonnegative(),
    bySource: z.array(SourceCount),
    lastSyncAt: z.string().nullable(),
    store: z.object({ kind: z.enum(['embedded', 'qdrant']), location: z.string() }),
    embeddings: z.string(),
    lastJob: z.object({ id: z.string(), source: SyncSource, state: z.string() }).nullable(),
    /** The sources this service can sync (a reindex of another is refused). */
    sources: z.array(SyncSource).default([]),
    /** What an admin must fix for every user to be served fully, in plain words (e.g. a missing Confluence permission). */
    notices: z.array(z.string()).default([]),
  })
  .meta({ id: 'IndexStatus' });
export type IndexStatus = z.infer<typeof IndexStatus>;
