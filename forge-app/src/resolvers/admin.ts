import { IndexStatus, Job, JobAccepted, JobList } from '@kb/contracts';
import type { ResolverInput, ResolverKey, ResolverOutput, ResolverResult } from '../resolver-contract';
import { ADMIN_TIMEOUT_MS, callService } from './service-client';
import type { TrustedContext } from './trusted-context';

type AdminCall<K extends ResolverKey> = (
  input: ResolverInput<K>,
  ctx: TrustedContext,
) => Promise<ResolverResult<ResolverOutput<K>>>;

/** The admin page's calls: thin, typed passes to the service's admin routes (the caller is checked before). */
export const indexStatus: AdminCall<'indexStatus'> = (_input, ctx) =>
  callService({ method: 'GET', path: '/api/v1/admin/index', ...call(ctx) }, IndexStatus);

export const reindex: AdminCall<'reindex'> = (input, ctx) =>
  callService({ method: 'POST', path: '/api/v1/admin/reindex', body: input, ...call(ctx) }, JobAccepted);

export const listJobs: AdminCall<'listJobs'> = (_input, ctx) =>
  callService({ method: 'GET', path: '/api/v1/admin/jobs', ...call(ctx) }, JobList);

export const getJob: AdminCall<'getJob'> = (input, ctx) =>
  callService(
    { method: 'GET', path: `/api/v1/admin/jobs/${encodeURIComponent(input.jobId)}`, ...call(ctx) },
    Job,
  );

export const cancelJob: AdminCall<'cancelJob'> = (input, ctx) =>
  callService(
    { method: 'POST', path: `/api/v1/admin/jobs/${encodeURIComponent(input.jobId)}/cancel`, ...call(ctx) },
    Job,
  );

function call(ctx: TrustedContext): { accountId: string | undefined; timeoutMs: number } {
  return { accountId: ctx.accountId, timeoutMs: ADMIN_TIMEOUT_MS };
}
