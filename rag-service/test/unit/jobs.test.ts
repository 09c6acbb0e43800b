import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyProgress, type JobProgress } from '@kb/contracts';
import { AppError } from '../../src/errors.js';
import { JobRegistry, type JobRunner } from '../../src/ingest/jobs.js';
import { createLogger } from '../../src/logging.js';
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

describe('JobRegistry', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const opened: JobRegistry[] = [];
  const open = async (runners: Parameters<typeof JobRegistry.open>[1]) => {
    const registry = await JobRegistry.open(tmp.dir, runners, log);
    opened.push(registry);
    return registry;
  };
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(async () => {
    // The history is written asynchronously: let every registry finish writing before the folder goes.
    await Promise.all(opened.splice(0).map((r) => r.close()));
    await tmp.remove();
  });

  it('runs a job to success with its progress', async () => {
    const { runner, release } = gatedRunner();
    const jobs = await open({ files: runner });
    const job = jobs.start({ source: 'files' });
    expect(jobs.get(job.id)).toMatchObject({ state: 'running', progress: { discovered: 3, processed: 1 } });
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
  });

  it('refuses a second job while one runs, naming the running one', async () => {
    const { runner, release } = gatedRunner();
    const jobs = await open({ files: runner });
    const first = jobs.start({ source: 'files' });
    let thrown: unknown;
    try {
      jobs.start({ source: 'files', full: true });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({ code: 'conflict', details: { jobId: first.id } });
    release();
    await jobs.whenFinished(first.id);
    expect(() => jobs.start({ source: 'files' })).not.toThrow();
  });

  it('cancels a running job cleanly, and refuses to cancel a finished one', async () => {
    const { runner } = gatedRunner();
    const jobs = await open({ files: runner });
    const job = jobs.start({ source: 'files' });
    jobs.cancel(job.id);
    expect((await jobs.whenFinished(job.id)).state).toBe('cancelled');
    expect(() => jobs.cancel(job.id)).toThrow(/not running/);
    expect(() => jobs.get('nope')).toThrow(/no job/);
  });

  it('records a failure with its message', async () => {
    const jobs = await open({
      files: async () => {
        throw new Error('folder missing');
      },
    });
    const job = jobs.start({ source: 'files' });
    expect(await jobs.whenFinished(job.id)).toMatchObject({ state: 'failed', error: 'folder missing' });
  });

  it('refuses a source that is not configured', async () => {
    const jobs = await open({ files: gatedRunner().runner });
    expect(() => jobs.start({ source: 'confluence' })).toThrow(/not configured/);
  });

  it('keeps the history across restarts and marks an interrupted job as failed', async () => {
    const { runner, release } = gatedRunner();
    const jobs = await open({ files: runner });
    const done = jobs.start({ source: 'files' });
    release();
    await jobs.whenFinished(done.id);
    await jobs.close();
    const file = path.join(tmp.dir, 'jobs.json');
    const saved = JSON.parse(await readFile(file, 'utf8')) as { id: string; state: string }[];
    saved.unshift({ ...saved[0]!, id: 'crashed', state: 'running' });
    await writeFile(file, JSON.stringify(saved));

    const reopened = await open({ files: runner });
    expect(reopened.get(done.id).state).toBe('succeeded');
    expect(reopened.get('crashed')).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/interrupted/),
    });
    expect(reopened.running()).toBeUndefined();
  });
});
