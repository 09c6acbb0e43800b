import type { Job } from '@kb/contracts';
import type { Database, Queryable } from '../db/database.js';
import { isUuid } from '../db/uuid.js';
import { INTERRUPTED, isActive, JOBS_LISTED, type Claim, type JobLedger } from './job-ledger.js';

/** Any fixed number, the same in every replica: whoever holds this advisory lock is running a job. */
const JOB_LOCK = 0x6b62_0002;
/** Rows kept; the list shows the newest JOBS_LISTED. */
const JOBS_KEPT = 500;

/**
 * Jobs shared by every replica through PostgreSQL. The replica that runs a job holds a session-level
 * advisory lock on a connection of its own for as long as the job runs. PostgreSQL releases the lock when
 * that connection ends — also when the process is killed — so a job row still "running" while nobody holds
 * the lock belongs to a dead replica: it is marked failed (and can be run again), never left blocking.
 */
export class PostgresJobLedger implements JobLedger {
  readonly shared = true;

  constructor(private readonly db: Database) {}

  async claim(job: Job, slot?: string): Promise<Claim> {
    const session = await this.db.reserve();
    let held = false;
    try {
      const [lock] = await session.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [
        JOB_LOCK,
      ]);
      held = lock?.held === true;
      if (!held) {
        session.release();
        return { ok: false, reason: 'running', running: await this.active() };
      }
      // The lock is ours: no live replica runs a job, so any row still running is a dead one's.
      await failOrphans(session);
      const inserted = await session.query(
        `INSERT INTO jobs (id, state, record, schedule_slot) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (schedule_slot) DO NOTHING RETURNING id`,
        [job.id, job.state, JSON.stringify(job), slot ?? null],
      );
      if (!inserted.length) {
        await session.query('SELECT pg_advisory_unlock($1)', [JOB_LOCK]);
        session.release();
        return { ok: false, reason: 'slot-taken' };
      }
      await session.query(
        `DELETE FROM jobs WHERE id IN (SELECT id FROM jobs ORDER BY created_at DESC OFFSET ${JOBS_KEPT})`,
      );
      return {
        ok: true,
        lease: {
          lost: session.lost,
          held: async () =>
            (
              await session.query(
                `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted
                    AND pid = pg_backend_pid()`,
                [JOB_LOCK],
              )
            ).length > 0,
          release: async () => {
            // A connection that broke has lost the lock already; either way it is not reused.
            const unlocked = await session.query('SELECT pg_advisory_unlock($1)', [JOB_LOCK]).then(
              () => true,
              () => false,
            );
            session.release(!unlocked);
          },
        },
      };
    } catch (err) {
      // Unknown state (maybe holding the lock): the connection is closed, which releases whatever it held.
      session.release(true);
      throw err;
    }
  }

  async save(job: Job): Promise<boolean> {
    // Only while it runs: a row another replica failed as orphaned is not brought back to life.
    const rows = await this.db.query(
      `UPDATE jobs SET state = $2, record = $3::jsonb WHERE id = $1 AND state IN ('queued', 'running')
       RETURNING id`,
      [job.id, job.state, JSON.stringify(job)],
    );
    return rows.length > 0;
  }

  async get(id: string): Promise<Job | undefined> {
    if (!isUuid(id)) return undefined;
    const read = () => this.db.query<{ record: Job }>('SELECT record FROM jobs WHERE id = $1', [id]);
    let [row] = await read();
    if (row && isActive(row.record) && (await this.failOrphansIfUnlocked())) [row] = await read();
    return row?.record;
  }

  async list(): Promise<Job[]> {
    const read = () =>
      this.db.query<{ record: Job }>(`SELECT record FROM jobs ORDER BY created_at DESC LIMIT ${JOBS_LISTED}`);
    let rows = await read();
    if (rows.some((r) => isActive(r.record)) && (await this.failOrphansIfUnlocked())) rows = await read();
    return rows.map((r) => r.record);
  }

  async requestCancel(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await this.db.query(
      `UPDATE jobs SET cancel_requested = true WHERE id = $1 AND state IN ('queued', 'running') RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  async cancelRequested(id: string): Promise<boolean> {
    const [row] = await this.db.query<{ cancel_requested: boolean }>(
      'SELECT cancel_requested FROM jobs WHERE id = $1',
      [id],
    );
    return row?.cancel_requested === true;
  }

  async close(): Promise<void> {}

  private async active(): Promise<Job | undefined> {
    return (await this.list()).find(isActive);
  }

  /**
   * Fails the running rows if nobody holds the job lock (their replica died); true when it did. The lock
   * is taken for this transaction only, so a replica starting a job at the same moment sees it held and
   * gets a 409, as it would from a running job.
   */
  private failOrphansIfUnlocked(): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [lock] = await tx.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS free', [
        JOB_LOCK,
      ]);
      if (!lock?.free) return false;
      return (await failOrphans(tx)) > 0;
    });
  }
}

async function failOrphans(q: Queryable): Promise<number> {
  const rows = await q.query(
    `UPDATE jobs SET state = 'failed',
            record = record || jsonb_build_object('state', 'failed', 'error', $1::text,
                                                  'finishedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      WHERE state IN ('queued', 'running') RETURNING id`,
    [INTERRUPTED],
  );
  return rows.length;
}
