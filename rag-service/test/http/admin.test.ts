import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IndexStatus, Job, JobList } from '@kb/contracts';
import request from 'supertest';
import { useTestService } from '../helpers/service.js';

// Each describe on a service of its own: what one test adds to the folder or leaves as the last job is
// never what another reports.
describe('admin routes: the index as started', () => {
  const t = useTestService();

  it('reports what is indexed', async () => {
    const res = await request(t.url).get('/api/v1/admin/index').expect(200);
    const status = IndexStatus.parse(res.body);
    expect(status.documents).toBe(9);
    expect(status.chunks).toBeGreaterThan(20);
    expect(status.bySource).toEqual([
      expect.objectContaining({ source: 'files', spaceKey: null, documents: 9 }),
    ]);
    expect(status.store).toEqual({ kind: 'embedded', location: path.join(t.dataDir, 'index') });
    expect(status.embeddings).toBe('none');
    expect(status.lastSyncAt).not.toBeNull();
    expect(status.lastJob).toMatchObject({ source: 'files', state: 'succeeded' });
  });
});

describe('admin routes: a page added to the folder', () => {
  const t = useTestService();

  it('reindexes: 202 with a job id, progress to success, and the job in the list', async () => {
    await writeFile(
      path.join(t.docsDir, 'new-page.md'),
      '# Walrus guide\n\nWalrus mode doubles the cache size.',
    );
    const res = await request(t.url).post('/api/v1/admin/reindex').send({ source: 'files' }).expect(202);
    expect(res.headers.location).toBe(`/api/v1/admin/jobs/${res.body.jobId}`);
    await t.service.jobs.whenFinished(res.body.jobId);
    const job = Job.parse(
      (await request(t.url).get(`/api/v1/admin/jobs/${res.body.jobId}`).expect(200)).body,
    );
    expect(job).toMatchObject({
      state: 'succeeded',
      source: 'files',
      full: false,
      progress: { indexed: 1, unchanged: 9, deleted: 0 },
    });
    const list = JobList.parse((await request(t.url).get('/api/v1/admin/jobs').expect(200)).body);
    expect(list.jobs[0]?.id).toBe(job.id);
    const answer = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'What does walrus mode do?' })
      .expect(200);
    expect(answer.body.sources[0].id).toBe('file:new-page.md#0');
  });
});

describe('admin routes: reindex requests', () => {
  const t = useTestService();

  it('accepts a request without a body, and full: true', async () => {
    const res = await request(t.url).post('/api/v1/admin/reindex').expect(202);
    await t.service.jobs.whenFinished(res.body.jobId);
    const full = await request(t.url).post('/api/v1/admin/reindex').send({ full: true }).expect(202);
    const done = await t.service.jobs.whenFinished(full.body.jobId);
    expect(done).toMatchObject({ full: true, progress: { unchanged: 0 } });
    expect(done.progress.indexed).toBe(done.progress.discovered);
  });

  it('answers 409 with the running job id, and cancels cleanly', async () => {
    const first = await request(t.url).post('/api/v1/admin/reindex').send({ full: true }).expect(202);
    const second = await request(t.url).post('/api/v1/admin/reindex').send({}).expect(409);
    expect(second.body.error).toMatchObject({ code: 'conflict', details: { jobId: first.body.jobId } });
    const cancel = await request(t.url).post(`/api/v1/admin/jobs/${first.body.jobId}/cancel`).expect(202);
    expect(cancel.body.id).toBe(first.body.jobId);
    const done = await t.service.jobs.whenFinished(first.body.jobId);
    expect(done.state).toBe('cancelled');
    const again = await request(t.url).post(`/api/v1/admin/jobs/${first.body.jobId}/cancel`).expect(409);
    expect(again.body.error.code).toBe('conflict');
  });
});

describe('REINDEX_CRON', () => {
  const t = useTestService({ REINDEX_CRON: '* * * * * *' });

  it('starts incremental syncs on the schedule', async () => {
    const before = (await t.service.jobs.list()).length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const jobs = await t.service.jobs.list();
    expect(jobs.length).toBeGreaterThan(before);
    expect(jobs[0]).toMatchObject({ source: 'files', full: false });
  });
});
