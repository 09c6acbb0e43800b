import { ChatResponse, ErrorBody, IndexStatus, type Job } from '@kb/contracts';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import request from 'supertest';
import { ExtractiveAnswerer, LexicalCondenser } from '../../src/chat/extractive.js';
import { HashingEmbedder } from '../fakes/hashing-embedder.js';
import { S3_TEST_CREDENTIALS, S3TestServer } from '../fakes/s3-server.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { tempDir } from '../helpers/temp.js';

const ADMIN = 'admin-key-s3';
const READER = 'reader-key-s3';
const BUCKET = 'kb-docs';
const OBJECTS = 1_200;

/** The SDK's default credential chain reads the environment, as it would a task role's. */
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_TEST_CREDENTIALS.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true',
};

function page(i: number): string {
  return `# Runbook ${i}\n\nService ${i} restarts with the command restart-${i}. Its owner is team t${i % 17}.\n`;
}

async function putAll(client: S3Client, objects: [string, string][]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const [key, body] = objects[next++]!;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

describe('the s3 source (the AWS SDK against S3 on loopback)', () => {
  let s3: S3TestServer;
  let client: S3Client;
  let folder: Awaited<ReturnType<typeof tempDir>>;
  let t: TestService;
  const embedder = new HashingEmbedder();
  const saved = { ...process.env };
  const env = () => ({
    ADMIN_API_KEYS: ADMIN,
    API_KEYS: READER,
    S3_BUCKET: BUCKET,
    S3_PREFIX: 'docs',
    S3_REGION: 'us-east-1',
    S3_ENDPOINT: s3.url,
    S3_FORCE_PATH_STYLE: 'true',
  });
  const start = (extra: Record<string, string> = {}) =>
    startTestService(
      { ...env(), ...extra },
      { models: { answerer: new ExtractiveAnswerer(), condenser: new LexicalCondenser(), embedder } },
    );
  const reindex = async (body: object, service = t): Promise<Job> => {
    const res = await request(service.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN)
      .send({ source: 's3', ...body })
      .expect(202);
    return service.service.jobs.whenFinished(res.body.jobId as string);
  };
  const upload = (name: string, text: string) =>
    request(t.url).post('/api/v1/documents').set('X-API-Key', ADMIN).attach('file', Buffer.from(text), name);
  const gets = () => s3.requests.filter((r) => r.startsWith(`GET /${BUCKET}/docs/`)).length;
  const s3Ids = async () => (await t.service.store.listDocuments('s3')).map((d) => d.id);

  beforeAll(async () => {
    Object.assign(process.env, AWS_ENV);
    folder = await tempDir();
    s3 = await new S3TestServer(folder.dir).start();
    client = await s3.bucket(BUCKET);
    await putAll(client, [
      ...Array.from({ length: OBJECTS }, (_, i): [string, string] => [`docs/runbooks/r${i}.md`, page(i)]),
      // Not the source's: another prefix, a folder marker, a type it cannot read, a dot-folder.
      ['other/elsewhere.md', '# Elsewhere\n\nNot under the prefix.'],
      ['docs/runbooks/', ''],
      ['docs/image.png', 'not a document'],
      ['docs/.hidden/secret.md', '# Hidden\n\nA dot-folder is skipped.'],
    ]);
    t = await start();
    await t.synced;
  }, 120_000);
  afterAll(async () => {
    await t.close();
    await s3.close();
    await folder.remove();
    process.env = saved;
  });
  afterEach(() => s3.clearFaults());

  it('indexes every supported object under the prefix at start, listed page by page, then downloads and embeds none', async () => {
    // The startup sync: the documents folder, then the bucket.
    const [first] = (await t.service.jobs.list()).filter((j) => j.source === 's3');
    expect(first).toMatchObject({ state: 'succeeded', error: null });
    expect(first!.progress).toMatchObject({ discovered: OBJECTS, indexed: OBJECTS, failed: 0 });
    // 1,200 keys are two pages of 1,000: the second asked for with the first's continuation token.
    expect(s3.requests.filter((r) => r.includes('list-type=2')).length).toBeGreaterThanOrEqual(2);
    expect(s3.requests.some((r) => r.includes('continuation-token='))).toBe(true);
    const ids = await s3Ids();
    expect(ids).toHaveLength(OBJECTS);
    expect(ids).toContain('s3:runbooks/r0.md');
    const [record] = (await t.service.store.listDocuments('s3')).filter((d) => d.id === 's3:runbooks/r7.md');
    expect(record).toMatchObject({ title: 'Runbook 7', url: `s3://${BUCKET}/docs/runbooks/r7.md` });

    const downloads = gets();
    const embedded = embedder.texts;
    const second = await reindex({});
    expect(second.progress).toMatchObject({ discovered: OBJECTS, unchanged: OBJECTS, indexed: 0 });
    expect(gets()).toBe(downloads);
    expect(embedder.texts).toBe(embedded);
  }, 120_000);

  it('re-indexes an edited object alone, and removes a deleted one from answers', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'docs/runbooks/r3.md',
        Body: '# Runbook 3\n\nService 3 now restarts with the command reboot-zebracorn.\n',
      }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'docs/runbooks/r5.md' }));
    const downloads = gets();
    const job = await reindex({});
    expect(job.progress).toMatchObject({ indexed: 1, unchanged: OBJECTS - 2, deleted: 1 });
    expect(gets() - downloads).toBe(1);
    const ask = async (message: string) =>
      ChatResponse.parse(
        (await request(t.url).post('/api/v1/chat').set('X-API-Key', READER).send({ message }).expect(200))
          .body,
      );
    // Cited at the object's address (and the passage's heading).
    expect((await ask('Which command restarts service 3? zebracorn')).sources[0]?.url).toBe(
      `s3://${BUCKET}/docs/runbooks/r3.md#runbook-3`,
    );
    const r5 = `s3://${BUCKET}/docs/runbooks/r5.md`;
    expect(
      (await ask('Which command restarts service 5? restart-5')).sources.map((s) => s.url),
    ).not.toContain(`${r5}#runbook-5`);
    // Another object's answer still comes, so the absence above is the deletion's.
    expect((await ask('Which command restarts service 6? restart-6')).sources[0]?.url).toBe(
      `s3://${BUCKET}/docs/runbooks/r6.md#runbook-6`,
    );
    expect(await s3Ids()).not.toContain('s3:runbooks/r5.md');
  }, 120_000);

  it('stops before deleting when 60% of the bucket is gone, and a full run confirms', async () => {
    const doomed = Array.from({ length: 720 }, (_, i) => `docs/runbooks/r${i + 10}.md`);
    await Promise.all(doomed.map((Key) => client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }))));
    const stopped = await reindex({});
    expect(stopped.state).toBe('failed');
    expect(stopped.error).toMatch(/stopped before removing 720 of 1199 documents.*nothing was deleted/);
    expect(await s3Ids()).toHaveLength(OBJECTS - 1);
    const confirmed = await reindex({ full: true });
    expect(confirmed.state).toBe('succeeded');
    expect(confirmed.progress.deleted).toBe(720);
    expect(await s3Ids()).toHaveLength(OBJECTS - 1 - 720);
  }, 120_000);

  it('backs off when S3 throttles, and succeeds', async () => {
    s3.fail({
      status: 503,
      code: 'SlowDown',
      message: 'Please reduce your request rate.',
      times: 2,
      only: /list-type=2/,
    });
    const before = s3.requests.length;
    const job = await reindex({});
    expect(job.state).toBe('succeeded');
    // Two refused, then the listing answered.
    expect(s3.requests.slice(before).filter((r) => r.includes('list-type=2')).length).toBeGreaterThanOrEqual(
      3,
    );
  }, 60_000);

  it('fails the job, naming the problem, when access is denied, the region is wrong or the bucket is missing', async () => {
    s3.fail({ status: 403, code: 'AccessDenied', message: 'Access Denied', times: 10, only: /list-type=2/ });
    const denied = await reindex({});
    expect(denied.state).toBe('failed');
    expect(denied.error).toMatch(/access denied listing bucket "kb-docs" \(prefix "docs\/"\).*s3:ListBucket/);
    s3.clearFaults();

    s3.fail({ status: 301, code: 'PermanentRedirect', region: 'eu-west-1', times: 10, only: /list-type=2/ });
    const moved = await reindex({});
    expect(moved.state).toBe('failed');
    expect(moved.error).toMatch(
      /bucket "kb-docs" .*is not in region us-east-1: it is in eu-west-1; set S3_REGION/,
    );
    s3.clearFaults();

    const missing = await start({ S3_BUCKET: 'no-such-bucket' });
    try {
      await missing.synced;
      const job = await reindex({}, missing);
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(
        /bucket "no-such-bucket" \(prefix "docs\/"\) does not exist: check S3_BUCKET/,
      );
      // The error names what to fix, never a credential.
      expect(job.error).not.toContain(S3_TEST_CREDENTIALS.secretAccessKey);
    } finally {
      await missing.close();
    }
  }, 120_000);

  it('keeps an upload in the bucket, where a replica with an empty DATA_DIR finds and indexes it', async () => {
    const PAGER = '# Pager duty\n\nThe pager rotates every Tuesday at noon (quokka).\n';
    const res = await upload('pager.md', PAGER).expect(201);
    const id = res.body.id as string;
    expect(id).toMatch(/^upload:key-[0-9a-f]{16}\/pager\.md$/);
    const key = `docs/.uploads/${id.slice('upload:'.length)}`;
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await stored.Body!.transformToString()).toContain('quokka');
    // Not indexed twice: a sync of the bucket skips the uploads' dot-folder.
    expect((await reindex({})).state).toBe('succeeded');
    expect((await s3Ids()).filter((i) => i.includes('pager'))).toEqual([]);

    const again = await upload('pager.md', PAGER).expect(200);
    expect(again.body.status).toBe('unchanged');

    const replica = await start(); // its own, empty DATA_DIR and its own index
    try {
      // Its startup sync of the files source lists the uploads from the bucket.
      await replica.synced;
      expect((await replica.service.store.listDocuments('upload')).map((d) => d.id)).toEqual([id]);
      const status = IndexStatus.parse(
        (await request(replica.url).get('/api/v1/admin/index').set('X-API-Key', ADMIN).expect(200)).body,
      );
      expect(status.sources).toEqual(expect.arrayContaining(['files', 's3']));
    } finally {
      await replica.close();
    }
  }, 120_000);

  it('keeps no new original whose indexing failed, and indexes a replaced one on the next sync', async () => {
    const exists = (key: string) =>
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
        () => true,
        () => false,
      );
    const owner = (
      (await upload('first.md', '# First\n\nThe first version (wombat).\n').expect(201)).body.id as string
    )
      .slice('upload:'.length)
      .split('/')[0]!;
    embedder.failWith = new Error('the model refused');
    try {
      const failed = await upload('new.md', '# New\n\nNever indexed (numbat).\n');
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect(ErrorBody.parse(failed.body).error.message).not.toMatch(/at .*\.ts:\d+/);
      expect(await exists(`docs/.uploads/${owner}/new.md`)).toBe(false);

      await upload('first.md', '# First\n\nThe second version (platypus).\n');
      expect(await exists(`docs/.uploads/${owner}/first.md`)).toBe(true);
    } finally {
      embedder.failWith = undefined;
    }
    const files = await request(t.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN)
      .send({ source: 'files' })
      .expect(202);
    const synced = await t.service.jobs.whenFinished(files.body.jobId as string);
    expect(synced.progress.indexed).toBe(1);
    const answer = ChatResponse.parse(
      (
        await request(t.url)
          .post('/api/v1/chat')
          .set('X-API-Key', READER)
          .send({ message: 'platypus version' })
          .expect(200)
      ).body,
    );
    expect(answer.sources[0]?.url).toMatch(new RegExp(`^uploads/${owner}/first\\.md`));
  }, 60_000);

  it('takes as uploads only keys the service would store, and uploads where a HEAD of a new key is denied', async () => {
    await putAll(client, [
      ['docs/.uploads/x.md', '# Stray\n\nNot an upload.'],
      ['docs/.uploads/not-an-owner/deep/y.md', '# Stray\n\nNot one either.'],
    ]);
    // S3 answers a HEAD of a missing key with 403 to a role whose ListBucket is limited by s3:prefix.
    s3.fail({ status: 403, code: 'AccessDenied', times: 2, only: /^HEAD / });
    const res = await upload('denied-head.md', '# Head\n\nStored all the same (dingo).\n').expect(201);
    const files = await request(t.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN)
      .send({ source: 'files' })
      .expect(202);
    expect((await t.service.jobs.whenFinished(files.body.jobId as string)).state).toBe('succeeded');
    const uploads = (await t.service.store.listDocuments('upload')).map((d) => d.id);
    expect(uploads).toContain(res.body.id);
    expect(uploads.filter((id) => /x\.md|y\.md/.test(id))).toEqual([]);
  });

  it('refuses a reindex of s3 on a service without a bucket', async () => {
    const plain = await startTestService({ ADMIN_API_KEYS: ADMIN });
    try {
      const res = await request(plain.url)
        .post('/api/v1/admin/reindex')
        .set('X-API-Key', ADMIN)
        .send({ source: 's3' })
        .expect(400);
      expect(ErrorBody.parse(res.body).error.message).toMatch(/source "s3" is not configured/);
    } finally {
      await plain.close();
    }
  });
});
