import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyProgress, type Job, type JobProgress } from '@kb/contracts';
import { AppError } from '../../src/errors.js';
import { migrate } from '../../src/db/migrations.js';
import { PostgresDatabase } from '../../src/db/postgres.js';
import { FileJobLedger, type JobLedger } from '../../src/ingest/job-ledger.js';
import { JobRegistry, type JobRunner } from '../../src/ingest/jobs.js';
import { PostgresJobLedger } from '../../src/ingest/postgres-job-ledger.js';
import { createLogger } from '../../src/logging.js';
import { freshPostgres, TEST_SERVER_URL } from '../helpers/postgres.js';
import { TcpOutage } from '../helpers/tcp-outage.js';
import { tempDir } from '../helpers/temp.js';

const log = createLogger('silent');

/** A runner that reports progress, then waits until released or cancelled. */
function gatedRunner() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const runner: JobRunner = async ({ signal, onProgress }) => {
    const p: JobProgress = { ...emptyProgress(), discovered: 3, processed: 1 };
    onProgress(p);
    await Promise.race([
      gate,
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))),
    ]);
    return { ...p, processed: 3, indexed: 3 };
  };
  return { runner, release: () => release() };
}

/** The registry's rules hold on either ledger: a file for one process, PostgreSQL for every replica. */
const LEDGERS: [
  string,
  (dir: string) => Promise<{ ledger: () => Promise<JobLedger>; drop: () => Promise<void> }>,
][] = [
  ['a file', async (dir) => ({ ledger: () => FileJobLedger.open(dir, log), drop: async () => undefined })],
  [
    'PostgreSQL',
    async () => {
      const database = await freshPostgres();
      const dbs: PostgresDatabase[] = [];
      return {
        ledger: async () => {
          const db = new PostgresDatabase(database.url);
          dbs.push(db);
          await migrate(db);
          return new PostgresJobLedger(db);
        },
        drop: async () => {
          await Promise.all(dbs.map((db) => db.close()));
          await database.drop();
        },
      };
    },
  ],
];

describe.each(LEDGERS)('JobRegistry on %s', (_name, makeLedger) => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let ledgers: Awaited<ReturnType<typeof makeLedger>>;
  const opened: JobRegistry[] = [];
  const open = async (runners: ConstructorParameters<typeof JobRegistry>[1]) => {
    const registry = new JobRegistry(await ledgers.ledger(), runners, log);
    opened.push(registry);
    return registry;
  };
  beforeEach(async () => {
    tmp = await tempDir();
    ledgers = await makeLedger(tmp.dir);
  });
  afterEach(async () => {
    // The history is written asynchronously: let every registry finish writing before the folder goes.
    await Promise.all(opened.splice(0).map((r) => r.close()));
    await ledgers.drop();
    await tmp.remove();
  });

  it('runs a job to success with its progress', async () => {
    const { runner, release } = gatedRunner();
    const jobs = await open({ files: runner });
    const job = await jobs.start({ source: 'files' });
    expect(await jobs.get(job.id)).toMatchObject({
      state: 'running',
      progress: { discovered: 3, processed: 1 },
    });
    release();
    const done = await jobs.whenFinished(job.id);
    expect(done).toMatchObject({
      state: 'succeeded',
      full: false,
      spaceKeys: [],
      progress: { indexed: 3 },
      error: null,
    });
    expect(done.finishedAt).not.toBeNull();
    expect(await jobs.list()).toEqual([done]);
  });

  it('refuses a second job while one runs, naming the running one', async () => {
    const { runner, release } = gatedRunner();
    const jobs = await open({ files: runner });
    const first = await jobs.start({ source: 'files' });
    const second = jobs.start({ source: 'files', full: true });
    await expect(second).rejects.toBeInstanceOf(AppError);
    await expect(second).rejects.toMatchObject({ code: 'conflict', details: { jobId: first.id } });
    release();
    await jobs.whenFinished(first.id);
    await expect(jobs.start({ source: 'files' })).resolves.toMatchObject({ state: 'running' });
  });

  it('cancels a running job cleanly, and refuses to cancel a finished one', async () => {
    const { runner } = gatedRunner();
    const jobs = await open({ files: runner });
    const job = await jobs.start({ source: 'files' });
    await jobs.cancel(job.id);
    expect((await jobs.whenFinished(job.id)).state).toBe('cancelled');
    await expect(jobs.cancel(job.id)).rejects.toThrow(/not running/);
    await expect(jobs.get('nope')).rejects.toThrow(/no job/);
  });

  it('records a failure with its message', async () => {
    const jobs = await open({
      files: async () => {
        throw new Error('folder missing');
      },
    });
    const job = await jobs.start({ source: 'files' });
    expect(await jobs.whenFinished(job.id)).toMatchObject({ state: 'failed', error: 'folder missing' });
    expect((await jobs.get(job.id)).error).toBe('folder missing');
  });

  it('refuses a source that is not configured', async () => {
    const jobs = await open({ files: gatedRunner().runner });
    await expect(jobs.start({ source: 'confluence' })).rejects.toThrow(/not configured/);
  });
});

