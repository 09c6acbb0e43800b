import type { Job } from '@kb/contracts';

/**
 * How often the admin page asks for a running job's progress. Resolvers cannot stream, so the page polls;
 * a job that is moving is worth watching closely, but one stuck on a slow source (a big Confluence space,
 * a rate-limited model) would cost a resolver call every 1.5 s for nothing. So the wait doubles while
 * nothing changes, up to 30 s, and drops back to 1.5 s as soon as anything moves.
 */
export const POLL_FIRST_MS = 1_500;
export const POLL_MAX_MS = 30_000;

export function nextPollDelay(previousMs: number, changed: boolean): number {
  return changed ? POLL_FIRST_MS : Math.min(previousMs * 2, POLL_MAX_MS);
}

/** What counts as a change: another job, another state, or any progress figure moving. */
export function jobFingerprint(job: Job): string {
  return JSON.stringify([job.id, job.state, job.progress]);
}
