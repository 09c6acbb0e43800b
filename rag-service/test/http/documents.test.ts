import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DocumentUploadResult, type ChatResponse } from '@kb/contracts';
import request from 'supertest';
import { Indexer } from '../../src/ingest/indexer.js';
import { FolderSource } from '../../src/ingest/sources/files.js';
import { syncSources } from '../../src/ingest/sync.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { TEST_APP_ID } from '../fakes/forge-signer.js';
import { makePdf } from '../helpers/pdf.js';
import { startTestService, useTestService, type TestService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';
import { useForgeTestService } from '../helpers/forge-service.js';

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
      id: 'upload:local/release-policy.md',
      title: 'Release policy',
      chunks: 1,
      status: 'indexed',
    });
    const answer = await ask('What is the zephyr rollout freeze window?');
    expect(answer.sources[0]).toMatchObject({
      id: 'upload:local/release-policy.md#0',
      url: 'uploads/local/release-policy.md#zephyr-rollout',
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
    expect((await ask('narwhal escalation path')).sources[0].id).toBe('upload:local/escalations.pdf#0');
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('<h1>Badgers</h1><p>Badger tokens last one hour.</p>'), 'badgers.html')
      .expect(201);
    expect((await ask('how long do badger tokens last')).sources[0].id).toBe('upload:local/badgers.html#0');
  });

  it('keeps the original under DATA_DIR/uploads/local (the loopback mode’s owner) with a safe name', async () => {
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('Otter notes.'), '../../etc/otter;rm -rf.txt')
      .expect(201);
    expect(await readdir(path.join(t.dataDir, 'uploads'))).toEqual(['local']);
    const files = await readdir(path.join(t.dataDir, 'uploads', 'local'));
    expect(files).toContain('otter_rm -rf.txt');
    expect(files.every((f) => !f.includes('/') && !f.endsWith('.partial'))).toBe(true);
  });

  it('keeps a file name outside latin1 as sent: raw UTF-8 (as browsers send it) or RFC 5987', async () => {
    const umlaut = await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('Die Zeppelin-Übersicht der Woche.'), 'Übersicht.md')
      .expect(201);
    expect(umlaut.body).toMatchObject({ id: 'upload:local/Übersicht.md', title: 'Übersicht' });
    const greek = await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('Σημειώσεις για το ζέπελιν.'), 'Σημειώσεις.txt')
      .expect(201);
    expect(greek.body).toMatchObject({ id: 'upload:local/Σημειώσεις.txt', title: 'Σημειώσεις' });
    // A client that names the charset: `filename*` wins over the ASCII fallback beside it.
    const boundary = 'kb-test-boundary';
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="Anderungen.md"; ` +
          `filename*=UTF-8''%C3%84nderungen.md\r\nContent-Type: text/markdown\r\n\r\n`,
      ),
      Buffer.from('Die Änderungen am Zeppelin.'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const rfc5987 = await request(t.url)
      .post('/api/v1/documents')
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body)
      .expect(201);
    expect(rfc5987.body).toMatchObject({ id: 'upload:local/Änderungen.md', title: 'Änderungen' });
    expect(await readdir(path.join(t.dataDir, 'uploads', 'local'))).toEqual(
      expect.arrayContaining(['Übersicht.md', 'Σημειώσεις.txt', 'Änderungen.md']),
    );
  });

  it('keeps originals readable by the service’s own user only', async () => {
    await request(t.url)
      .post('/api/v1/documents')
      .attach('file', Buffer.from('Salary bands for the zeppelin crew.'), 'salaries.txt')
      .expect(201);
    const mode = async (...parts: string[]) => (await stat(path.join(t.dataDir, ...parts))).mode & 0o777;
    expect(await mode('uploads')).toBe(0o700);
    expect(await mode('uploads', 'local')).toBe(0o700);
    expect(await mode('uploads', 'local', 'salaries.txt')).toBe(0o600);
  });

  it('survives a files resync: uploads are not deleted as "gone from the folder"', async () => {
    // An upload of this test's own (another test's would make it depend on running after that one).
    const pdf = makePdf([['The pelican handover checklist lives with the night shift lead.']], 'Handover');
    await request(t.url).post('/api/v1/documents').attach('file', pdf, 'handover.pdf').expect(201);
    const uploads = async () => (await t.service.store.listDocuments('upload')).map((d) => d.id).sort();
    const before = await uploads();
    expect(before).toContain('upload:local/handover.pdf');
    expect((await ask('pelican handover checklist')).sources[0].id).toBe('upload:local/handover.pdf#0');
    const res = await request(t.url).post('/api/v1/admin/reindex').send({}).expect(202);
    await t.service.jobs.whenFinished(res.body.jobId);
    expect(await uploads()).toEqual(before);
    expect((await ask('pelican handover checklist')).sources[0].id).toBe('upload:local/handover.pdf#0');
  });
});

describe('uploads belong to the caller who made them', () => {
  const KEYS = { alice: 'chat-key-alice', bob: 'chat-key-bob', admin: 'admin-key' };
  const ENV = {
    API_KEYS: `${KEYS.alice},${KEYS.bob}`,
    ADMIN_API_KEYS: KEYS.admin,
    API_KEY_CONFLUENCE_ACCESS: 'none',
  };
  const uploadAs = (t: TestService, key: string, name: string, text: string) =>
    request(t.url).post('/api/v1/documents').set('X-API-Key', key).attach('file', Buffer.from(text), name);
  const uploads = async (t: TestService) =>
    (await t.service.store.listDocuments('upload')).map((d) => d.id).sort();
  const guide = (code: string) => `# Osprey guide\n\nThe osprey gate code is ${code}.`;

  // Each test on a service of its own: both hold the store's whole list of uploads to what they made.
  describe('one name, two keys', () => {
    const t = useTestService(ENV);

    it('gives each API key its own document of a name: another key never replaces it', async () => {
      const alice = await uploadAs(t, KEYS.alice, 'guide.md', guide('4711')).expect(201);
      const bob = await uploadAs(t, KEYS.bob, 'guide.md', guide('0815')).expect(201);
      expect(alice.body.id).toMatch(/^upload:key-[0-9a-f]{16}\/guide\.md$/);
      expect(bob.body.id).toMatch(/^upload:key-[0-9a-f]{16}\/guide\.md$/);
      expect(bob.body.id).not.toBe(alice.body.id);
      expect(JSON.stringify([alice.body, bob.body])).not.toContain('chat-key');
      // Alice's document is as she left it, and both are there to answer from.
      expect((await uploadAs(t, KEYS.alice, 'guide.md', guide('4711')).expect(200)).body.status).toBe(
        'unchanged',
      );
      expect(await uploads(t)).toEqual([alice.body.id, bob.body.id].sort());
      const res = await request(t.url)
        .post('/api/v1/chat')
        .set('X-API-Key', KEYS.alice)
        .send({ message: 'What is the osprey gate code?' })
        .expect(200);
      const docIds = (res.body as ChatResponse).sources.map((s) => s.id.split('#')[0]);
      expect(new Set(docIds)).toEqual(new Set([alice.body.id, bob.body.id]));
    });
  });

  describe('a full reindex', () => {
    const t = useTestService(ENV);

    it('keeps each owner’s originals in their own folder, from which a full reindex rebuilds the same documents', async () => {
      // This test's own uploads, one per key, so there are two owners' folders to rebuild from.
      const alice = await uploadAs(t, KEYS.alice, 'guide.md', guide('4711')).expect(201);
      const bob = await uploadAs(t, KEYS.bob, 'guide.md', guide('0815')).expect(201);
      const before = await t.service.store.listDocuments('upload');
      expect(before.map((d) => d.id).sort()).toEqual([alice.body.id, bob.body.id].sort());
      const owners = before.map((d) => d.id.slice('upload:'.length).split('/')[0]!);
      expect(new Set(owners).size).toBe(2);
      expect((await readdir(path.join(t.dataDir, 'uploads'))).sort()).toEqual([...owners].sort());
      const started = await request(t.url)
        .post('/api/v1/admin/reindex')
        .set('X-API-Key', KEYS.admin)
        .send({ source: 'files', full: true })
        .expect(202);
      const job = await t.service.jobs.whenFinished(started.body.jobId as string);
      expect(job.state).toBe('succeeded');
      const after = await t.service.store.listDocuments('upload');
      expect(after.map((d) => [d.id, d.hash]).sort()).toEqual(before.map((d) => [d.id, d.hash]).sort());
    });
  });
});

