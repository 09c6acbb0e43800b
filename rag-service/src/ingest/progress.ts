import { emptyProgress, type JobProgress } from '@kb/contracts';

/** Adds two progress records field by field; a missing one counts as zero. */
export function addProgress(a: JobProgress | undefined, b: JobProgress | undefined): JobProgress {
  const sum = emptyProgress();
  for (const key of Object.keys(sum) as (keyof JobProgress)[]) sum[key] = (a?.[key] ?? 0) + (b?.[key] ?? 0);
  return sum;
}
