import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Job, JobList } from '@kb/contracts';
import { freePort } from '../../src/bench/processes.js';
import { SERVICE_ROOT } from '../../src/config.js';
import { ConfluenceTestServer } from '../fakes/confluence-server.js';
import { freshPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp.js';

const TSX = path.join(SERVICE_ROOT, 'node_modules', '.bin', 'tsx');
const ADMIN_KEY = 'replicas-admin-key';

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (const deadline = Date.now() + 45_000; ;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One replica: the service as `pnpm start` runs it, in its own process group (tsx runs it in a child). */
interface Replica {
  child: ChildProcess;
  output: () => string;
  api: (method: string, route: string, body?: object) => Promise<{ status: number; body: unknown }>;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const dataDir = await tempDir();
  const child = spawn(TSX, ['src/main.ts'], {
    cwd: SERVICE_ROOT,
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir.dir, ADMIN_API_KEYS: ADMIN_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  child.once('exit', () => void dataDir.remove());
  const api: Replica['api'] = async (method, route, body) => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`, {
      method,
      headers: { 'X-API-Key': ADMIN_KEY, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
  };
  await until(
    `replica on ${port} listening`,
    async () => child.exitCode ?? out.includes(`listening on http://127.0.0.1:${port}/`),
    (v) => v === true || typeof v === 'number',
  );
  if (child.exitCode !== null) throw new Error(`the replica exited:\n${out}`);
  return { child, output: () => out, api };
}

async function stop(replica: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = once(replica.child, 'exit');
  process.kill(-replica.child.pid!, signal);
  await exited;
}

const jobOf = async (r: Replica, id: string) =>
  Job.parse((await r.api('GET', `/api/v1/admin/jobs/${id}`)).body);
const idle = (r: Replica) =>
  until(
    'no job running',
    async () => JobList.parse((await r.api('GET', '/api/v1/admin/jobs')).body).jobs,
    (jobs) => jobs.every((j) => j.state !== 'running'),
  );

/**
 * Two service processes on one PostgreSQL behave as one service: jobs started on one are seen and
 * cancelled on the other, one sync runs at a time across both, a scheduled tick runs once, and a job whose
 * process was killed is failed and can be run again.
 */
describe('two replicas on one PostgreSQL', () => {
  let confluence: ConfluenceTestServer;
  let database: Awaited<ReturnType<typeof freshPostgres>>;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    confluence = await new ConfluenceTestServer().start();
    // Slow enough that a sync is still running while the other replica looks at it.
    confluence.maxPageSize = 10;
    confluence.latencyMs = 150;
    const space = confluence.addSpace('ENG', 'Engineering');
    for (let i = 0; i < 150; i++)
      confluence.addContent(space, `Page ${i}`, `<p>Page ${i} explains step ${i}.</p>`);
    database = await freshPostgres();
  });
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((r) => stop(r)));
  });
  afterAll(async () => {
    await confluence.close();
    await database.drop();
  });

  const start = async (env: Record<string, string> = {}, withConfluence = true) => {
    const replica = await startReplica({
      DATABASE_URL: database.url,
      LOG_LEVEL: 'info',
      ...(withConfluence
        ? {
            CONFLUENCE_URL: confluence.url,
            CONFLUENCE_USERNAME: confluence.email,
            CONFLUENCE_API_TOKEN: confluence.token,
          }
        : {}),
      ...env,
    });
    replicas.push(replica);
    // Its documents-folder sync at start has run, or was skipped because the other replica's ran.
    await until(
      'the start-up sync decided',
      async () => /documents folder (synced|sync at start skipped)/.test(replica.output()),
      Boolean,
    );
    return replica;
  };

  it('lists, shows and cancels on one replica the job another runs, and refuses a second sync', async () => {
    const [a, b] = [await start(), await start()];
    await idle(a);
    await idle(b);
    const started = await a.api('POST', '/api/v1/admin/reindex', { source: 'confluence', full: true });
    expect(started.status).toBe(202);
    const { jobId } = started.body as { jobId: string };

    const listed = JobList.parse((await b.api('GET', '/api/v1/admin/jobs')).body).jobs;
    expect(listed.find((j) => j.id === jobId)?.state).toBe('running');
    expect((await jobOf(b, jobId)).source).toBe('confluence');
    const second = await b.api('POST', '/api/v1/admin/reindex', { source: 'confluence' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: { code: 'conflict', details: { jobId } } });

    expect((await b.api('POST', `/api/v1/admin/jobs/${jobId}/cancel`)).status).toBe(202);
    const cancelled = await until(
      'cancelled on A',
      () => jobOf(a, jobId),
      (j) => j.state !== 'running',
    );
    expect(cancelled.state).toBe('cancelled');
    expect((await jobOf(b, jobId)).state).toBe('cancelled');
  });

  it('fails the job of a killed replica, and runs it again on the other', async () => {
    const [a, b] = [await start(), await start()];
    await idle(a);
    await idle(b);
    const started = await b.api('POST', '/api/v1/admin/reindex', { source: 'confluence', full: true });
    expect(started.status).toBe(202);
    const { jobId } = started.body as { jobId: string };
    expect((await jobOf(a, jobId)).state).toBe('running');

    await stop(b, 'SIGKILL');
    const orphan = await until(
      'failed once B is gone',
      () => jobOf(a, jobId),
      (j) => j.state !== 'running',
    );
    expect(orphan).toMatchObject({ state: 'failed', error: expect.stringMatching(/interrupted/) });

    const again = await a.api('POST', '/api/v1/admin/reindex', { source: 'confluence' });
    expect(again.status).toBe(202);
    const rerun = await until(
      'the rerun ends',
      () => jobOf(a, (again.body as { jobId: string }).jobId),
      (j) => j.state !== 'running',
    );
    expect(rerun).toMatchObject({ state: 'succeeded', progress: { discovered: 150 } });
  });

  it('runs each scheduled tick once, though both replicas fire it', async () => {
    // Every 2 seconds; the documents folder, a quick sync, so one replica's run ends before the other fires.
    const cron = { REINDEX_CRON: '*/2 * * * * *' };
    const [a, b] = [await start(cron, false), await start(cron, false)];
    const decisions = (r: Replica) =>
      r
        .output()
        .split('\n')
        .filter((l) => l.includes('scheduled sync'))
        .map((l) => JSON.parse(l) as { msg: string; slot: string });
    await until(
      'four ticks decided on both',
      async () => [decisions(a).length, decisions(b).length],
      ([x, y]) => x! >= 4 && y! >= 4,
    );
    const both = [...decisions(a), ...decisions(b)];
    const slots = new Set(both.map((d) => d.slot));
    const firedTwice = [...slots].filter((s) => both.filter((d) => d.slot === s).length === 2);
    expect(firedTwice.length).toBeGreaterThanOrEqual(3);
    const started = (slot: string) =>
      both.filter((d) => d.slot === slot && d.msg === 'scheduled sync started').length;
    // A tick runs on one replica at most (on none when the previous tick's sync still runs).
    for (const slot of firedTwice) expect(started(slot)).toBeLessThanOrEqual(1);
    expect(firedTwice.filter((slot) => started(slot) === 1).length).toBeGreaterThanOrEqual(1);
  });
});
