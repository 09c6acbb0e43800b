import { randomUUID } from 'node:crypto';
import {
  emptyProgress,
  JOB_FAILURES_KEPT,
  type DocumentFailure,
  type Job,
  type JobProgress,
  type SyncSource,
} from '@kb/contracts';
import type { Logger } from 'pino';
import { DatabaseUnavailableError } from '../db/database.js';
import { AppError, conflict, notFound } from '../errors.js';
import { FileJobLedger, isActive, type JobLease, type JobLedger } from './job-ledger.js';

/** What a runner reports: the job's figures and, when it has any, the documents that failed so far. */
export type JobReport = JobProgress & { failures?: DocumentFailure[] };

export interface JobRun {
  full: boolean;
  spaceKeys: string[];
  signal: AbortSignal;
  onProgress: (report: JobReport) => void;
}

/** Runs one sync of a source; resolves with the final report, throws when the sync failed. */
export type JobRunner = (run: JobRun) => Promise<JobReport>;

/** Puts a runner's report on the job: the figures in `progress`, the failures (bounded) beside them. */
function record(job: Job, { failures, ...progress }: JobReport): void {
  job.progress = progress;
  if (failures) job.failures = failures.slice(0, JOB_FAILURES_KEPT);
}

/** How often a running job's progress is written, and (shared jobs) a cancel from another replica read. */
const HEARTBEAT_MS = 1000;

export interface JobStartRequest {
  source: SyncSource;
  full?: boolean;
  spaceKeys?: string[];
  /** A scheduled tick's time: with shared jobs, the first replica to claim it runs it, the others skip. */
  slot?: string;
}

/** A scheduled tick that another replica ran already. */
export class SlotTakenError extends Error {
  override readonly name = 'SlotTakenError';
}

class LockLostError extends Error {
  override readonly name = 'LockLostError';
}

/** A job this process runs: its record (always the freshest), how to stop it, and when it ends. */
interface LocalJob {
  job: Job;
  controller: AbortController;
  done: Promise<Job>;
}

/**
 * Sync jobs: at most one runs at a time — in this process, or with a shared ledger in any replica; each
 * can be watched and cancelled from anywhere the ledger reaches. Records live in the ledger: a file for one
 * process, PostgreSQL for several.
 */
export class JobRegistry {
  private readonly local = new Map<string, LocalJob>();
  /** Jobs this process started and finished: whenFinished answers for them without a read. */
  private readonly finished = new Map<string, Promise<Job>>();

  constructor(
    private readonly ledger: JobLedger,
    private readonly runners: Partial<Record<SyncSource, JobRunner>>,
    private readonly log: Logger,
  ) {}

  /** Jobs of this process alone, kept in `DATA_DIR/jobs.json`. */
  static async open(
    dataDir: string,
    runners: Partial<Record<SyncSource, JobRunner>>,
    log: Logger,
  ): Promise<JobRegistry> {
    return new JobRegistry(await FileJobLedger.open(dataDir, log), runners, log);
  }

  get shared(): boolean {
    return this.ledger.shared;
  }

  sources(): SyncSource[] {
    return Object.keys(this.runners) as SyncSource[];
  }

  async running(): Promise<Job | undefined> {
    for (const { job } of this.local.values()) if (isActive(job)) return job;
    return (await this.list()).find(isActive);
  }

