import { IndexStatus, Insights, Job, JobAccepted, JobList } from '@kb/contracts';
import type { ResolverInput, ResolverKey, ResolverOutput, ResolverResult } from '../resolver-contract';
import type { Deadline } from './deadline';
import { callService } from './service-client';
import type { TrustedContext } from './trusted-context';

type AdminCall<K extends ResolverKey> = (
  input: ResolverInput<K>,
  ctx: TrustedContext,
  deadline: Deadline,
) => Promise<ResolverResult<ResolverOutput<K>>>;

/** The admin page's calls: thin, typed passes to the service's admin routes (the caller is checked before). */
export const indexStatus: AdminCall<'indexStatus'> = (_input, ctx, deadline) =>
  callService(
    { method: 'GET', path: '/api/v1/admin/index', accountId: ctx.accountId },
    IndexStatus,
    deadline,
  );

export const reindex: AdminCall<'reindex'> = (input, ctx, deadline) =>
  callService(
    { method: 'POST', path: '/api/v1/admin/reindex', body: input, accountId: ctx.accountId },
    JobAccepted,
    deadline,
  );

export const listJobs: AdminCall<'listJobs'> = (_input, ctx, deadline) =>
  callService({ method: 'GET', path: '/api/v1/admin/jobs', accountId: ctx.accountId }, JobList, deadline);

export const getJob: AdminCall<'getJob'> = (input, ctx, deadline) =>
  callService(
    {
      method: 'GET',
      path: `/api/v1/admin/jobs/${encodeURIComponent(input.jobId)}`,
      accountId: ctx.accountId,
    },
    Job,
    deadline,
  );

export const cancelJob: AdminCall<'cancelJob'> = (input, ctx, deadline) =>
  callService(
    {
      method: 'POST',
      path: `/api/v1/admin/jobs/${encodeURIComponent(input.jobId)}/cancel`,
      accountId: ctx.accountId,
    },
    Job,
    deadline,
  );

export const insights: AdminCall<'insights'> = (input, ctx, deadline) =>
  callService(
    {
      method: 'GET',
      path: `/api/v1/admin/insights${input.days ? `?days=${input.days}` : ''}`,
      accountId: ctx.accountId,
    },
    Insights,
    deadline,
  );
