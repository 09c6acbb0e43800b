import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from '@kb/contracts';
import type { Logger } from 'pino';

/** The job record of a job whose runner is gone (its process stopped or died), as every replica shows it. */
export const INTERRUPTED =
  'interrupted: the service running this job stopped before it finished; run it again';

/** Jobs a list shows, newest first. */
export const JOBS_LISTED = 50;

export const isActive = (job: Job): boolean => job.state === 'running' || job.state === 'queued';

/** The right to run a job, held until the job ends: while it is held, no other job starts anywhere. */
export interface JobLease {
  release(): Promise<void>;
  /** Aborted if the right is lost while the job runs (the connection holding a shared lock broke). */
  readonly lost?: AbortSignal;
  /**
   * Whether the right still holds, asked on every heartbeat: a connection can be cut without a word (a
   * partition, a failover), and only asking over it finds out.
   */
  held?(): Promise<boolean>;
}

export type Claim =
  | { ok: true; lease: JobLease }
  /** Another job runs (`running` names it when it can be read), or this schedule slot already ran. */
  | { ok: false; reason: 'running'; running: Job | undefined }
  | { ok: false; reason: 'slot-taken' };

/**
 * Where job records live and how the one-sync-at-a-time rule is kept: a file for one process, PostgreSQL
 * for every replica of the service at once.
 */
export interface JobLedger {
  /** True when other processes see these jobs (and may run or cancel them). */
  readonly shared: boolean;
  /**
   * Records `job` as running if no job runs; `slot` names a scheduled tick, which runs once however many
   * replicas fire it.
   */
  claim(job: Job, slot?: string): Promise<Claim>;
  /**
   * Writes the job's current record (progress, state, outcome); false when the job is no longer this
   * runner's to write (another replica failed it as orphaned).
   */
  save(job: Job): Promise<boolean>;
  get(id: string): Promise<Job | undefined>;
  /** The newest JOBS_LISTED jobs, newest first. */
  list(): Promise<Job[]>;
  /** Asks whoever runs job `id` to stop; false when it does not run. */
  requestCancel(id: string): Promise<boolean>;
  /** Whether someone asked job `id` to stop. */
  cancelRequested(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Jobs of one process, kept in `DATA_DIR/jobs.json` (written whole and renamed into place, so a crash
 * never leaves half a file). Jobs that were running when the process stopped are failed on open.
 */
export class FileJobLedger implements JobLedger {
  readonly shared = false;
  private readonly jobs: Job[] = [];
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  static async open(dataDir: string, log: Logger): Promise<FileJobLedger> {
    const ledger = new FileJobLedger(path.join(dataDir, 'jobs.json'), log);
    await mkdir(dataDir, { recursive: true });
    try {
      const saved = JSON.parse(await readFile(ledger.file, 'utf8')) as Job[];
      for (const job of saved) {
        if (isActive(job)) {
          // The process that ran it is gone; say so rather than show a job that never ends.
          Object.assign(job, { state: 'failed', error: INTERRUPTED, finishedAt: new Date().toISOString() });
        }
        ledger.jobs.push(job);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        log.warn({ err: (err as Error).message }, 'job history unreadable; starting a new one');
    }
    return ledger;
  }

  claim(job: Job): Promise<Claim> {
    const running = this.jobs.find(isActive);
    if (running) return Promise.resolve({ ok: false, reason: 'running', running });
    this.jobs.unshift(job);
    this.jobs.splice(JOBS_LISTED);
    return this.save(job).then(() => ({ ok: true as const, lease: { release: () => Promise.resolve() } }));
  }

  save(job: Job): Promise<boolean> {
    const at = this.jobs.findIndex((j) => j.id === job.id);
    if (at >= 0) this.jobs[at] = job;
    const snapshot = JSON.stringify(this.jobs, null, 1);
    this.saving = this.saving
      .then(async () => {
        await writeFile(`${this.file}.tmp`, snapshot);
        await rename(`${this.file}.tmp`, this.file);
      })
      .catch((err: unknown) =>
        this.log.error({ err: (err as Error).message }, 'could not save the job history'),
      );
    return this.saving.then(() => true);
  }

  get(id: string): Promise<Job | undefined> {
    return Promise.resolve(this.jobs.find((j) => j.id === id));
  }

  list(): Promise<Job[]> {
    return Promise.resolve([...this.jobs]);
  }

  // One process: a job it does not run itself does not run at all.
  requestCancel(): Promise<boolean> {
    return Promise.resolve(false);
  }

  cancelRequested(): Promise<boolean> {
    return Promise.resolve(false);
  }

  async close(): Promise<void> {
    await this.saving;
  }
}
