import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { DocumentUploadResult } from '@kb/contracts';
import request from 'supertest';
import { makePdf } from '../helpers/pdf.js';
import { useTestService } from '../helpers/service.js';

describe('POST /api/v1/documents', () => {
  const t = useTestService();

  const ask = async (message: string) =>
    (await request(t.url).post('/api/v1/chat').send({ message }).expect(200)).body;

  it('indexes an upload at once, so the next question is answered from it', async () => {
    expect((await ask('What is the zephyr rollout freeze window?')).sources).toEqual([]);
    const md =
      '# Release policy\n\n## Zephyr rollout\n\nThe zephyr rollout freeze window is Friday 14:00 to Monday 09:00.';
    const res = await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from(md), 'release-policy.md')
      .expect(201);
    expect(DocumentUploadResult.parse(res.body)).toEqual({
      id: 'upload:release-policy.md',
      title: 'Release policy',
      chunks: 1,
      status: 'indexed',
    });
    const answer = await ask('What is the zephyr rollout freeze window?');
    expect(answer.sources[0]).toMatchObject({
      id: 'upload:release-policy.md#0',
      url: 'uploads/release-policy.md#zephyr-rollout',
      cited: true,
    });
    expect(answer.answer).toContain('Friday 14:00');
  });

  it('says "unchanged" for the same content, and replaces the document for new content', async () => {
    const v1 = Buffer.from('Quokka maintenance happens on Tuesdays.');
    await request(t.url).post('/api/v1/documents').attach('file', v1, 'quokka.txt').expect(201);
    const again = await request(t.url).post('/api/v1/documents').attach('file', v1, 'quokka.txt').expect(200);
    expect(again.body.status).toBe('unchanged');
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('Quokka maintenance moved to Thursdays.'), 'quokka.txt')
      .expect(201);
    const answer = await ask('When is quokka maintenance?');
    expect(answer.answer).toContain('Thursdays');
    expect(answer.answer).not.toContain('Tuesdays');
  });

  it('indexes PDF and HTML uploads', async () => {
    const pdf = makePdf([['The narwhal escalation path starts with the duty manager.']], 'Escalations');
    await request(t.url).post('/api/v1/documents').attach('file', pdf, 'escalations.pdf').expect(201);
    expect((await ask('narwhal escalation path')).sources[0].id).toBe('upload:escalations.pdf#0');
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('<h1>Badgers</h1><p>Badger tokens last one hour.</p>'), 'badgers.html')
      .expect(201);
    expect((await ask('how long do badger tokens last')).sources[0].id).toBe('upload:badgers.html#0');
  });

  it('keeps the original under DATA_DIR/uploads with a safe name', async () => {
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('Otter notes.'), '../../etc/otter;rm -rf.txt')
      .expect(201);
    const files = await readdir(path.join(t.dataDir, 'uploads'));
    expect(files).toContain('otter_rm -rf.txt');
    expect(files.every((f) => !f.includes('/') && !f.endsWith('.partial'))).toBe(true);
  });

  it('survives a files resync: uploads are not deleted as "gone from the folder"', async () => {
    const res = await request(t.url).post('/api/v1/admin/reindex').send({}).expect(202);
    await t.service.jobs.whenFinished(res.body.jobId);
    expect((await ask('narwhal escalation path')).sources[0].id).toBe('upload:escalations.pdf#0');
  });
});
