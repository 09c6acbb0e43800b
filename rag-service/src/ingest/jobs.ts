import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  emptyProgress,
  JOB_FAILURES_KEPT,
  type DocumentFailure,
  type Job,
  type JobProgress,
  type SyncSource,
} from '@kb/contracts';
import type { Logger } from 'pino';
import { AppError, conflict, notFound } from '../errors.js';

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

const HISTORY_LIMIT = 50;
const PROGRESS_SAVE_INTERVAL_MS = 1000;

export interface JobStartRequest {
  source: SyncSource;
  full?: boolean;
  spaceKeys?: string[];
}

/**
 * Sync jobs: at most one runs at a time; each can be watched and cancelled; the history survives restarts
 * in `DATA_DIR/jobs.json` (written whole and renamed into place, so a crash never leaves half a file).
 */
export class JobRegistry {
  private readonly jobs: Job[] = [];
  private readonly controllers = new Map<string, AbortController>();
  private readonly finished = new Map<string, Promise<Job>>();
  private saving: Promise<void> = Promise.resolve();
  private lastProgressSave = 0;

  private constructor(
    private readonly file: string,
    private readonly runners: Partial<Record<SyncSource, JobRunner>>,
    private readonly log: Logger,
  ) {}

  static async open(
    dataDir: string,
    runners: Partial<Record<SyncSource, JobRunner>>,
    log: Logger,
  ): Promise<JobRegistry> {
    const registry = new JobRegistry(path.join(dataDir, 'jobs.json'), runners, log);
    await mkdir(dataDir, { recursive: true });
    try {
      const saved = JSON.parse(await readFile(registry.file, 'utf8')) as Job[];
      for (const job of saved) {
        if (job.state === 'running' || job.state === 'queued') {
          // The process that ran it is gone; say so rather than show a job that never ends.
          Object.assign(job, {
            state: 'failed',
            error: 'interrupted: the service stopped while this job ran',
            finishedAt: new Date().toISOString(),
          });
        }
        registry.jobs.push(job);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn({ err: (err as Error).message }, 'job history unreadable; starting a new one');
    }
    return registry;
  }

  sources(): SyncSource[] {
    return Object.keys(this.runners) as SyncSource[];
  }

  running(): Job | undefined {
    return this.jobs.find((j) => j.state === 'running' || j.state === 'queued');
  }

  start(request: JobStartRequest): Job {
    const runner = this.runners[request.source];
    if (!runner) {
      throw new AppError('invalid_request', `source "${request.source}" is not configured on this service`, {
        configured: this.sources(),
      });
    }
    const active = this.running();
    if (active) throw conflict(`job ${active.id} is still running`, { jobId: active.id });

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
    this.jobs.unshift(job);
    this.jobs.splice(HISTORY_LIMIT);
    const controller = new AbortController();
    this.controllers.set(job.id, controller);
    this.save();
    this.log.info({ jobId: job.id, source: job.source, full: job.full }, 'sync job started');

    const done = runner({
      full: job.full,
      spaceKeys: job.spaceKeys,
      signal: controller.signal,
      onProgress: (report) => {
        record(job, report);
        if (Date.now() - this.lastProgressSave > PROGRESS_SAVE_INTERVAL_MS) this.save();
      },
    })
      .then((report) => {
        record(job, report);
        job.state = controller.signal.aborted ? 'cancelled' : 'succeeded';
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) job.state = 'cancelled';
        else {
          job.state = 'failed';
          job.error = err instanceof Error ? err.message : String(err);
        }
      })
      .then(() => {
        job.finishedAt = new Date().toISOString();
        this.controllers.delete(job.id);
        this.log.info(
          { jobId: job.id, state: job.state, progress: job.progress, error: job.error ?? undefined },
          'sync job finished',
        );
        this.save();
        return job;
      });
    this.finished.set(job.id, done);
    return job;
  }

  get(id: string): Job {
    const job = this.jobs.find((j) => j.id === id);
    if (!job) throw notFound(`no job with id ${id}`);
    return job;
  }

  list(): Job[] {
    return [...this.jobs];
  }

  cancel(id: string): Job {
    const job = this.get(id);
    const controller = this.controllers.get(id);
    if (!controller) throw conflict(`job ${id} is not running (it is ${job.state})`, { state: job.state });
    controller.abort(new Error('cancelled'));
    return job;
  }

  /** Resolves when the job has finished (at once for an old job). */
  async whenFinished(id: string): Promise<Job> {
    return this.finished.get(id) ?? this.get(id);
  }

  /** Cancels whatever runs and waits for the history to be on disk. */
  async close(): Promise<void> {
    for (const controller of this.controllers.values()) controller.abort(new Error('shutting down'));
    await Promise.all([...this.finished.values()]);
    await this.saving;
  }

  private save(): void {
    this.lastProgressSave = Date.now();
    const snapshot = JSON.stringify(this.jobs, null, 1);
    this.saving = this.saving
      .then(async () => {
        await writeFile(`${this.file}.tmp`, snapshot);
        await rename(`${this.file}.tmp`, this.file);
      })
      .catch((err: unknown) =>
        this.log.error({ err: (err as Error).message }, 'could not save the job history'),
      );
  }
}
