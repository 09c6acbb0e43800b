import { z } from 'zod';
import { SPACE_KEYS_MAX } from './limits';
import { SpaceKey } from './chat';

export const SyncSource = z.enum(['confluence', 'files', 's3']);
export type SyncSource = z.infer<typeof SyncSource>;

export const ReindexRequest = z
  .object({
    source: SyncSource.optional(),
    spaceKeys: z.array(SpaceKey).max(SPACE_KEYS_MAX).optional(),
    full: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'ReindexRequest' });
export type ReindexRequest = z.infer<typeof ReindexRequest>;

export const JobState = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

export const JobProgress = z
  .object({
    discovered: z.number().int().nonnegative(),
    processed: z.number().int().nonnegative(),
    indexed: z.number().int().nonnegative(),
    unchanged: z.number().int().nonnegative(),
    deleted: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    chunks: z.number().int().nonnegative(),
  })
  .meta({ id: 'JobProgress' });
export type JobProgress = z.infer<typeof JobProgress>;

/** How many document failures a job keeps; `progress.failed` still counts every one. */
export const JOB_FAILURES_KEPT = 20;

/** A document a sync could not read, convert, chunk or index, and why. */
export const DocumentFailure = z
  .object({
    /** The document's id, e.g. `file:guides/manual.pdf`. */
    document: z.string(),
    reason: z.string(),
  })
  .meta({ id: 'DocumentFailure' });
export type DocumentFailure = z.infer<typeof DocumentFailure>;

export const Job = z
  .object({
    id: z.string(),
    source: SyncSource,
    state: JobState,
    full: z.boolean(),
    spaceKeys: z.array(z.string()),
    progress: JobProgress,
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
    /** The first documents that failed (at most JOB_FAILURES_KEPT), each with its reason. */
    failures: z.array(DocumentFailure).max(JOB_FAILURES_KEPT).optional(),
  })
  .meta({ id: 'Job' });
export type Job = z.infer<typeof Job>;

export const JobAccepted = z.object({ jobId: z.string() }).meta({ id: 'JobAccepted' });
export type JobAccepted = z.infer<typeof JobAccepted>;

export const JobList = z.object({ jobs: z.array(Job) }).meta({ id: 'JobList' });
export type JobList = z.infer<typeof JobList>;

export function emptyProgress(): JobProgress {
  return { discovered: 0, processed: 0, indexed: 0, unchanged: 0, deleted: 0, failed: 0, chunks: 0 };
}
