import type { IndexStatus, Job, ReindexRequest } from '@kb/contracts';
import { useEffect, useRef, useState } from 'react';
import type { ResolverFailure } from '../resolver-contract';
import { callResolver } from './call-resolver';
import { jobFingerprint, nextPollDelay, POLL_FIRST_MS } from './poll-backoff';
import type { Failure } from './use-chat';

export interface Admin {
  loading: boolean;
  /** Set when the caller is not a product admin: the page shows only this. */
  refused: ResolverFailure | null;
  status: IndexStatus | null;
  jobs: Job[];
  /** The job running now (queued or running), followed live. */
  activeJob: Job | null;
  failure: Failure | null;
  starting: boolean;
  cancelling: boolean;
  reindex: (request: ReindexRequest) => void;
  cancel: () => void;
  refresh: () => void;
}

const isActive = (job: Job): boolean => job.state === 'queued' || job.state === 'running';

/** The admin page's state: index status and recent jobs, reindex and cancel, live progress of a running job. */
export function useAdmin(): Admin {
  const [loading, setLoading] = useState(true);
  const [refused, setRefused] = useState<ResolverFailure | null>(null);
  const [status, setStatus] = useState<IndexStatus | null>(null);
  const [jobs, setJobs] = useState<Job[]>([]);
  const [activeJob, setActiveJob] = useState<Job | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [starting, setStarting] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const mounted = useRef(true);
  // The wait before the next look at the running job, and what the last look saw (see poll-backoff.ts).
  const pollDelay = useRef(POLL_FIRST_MS);
  const lastSeen = useRef<string | null>(null);

  const fail = (error: ResolverFailure, retry: () => void): void => {
    if (error.code === 'not_admin') setRefused(error);
    else setFailure({ error, retry });
  };

  const refresh = (): void => {
    void Promise.all([callResolver('indexStatus', {}), callResolver('listJobs', {})]).then(([s, j]) => {
      if (!mounted.current) return;
      setLoading(false);
      if (!s.ok) return fail(s.error, refresh);
      if (!j.ok) return fail(j.error, refresh);
      setFailure(null);
      setStatus(s.data);
      setJobs(j.data.jobs);
      // A job that just ended stays on show with its final figures until another starts.
      setActiveJob(
        (shown) => j.data.jobs.find(isActive) ?? j.data.jobs.find((job) => job.id === shown?.id) ?? null,
      );
    });
  };

  const follow = (jobId: string): void => {
    void callResolver('getJob', { jobId }).then((result) => {
      if (!mounted.current) return;
      if (!result.ok) return fail(result.error, () => follow(jobId));
      const seen = jobFingerprint(result.data);
      pollDelay.current =
        lastSeen.current === null
          ? POLL_FIRST_MS
          : nextPollDelay(pollDelay.current, seen !== lastSeen.current);
      lastSeen.current = seen;
      setActiveJob(result.data);
      if (!isActive(result.data)) refresh();
    });
  };

  const reindex = (request: ReindexRequest): void => {
    if (starting) return;
    setStarting(true);
    setFailure(null);
    void callResolver('reindex', request).then((result) => {
      if (!mounted.current) return;
      setStarting(false);
      if (result.ok) return follow(result.data.jobId);
      // One job at a time: if one already runs, follow it rather than report an error.
      if (result.error.code === 'conflict' && result.error.jobId) return follow(result.error.jobId);
      fail(result.error, () => reindex(request));
    });
  };

  const cancel = (): void => {
    if (!activeJob || cancelling) return;
    const jobId = activeJob.id;
    setCancelling(true);
    void callResolver('cancelJob', { jobId }).then((result) => {
      if (!mounted.current) return;
      setCancelling(false);
      if (!result.ok) return fail(result.error, cancel);
      setActiveJob(result.data);
      if (!isActive(result.data)) refresh();
    });
  };

  useEffect(() => {
    mounted.current = true;
    refresh();
    return () => {
      mounted.current = false;
    };
    // Loaded once on open; later loads follow the admin's actions and job completions.
  }, []);

  // Resolvers cannot stream, so a running job is polled: each answer schedules the next ask, never two
  // at once, backing off while nothing changes; a finished job or a closed page stops it.
  useEffect(() => {
    if (!activeJob || !isActive(activeJob)) return;
    const jobId = activeJob.id;
    const timer = setTimeout(() => follow(jobId), pollDelay.current);
    return () => clearTimeout(timer);
  }, [activeJob]);

  return {
    loading,
    refused,
    status,
    jobs,
    activeJob,
    failure,
    starting,
    cancelling,
    reindex,
    cancel,
    refresh,
  };
}
