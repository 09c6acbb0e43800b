import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Job } from '@kb/contracts';
import request from 'supertest';
import { pdfReadsInWorkers } from '../../src/ingest/convert/pdf-reader.js';
import { makeInflatingPdf } from '../helpers/hostile-pdf.js';
import { makePdf } from '../helpers/pdf.js';
import { useTestService } from '../helpers/service.js';

const MB = 1024 * 1024;
const PAGE_LIMIT =
  'page 1 of the PDF holds over 1,000,000 characters of text; at most 1,000,000 are read from one page';
const PAGES_LIMIT = 'the PDF has 2,001 pages; at most 2,000 are read';

const tooManyPages = () => makePdf(Array.from({ length: 2_001 }, (_, i) => [`page ${i + 1}`]));

/**
 * Polls /healthz until stopped; returns how many answers came while `during` was still pending. Counted
 * in order of events, not timed: an answer either came before the work's own answer or it did not.
 */
function probeHealth(url: string, during: Promise<unknown>) {
  const work = { pending: true };
  void during.finally(() => (work.pending = false));
  let answeredDuring = 0;
  const stopped = new AbortController();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      const res = await fetch(`${url}/healthz`);
      await res.json();
      if (work.pending) answeredDuring++;
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
      return answeredDuring;
    },
  };
}

describe('documents past a limit', () => {
  const t = useTestService();

  it('an upload of a decompression bomb fails alone with the reason, while /healthz keeps answering', async () => {
    const bomb = makeInflatingPdf(10 * MB); // 36 KB that inflates to 10 MB of text operators
    const readsBefore = pdfReadsInWorkers();
    const upload = request(t.url)
      .post('/api/v1/documents')
      .attach('file', bomb, 'bomb.pdf')
      .then((r) => r);
    const health = probeHealth(t.url, upload);
    const res = await upload;
    const answeredDuring = await health.stop();

    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toContain(PAGE_LIMIT);
    // Never held: the PDF is read on another thread (on this one it held the loop for minutes), counted
    // rather than timed; and /healthz answered while the upload was still being read.
    expect(pdfReadsInWorkers() - readsBefore).toBe(1);
    expect(answeredDuring).toBeGreaterThan(0);

    // The service goes on: the next upload is indexed and answerable.
    const ok = makePdf([['The cormorant relay restarts every Sunday.']], 'Relay');
    await request(t.url).post('/api/v1/documents').attach('file', ok, 'relay.pdf').expect(201);
    const answer = await request(t.url).post('/api/v1/chat').send({ message: 'cormorant relay restart' });
    expect(answer.body.sources[0].id).toMatch(/^upload:(.*\/)?relay\.pdf#0$/);
  });

  it('an upload with too many pages is refused, naming the limit and the figure', async () => {
    const res = await request(t.url).post('/api/v1/documents').attach('file', tooManyPages(), 'huge.pdf');
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toContain(PAGES_LIMIT);
  });

  it('a sync names each document past a limit in the job, with the reason, and indexes the rest', async () => {
    await writeFile(path.join(t.docsDir, 'bomb.pdf'), makeInflatingPdf(10 * MB));
    await writeFile(path.join(t.docsDir, 'huge.pdf'), tooManyPages());
    await writeFile(path.join(t.docsDir, 'heron.md'), '# Heron\n\nThe heron queue drains at midnight.');
    const { body } = await request(t.url).post('/api/v1/admin/reindex').send({ source: 'files' }).expect(202);
    await t.service.jobs.whenFinished(body.jobId);

    const res = await request(t.url).get(`/api/v1/admin/jobs/${body.jobId}`).expect(200);
    const job = Job.parse(res.body);
    expect(job).toMatchObject({ state: 'succeeded', error: null, progress: { failed: 2, indexed: 1 } });
    expect(job.failures).toEqual([
      { document: 'file:bomb.pdf', reason: PAGE_LIMIT },
      { document: 'file:huge.pdf', reason: PAGES_LIMIT },
    ]);
    const listed = await request(t.url).get('/api/v1/admin/jobs').expect(200);
    expect(listed.body.jobs[0].failures).toEqual(job.failures);
    const answer = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'when does the heron queue drain' });
    expect(answer.body.sources[0].id).toBe('file:heron.md#0');
  });
});