describe('Forge uploads belong to the user on their installation', () => {
  const service = useForgeTestService({ FORGE_INSTALLATION_IDS: '*', FORGE_ENVIRONMENTS: 'DEVELOPMENT' });

  /** An upload as the Forge app would make it for `principal` on `installation`. */
  const uploadAs = async (principal: string | undefined, installation: string, status: number) => {
    const token = await service.forge.token({
      principal,
      app: {
        id: TEST_APP_ID,
        installationId: `ari:cloud:ecosystem::installation/${installation}`,
        apiBaseUrl: 'https://api.atlassian.com/ex/confluence/cloud-1',
        environment: { type: 'DEVELOPMENT', id: 'env-1' },
      },
    });
    return request(service.t.url)
      .post('/api/v1/documents')
      .set('Authorization', `Bearer ${token}`)
      .attach('file', Buffer.from('Heron notes for the team.'), 'notes.md')
      .expect(status);
  };

  it('is another document for another account or another installation, and refused without an account', async () => {
    const ids = [];
    for (const [account, installation] of [
      ['acc-1', 'one'],
      ['acc-2', 'one'],
      ['acc-1', 'two'],
    ] as const) {
      ids.push(((await uploadAs(account, installation, 201)).body as { id: string }).id);
    }
    for (const id of ids) expect(id).toMatch(/^upload:forge-[0-9a-f]{16}\/notes\.md$/);
    expect(new Set(ids).size).toBe(3);
    const refused = await uploadAs(undefined, 'one', 403);
    expect(refused.body.error.code).toBe('forbidden');
  });
});