describe('JobRegistry on a file', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.remove());

  it('keeps the history across restarts and marks an interrupted job as failed', async () => {
    const { runner, release } = gatedRunner();
    const jobs = await JobRegistry.open(tmp.dir, { files: runner }, log);
    const done = await jobs.start({ source: 'files' });
    release();
    await jobs.whenFinished(done.id);
    await jobs.close();
    const file = path.join(tmp.dir, 'jobs.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { id: string; state: string }[];
    saved.unshift({ ...saved[0]!, id: 'crashed', state: 'running' });
    await writeFile(file, JSON.stringify(saved));

    const reopened = await JobRegistry.open(tmp.dir, { files: runner }, log);
    expect((await reopened.get(done.id)).state).toBe('succeeded');
    expect(await reopened.get('crashed')).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/interrupted/),
    });
    expect(await reopened.running()).toBeUndefined();
    await reopened.close();
  });
});

describe('JobRegistry on PostgreSQL, two replicas', () => {
  let database: Awaited<ReturnType<typeof freshPostgres>>;
  const dbs: PostgresDatabase[] = [];
  const registries: JobRegistry[] = [];
  const replica = async (runner: JobRunner) => {
    const db = new PostgresDatabase(database.url);
    dbs.push(db);
    await migrate(db);
    const jobs = new JobRegistry(new PostgresJobLedger(db), { files: runner }, log);
    registries.push(jobs);
    return { db, jobs };
  };
  beforeEach(async () => {
    database = await freshPostgres();
  });
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
    await Promise.all(dbs.splice(0).map((db) => db.close()));
    await database.drop();
  });

  it('shows, refuses a second and cancels a job from the replica that does not run it', async () => {
    const a = await replica(gatedRunner().runner);
    const b = await replica(gatedRunner().runner);
    const job = await a.jobs.start({ source: 'files' });
    expect((await b.jobs.list()).map((j) => [j.id, j.state])).toEqual([[job.id, 'running']]);
    await expect(b.jobs.start({ source: 'files' })).rejects.toMatchObject({
      code: 'conflict',
      details: { jobId: job.id },
    });
    await b.jobs.cancel(job.id);
    expect((await a.jobs.whenFinished(job.id)).state).toBe('cancelled');
    expect((await b.jobs.whenFinished(job.id)).state).toBe('cancelled');
  });

  it('runs a scheduled slot once, whichever replicas fire it', async () => {
    const quick: JobRunner = async () => emptyProgress();
    const a = await replica(quick);
    const b = await replica(quick);
    const slot = '0 * * * *@2026-12-06T21:00:00.000Z';
    const first = await a.jobs.start({ source: 'files', slot });
    await a.jobs.whenFinished(first.id);
    // The other replica's tick comes after the first run ended: still the same slot, so it is skipped.
    await expect(b.jobs.start({ source: 'files', slot })).rejects.toThrow(/ran already/);
    expect(await b.jobs.list()).toHaveLength(1);
    await expect(
      b.jobs.start({ source: 'files', slot: slot.replace('21:00', '22:00') }),
    ).resolves.toBeDefined();
  });

  it('fails a job left running by a replica that died (nobody holds the lock), and runs another', async () => {
    const a = await replica(gatedRunner().runner);
    const id = randomUUID();
    const orphan: Job = {
      id,
      source: 'files',
      state: 'running',
      full: false,
      spaceKeys: [],
      progress: emptyProgress(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      error: null,
    };
    // What a replica killed mid-job leaves: a row still running, and no session holding the job lock.
    await a.db.query(`INSERT INTO jobs (id, state, record) VALUES ($1, 'running', $2::jsonb)`, [
      id,
      JSON.stringify(orphan),
    ]);
    expect(await a.jobs.get(id)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/interrupted/),
    });
    expect((await a.jobs.list()).find((j) => j.id === id)?.state).toBe('failed');
    await expect(a.jobs.start({ source: 'files' })).resolves.toMatchObject({ state: 'running' });
  });

  it('stops a job whose lock connection stops answering (a partition), rather than run unlocked', async () => {
    const server = new URL(TEST_SERVER_URL);
    const outage = new TcpOutage(server.hostname, Number(server.port || 5432));
    await outage.up();
    const db = new PostgresDatabase(outage.relay(database.url));
    try {
      await migrate(db);
      const a = new JobRegistry(new PostgresJobLedger(db), { files: gatedRunner().runner }, log);
      registries.push(a);
      const job = await a.start({ source: 'files' });
      outage.freeze();
      expect(await a.whenFinished(job.id)).toMatchObject({
        state: 'failed',
        error: expect.stringMatching(/lock does not answer/),
      });
    } finally {
      await outage.down();
      await db.close();
    }
  });

  it('stops a job whose lock connection broke, and lets another replica run it again', async () => {
    const a = await replica(gatedRunner().runner);
    const b = await replica(gatedRunner().runner);
    const job = await a.jobs.start({ source: 'files' });
    // The connection holding A's job lock is ended (its server restarted, or the network dropped it).
    const admin = new PostgresDatabase(database.url);
    dbs.push(admin);
    // Only this database's job lock: other suites' servers on the same PostgreSQL are left alone.
    const ended = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objid = $1 AND pid <> pg_backend_pid()
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [0x6b62_0002],
    );
    expect(ended).toHaveLength(1);
    // A stops rather than run on without the lock (a second sync could start beside it).
    expect(await a.jobs.whenFinished(job.id)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/job lock broke/),
    });
    expect((await b.jobs.get(job.id)).state).toBe('failed');
    const again = await b.jobs.start({ source: 'files' });
    expect(again.id).not.toBe(job.id);
  });
});
