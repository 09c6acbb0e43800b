import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyProgress, Job, JOB_FAILURES_KEPT, JobProgress, type DocumentFailure } from '@kb/contracts';
import { JobRegistry, type JobRunner } from '../../src/ingest/jobs.js';
import { createLogger } from '../../src/logging.js';
import { tempDir } from '../helpers/temp.js';

const log = createLogger('silent');
const failure = (n: number): DocumentFailure => ({
  document: `file:doc-${n}.pdf`,
  reason: `the PDF has ${2_000 + n} pages; at most 2,000 are read`,
});

describe('JobRegistry: failed documents', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir();
  });
  afterEach(() => tmp.remove());

  it('keeps the failures a run reports beside its progress, bounded, and on disk', async () => {
    let midRun: Job | undefined;
    const runner: JobRunner = async ({ onProgress }) => {
      onProgress({ ...emptyProgress(), discovered: 30, processed: 1, failed: 1, failures: [failure(1)] });
      midRun = structuredClone((await jobs.list())[0]);
      const failures = Array.from({ length: 25 }, (_, i) => failure(i + 1));
      return { ...emptyProgress(), discovered: 30, processed: 30, indexed: 5, failed: 25, failures };
    };
    // The runner runs only once `jobs` is open (and reads it then, to see the job mid-run).
    const jobs = await JobRegistry.open(tmp.dir, { files: runner }, log);
    const started = await jobs.start({ source: 'files' });
    const done = await jobs.whenFinished(started.id);
    await jobs.close();

    // While it runs, the job already names what failed.
    expect(midRun?.failures).toEqual([failure(1)]);
    expect(done.state).toBe('succeeded');
    expect(done.progress).toEqual({
      ...emptyProgress(),
      discovered: 30,
      processed: 30,
      indexed: 5,
      failed: 25,
    });
    // `progress` keeps exactly the contract's fields; the failures sit beside it.
    expect(Object.keys(done.progress).sort()).toEqual(Object.keys(JobProgress.shape).sort());
    expect(done.failures).toHaveLength(JOB_FAILURES_KEPT);
    expect(done.failures?.[0]).toEqual(failure(1));
    expect(Job.parse(done)).toEqual(done);

    const saved = JSON.parse(await readFile(path.join(tmp.dir, 'jobs.json'), 'utf8')) as Job[];
    expect(saved[0]?.failures).toEqual(done.failures);
    const reopened = await JobRegistry.open(tmp.dir, { files: runner }, log);
    expect((await reopened.get(started.id)).failures).toEqual(done.failures);
    await reopened.close();
  });

  it('a job with no failures says so with an empty list; a job from an older history has none', async () => {
    const jobs = await JobRegistry.open(tmp.dir, { files: async () => emptyProgress() }, log);
    const done = await jobs.whenFinished((await jobs.start({ source: 'files' })).id);
    await jobs.close();
    expect(done.failures).toEqual([]);
    expect(Job.parse({ ...done, failures: undefined }).failures).toBeUndefined();
  });
});