describe('uploads from before uploads had owners', () => {
  it('move to the local owner’s folder on start, are indexed there, and their ownerless records go', async () => {
    const tmp = await tempDir();
    const dataDir = path.join(tmp.dir, 'data');
    const uploadsDir = path.join(dataDir, 'uploads');
    await mkdir(uploadsDir, { recursive: true });
    await writeFile(
      path.join(uploadsDir, 'heron.md'),
      '# Heron archive\n\nThe heron archive is in vault nine.',
      {
        mode: 0o644,
      },
    );
    // The index as the earlier layout left it: the file indexed under its ownerless id.
    const store = await EmbeddedStore.open({
      dir: path.join(dataDir, 'index'),
      identity: { embeddings: 'none', dimensions: 0 },
    });
    const legacy = new FolderSource({
      dir: uploadsDir,
      name: 'upload',
      idPrefix: 'upload:',
      urlPrefix: 'uploads/',
    });
    await syncSources([legacy], { store, indexer: new Indexer(store, undefined) });
    expect((await store.listDocuments('upload')).map((d) => d.id)).toEqual(['upload:heron.md']);
    await store.close();

    const t = await startTestService({ DATA_DIR: dataDir });
    try {
      await t.synced;
      expect((await t.service.store.listDocuments('upload')).map((d) => d.id)).toEqual([
        'upload:local/heron.md',
      ]);
      expect(await readdir(uploadsDir)).toEqual(['local']);
      // The folder existed, readable by anyone on the machine: it is private now.
      expect((await stat(uploadsDir)).mode & 0o777).toBe(0o700);
      expect((await stat(path.join(uploadsDir, 'local', 'heron.md'))).mode & 0o777).toBe(0o600);
      const res = await request(t.url)
        .post('/api/v1/chat')
        .send({ message: 'Where is the heron archive?' })
        .expect(200);
      expect((res.body as ChatResponse).sources[0]?.id).toBe('upload:local/heron.md#0');
    } finally {
      await t.close();
      await tmp.remove();
    }
  });
});