  async start(request: JobStartRequest): Promise<Job> {
    const runner = this.runners[request.source];
    if (!runner) {
      throw new AppError('invalid_request', `source "${request.source}" is not configured on this service`, {
        configured: this.sources(),
      });
    }
    const job: Job = {
      id: randomUUID(),
      source: request.source,
      state: 'running',
      full: request.full ?? false,
      spaceKeys: request.spaceKeys ?? [],
      progress: emptyProgress(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
      failures: [],
    };
    const claim = await this.ledger.claim(job, request.slot).catch(unavailable);
    if (!claim.ok) {
      if (claim.reason === 'slot-taken')
        throw new SlotTakenError(`the tick ${request.slot ?? ''} ran already`);
      const id = claim.running?.id;
      throw conflict(id ? `job ${id} is still running` : 'another job is still running', { jobId: id });
    }
    this.log.info({ jobId: job.id, source: job.source, full: job.full }, 'sync job started');
    const controller = new AbortController();
    const done = this.run(job, runner, controller, claim.lease);
    this.local.set(job.id, { job, controller, done });
    this.finished.set(job.id, done);
    return job;
  }

  async get(id: string): Promise<Job> {
    const job = this.local.get(id)?.job ?? (await this.ledger.get(id).catch(unavailable));
    if (!job) throw notFound(`no job with id ${id}`);
    return job;
  }

  /** The newest jobs, newest first; a job this process runs shows its progress of this moment. */
  async list(): Promise<Job[]> {
    const jobs = await this.ledger.list().catch(unavailable);
    return jobs.map((j) => this.local.get(j.id)?.job ?? j);
  }

  async cancel(id: string): Promise<Job> {
    const mine = this.local.get(id);
    if (mine) {
      mine.controller.abort(new Error('cancelled'));
      return mine.job;
    }
    const job = await this.get(id);
    // Another replica runs it: it reads the request within a heartbeat and stops.
    if (isActive(job) && (await this.ledger.requestCancel(id).catch(unavailable))) return job;
    throw conflict(`job ${id} is not running (it is ${job.state})`, { state: job.state });
  }

  /** Resolves when the job has finished: at once for an old job, by reading the ledger for another replica's. */
  async whenFinished(id: string): Promise<Job> {
    const mine = this.finished.get(id);
    if (mine) return mine;
    for (;;) {
      const job = await this.get(id);
      if (!isActive(job)) return job;
      await new Promise((r) => setTimeout(r, HEARTBEAT_MS));
    }
  }

  /** Cancels what this process runs and waits until each job's outcome is recorded. */
  async close(): Promise<void> {
    for (const { controller } of this.local.values()) controller.abort(new Error('shutting down'));
    await Promise.all([...this.local.values()].map((l) => l.done));
    await this.ledger.close();
  }

  private async run(job: Job, runner: JobRunner, controller: AbortController, lease: JobLease): Promise<Job> {
    // Without its lock another replica may start a sync beside this one: this one stops and says why.
    const stopLost = (why: string) => {
      if (!controller.signal.aborted) controller.abort(new LockLostError(`${why}; run it again`));
    };
    let saving: Promise<void> = Promise.resolve();
    // Writes are queued, so the last one written is the last one made.
    const save = () => {
      const snapshot = structuredClone(job);
      saving = saving
        .then(() => this.ledger.save(snapshot))
        .then(
          (mine) => {
            if (!mine) stopLost('another replica marked this job failed (its lock looked free)');
          },
          (err: unknown) =>
            this.log.warn({ jobId: job.id, err: (err as Error).message }, 'could not record job progress'),
        );
      return saving;
    };
    const lockLost = () => stopLost('the database connection holding the job lock broke');
    lease.lost?.addEventListener('abort', lockLost, { once: true });
    let changed = false;
    let checking = false;
    const heartbeat = setInterval(() => {
      if (changed) void save();
      changed = false;
      if (!this.ledger.shared || checking) return;
      checking = true;
      void Promise.all([
        this.ledger.cancelRequested(job.id).then(
          (asked) => asked && controller.abort(new Error('cancelled')),
          () => undefined,
        ),
        lease.held?.().then(
          (held) => held || stopLost('the job lock is no longer held'),
          () => stopLost('the connection holding the job lock does not answer'),
        ),
      ]).finally(() => (checking = false));
    }, HEARTBEAT_MS);
    try {
      const report = await runner({
        full: job.full,
        spaceKeys: job.spaceKeys,
        signal: controller.signal,
        onProgress: (report) => {
          record(job, report);
          changed = true;
        },
      });
      record(job, report);
      job.state = controller.signal.aborted ? 'cancelled' : 'succeeded';
    } catch (err) {
      if (controller.signal.reason instanceof LockLostError) {
        job.state = 'failed';
        job.error = controller.signal.reason.message;
      } else if (controller.signal.aborted) job.state = 'cancelled';
      else {
        job.state = 'failed';
        job.error = err instanceof Error ? err.message : String(err);
      }
    } finally {
      clearInterval(heartbeat);
      lease.lost?.removeEventListener('abort', lockLost);
    }
    job.finishedAt = new Date().toISOString();
    await save();
    await lease.release().catch(() => undefined);
    this.local.delete(job.id);
    this.log.info(
      { jobId: job.id, state: job.state, progress: job.progress, error: job.error ?? undefined },
      'sync job finished',
    );
    return job;
  }
}

/** The shared ledger's database did not answer: the admin gets a clear 503, not an internal error. */
function unavailable(err: unknown): never {
  if (err instanceof DatabaseUnavailableError) {
    throw new AppError('upstream_unavailable', `jobs are unavailable: ${err.message}`);
  }
  throw err;
}
