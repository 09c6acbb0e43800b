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
  const saved = { ...process.env };
  /** The services a test started: each test has its own, over a prefix of its own. */
  const running: TestService[] = [];
  let prefixes = 0;

  interface Site {
    t: TestService;
    prefix: string;
    embedder: HashingEmbedder;
    /** Object downloads under this test's prefix so far. */
    gets: () => number;
    /** S3 requests from now on (the server's log is shared by the file's tests). */
    requestsSince: () => () => string[];
  }

  /**
   * A prefix of the bucket of this test's own, holding `objects` (keys relative to it, plus any `extra`
   * full keys), and a service syncing it from start: no test sees what another edited or deleted.
   */
  async function site(
    objects: [string, string][],
    options: { env?: Record<string, string>; extra?: [string, string][] } = {},
  ): Promise<Site> {
    const prefix = `docs${++prefixes}`;
    await putAll(client, [
      ...objects.map(([key, text]): [string, string] => [`${prefix}/${key}`, text]),
      ...(options.extra ?? []),
    ]);
    const embedder = new HashingEmbedder();
    const t = await start(prefix, embedder, options.env);
    await t.synced;
    return {
      t,
      prefix,
      embedder,
      gets: () => s3.requests.filter((r) => r.startsWith(`GET /${BUCKET}/${prefix}/`)).length,
      requestsSince: () => {
        const from = s3.requests.length;
        return () => s3.requests.slice(from);
      },
    };
  }
  async function start(
    prefix: string,
    embedder: HashingEmbedder,
    extra: Record<string, string> = {},
  ): Promise<TestService> {
    const t = await startTestService(
      {
        ADMIN_API_KEYS: ADMIN,
        API_KEYS: READER,
        S3_BUCKET: BUCKET,
        S3_PREFIX: prefix,
        S3_REGION: 'us-east-1',
        S3_ENDPOINT: s3.url,
        S3_FORCE_PATH_STYLE: 'true',
        ...extra,
      },
      { models: { answerer: new ExtractiveAnswerer(), condenser: new LexicalCondenser(), embedder } },
    );
    running.push(t);
    return t;
  }
  const runbooks = (count: number): [string, string][] =>
    Array.from({ length: count }, (_, i): [string, string] => [`runbooks/r${i}.md`, page(i)]);
  const reindex = async (service: TestService, body: object): Promise<Job> => {
    const res = await request(service.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN)
      .send({ source: 's3', ...body })
      .expect(202);
    return service.service.jobs.whenFinished(res.body.jobId as string);
  };
  const syncFiles = async (service: TestService): Promise<Job> => {
    const res = await request(service.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN)
      .send({ source: 'files' })
      .expect(202);
    return service.service.jobs.whenFinished(res.body.jobId as string);
  };
  const upload = (service: TestService, name: string, text: string) =>
    request(service.url)
      .post('/api/v1/documents')
      .set('X-API-Key', ADMIN)
      .attach('file', Buffer.from(text), name);
  const s3Ids = async (service: TestService) =>
    (await service.service.store.listDocuments('s3')).map((d) => d.id);

  beforeAll(async () => {
    Object.assign(process.env, AWS_ENV);
    folder = await tempDir();
    s3 = await new S3TestServer(folder.dir).start();
    client = await s3.bucket(BUCKET);
  }, 60_000);
  afterEach(async () => {
    s3.clearFaults();
    await Promise.all(running.splice(0).map((t) => t.close()));
  });
  afterAll(async () => {
    await s3.close();
    await folder.remove();
    process.env = saved;
  });

  it('indexes every supported object under the prefix at start, listed page by page, then downloads and embeds none', async () => {
    const requests = (() => {
      const from = s3.requests.length;
      return () => s3.requests.slice(from);
    })();
    const { t, prefix, embedder, gets } = await site(runbooks(OBJECTS), {
      // Not the source's: another prefix, a folder marker, a type it cannot read, a dot-folder.
      extra: [
        ['other/elsewhere.md', '# Elsewhere\n\nNot under the prefix.'],
        [`docs${prefixes + 1}/runbooks/`, ''],
        [`docs${prefixes + 1}/image.png`, 'not a document'],
        [`docs${prefixes + 1}/.hidden/secret.md`, '# Hidden\n\nA dot-folder is skipped.'],
      ],
    });
    // The startup sync: the documents folder, then the bucket.
    const [first] = (await t.service.jobs.list()).filter((j) => j.source === 's3');
    expect(first).toMatchObject({ state: 'succeeded', error: null });
    expect(first!.progress).toMatchObject({ discovered: OBJECTS, indexed: OBJECTS, failed: 0 });
    // 1,200 keys are two pages of 1,000: the second asked for with the first's continuation token.
    expect(requests().filter((r) => r.includes('list-type=2')).length).toBeGreaterThanOrEqual(2);
    expect(requests().some((r) => r.includes('continuation-token='))).toBe(true);
    const ids = await s3Ids(t);
    expect(ids).toHaveLength(OBJECTS);
    expect(ids).toContain('s3:runbooks/r0.md');
    const [record] = (await t.service.store.listDocuments('s3')).filter((d) => d.id === 's3:runbooks/r7.md');
    expect(record).toMatchObject({ title: 'Runbook 7', url: `s3://${BUCKET}/${prefix}/runbooks/r7.md` });

    const downloads = gets();
    const embedded = embedder.texts;
    const second = await reindex(t, {});
    expect(second.progress).toMatchObject({ discovered: OBJECTS, unchanged: OBJECTS, indexed: 0 });
    expect(gets()).toBe(downloads);
    expect(embedder.texts).toBe(embedded);
  }, 180_000);

  it('re-indexes an edited object alone, and removes a deleted one from answers', async () => {
    const COUNT = 12;
    const { t, prefix, gets } = await site(runbooks(COUNT));
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/runbooks/r3.md`,
        Body: '# Runbook 3\n\nService 3 now restarts with the command reboot-zebracorn.\n',
      }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${prefix}/runbooks/r5.md` }));
    const downloads = gets();
    const job = await reindex(t, {});
    expect(job.progress).toMatchObject({ indexed: 1, unchanged: COUNT - 2, deleted: 1 });
    expect(gets() - downloads).toBe(1);
    const ask = async (message: string) =>
      ChatResponse.parse(
        (await request(t.url).post('/api/v1/chat').set('X-API-Key', READER).send({ message }).expect(200))
          .body,
      );
    // Cited at the object's address (and the passage's heading).
    expect((await ask('Which command restarts service 3? zebracorn')).sources[0]?.url).toBe(
      `s3://${BUCKET}/${prefix}/runbooks/r3.md#runbook-3`,
    );
    const r5 = `s3://${BUCKET}/${prefix}/runbooks/r5.md`;
    expect(
      (await ask('Which command restarts service 5? restart-5')).sources.map((s) => s.url),
    ).not.toContain(`${r5}#runbook-5`);
    // Another object's answer still comes, so the absence above is the deletion's.
    expect((await ask('Which command restarts service 6? restart-6')).sources[0]?.url).toBe(
      `s3://${BUCKET}/${prefix}/runbooks/r6.md#runbook-6`,
    );
    expect(await s3Ids(t)).not.toContain('s3:runbooks/r5.md');
  }, 120_000);

  it('stops before deleting when 60% of the bucket is gone, and a full run confirms', async () => {
    const COUNT = 20;
    const { t, prefix } = await site(runbooks(COUNT));
    const doomed = Array.from({ length: 12 }, (_, i) => `${prefix}/runbooks/r${i + 4}.md`);
    await Promise.all(doomed.map((Key) => client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }))));
    const stopped = await reindex(t, {});
    expect(stopped.state).toBe('failed');
    expect(stopped.error).toMatch(/stopped before removing 12 of 20 documents.*nothing was deleted/);
    expect(await s3Ids(t)).toHaveLength(COUNT);
    const confirmed = await reindex(t, { full: true });
    expect(confirmed.state).toBe('succeeded');
    expect(confirmed.progress.deleted).toBe(12);
    expect(await s3Ids(t)).toHaveLength(COUNT - 12);
  }, 120_000);

  it('backs off when S3 throttles, and succeeds', async () => {
    const { t, requestsSince } = await site(runbooks(3));
    s3.fail({
      status: 503,
      code: 'SlowDown',
      message: 'Please reduce your request rate.',
      times: 2,
      only: /list-type=2/,
    });
    const requests = requestsSince();
    const job = await reindex(t, {});
    expect(job.state).toBe('succeeded');
    // Two refused, then the listing answered.
    expect(requests().filter((r) => r.includes('list-type=2')).length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('fails the job, naming the problem, when access is denied, the region is wrong or the bucket is missing', async () => {
    const { t, prefix } = await site(runbooks(3));
    s3.fail({ status: 403, code: 'AccessDenied', message: 'Access Denied', times: 10, only: /list-type=2/ });
    const denied = await reindex(t, {});
    expect(denied.state).toBe('failed');
    expect(denied.error).toMatch(
      new RegExp(`access denied listing bucket "kb-docs" \\(prefix "${prefix}/"\\).*s3:ListBucket`),
    );
    s3.clearFaults();

    s3.fail({ status: 301, code: 'PermanentRedirect', region: 'eu-west-1', times: 10, only: /list-type=2/ });
    const moved = await reindex(t, {});
    expect(moved.state).toBe('failed');
    expect(moved.error).toMatch(
      /bucket "kb-docs" .*is not in region us-east-1: it is in eu-west-1; set S3_REGION/,
    );
    s3.clearFaults();

    const missing = await start(prefix, new HashingEmbedder(), { S3_BUCKET: 'no-such-bucket' });
    await missing.synced;
    const job = await reindex(missing, {});
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(
      new RegExp(`bucket "no-such-bucket" \\(prefix "${prefix}/"\\) does not exist: check S3_BUCKET`),
    );
    // The error names what to fix, never a credential.
    expect(job.error).not.toContain(S3_TEST_CREDENTIALS.secretAccessKey);
  }, 120_000);

  it('keeps an upload in the bucket, where a replica with an empty DATA_DIR finds and indexes it', async () => {
    const { t, prefix, embedder } = await site(runbooks(3));
    const PAGER = '# Pager duty\n\nThe pager rotates every Tuesday at noon (quokka).\n';
    const res = await upload(t, 'pager.md', PAGER).expect(201);
    const id = res.body.id as string;
    expect(id).toMatch(/^upload:key-[0-9a-f]{16}\/pager\.md$/);
    const key = `${prefix}/.uploads/${id.slice('upload:'.length)}`;
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await stored.Body!.transformToString()).toContain('quokka');
    // Not indexed twice: a sync of the bucket skips the uploads' dot-folder.
    expect((await reindex(t, {})).state).toBe('succeeded');
    expect((await s3Ids(t)).filter((i) => i.includes('pager'))).toEqual([]);

    const again = await upload(t, 'pager.md', PAGER).expect(200);
    expect(again.body.status).toBe('unchanged');

    const replica = await start(prefix, embedder); // its own, empty DATA_DIR and its own index
    // Its startup sync of the files source lists the uploads from the bucket.
    await replica.synced;
    expect((await replica.service.store.listDocuments('upload')).map((d) => d.id)).toEqual([id]);
    const status = IndexStatus.parse(
      (await request(replica.url).get('/api/v1/admin/index').set('X-API-Key', ADMIN).expect(200)).body,
    );
    expect(status.sources).toEqual(expect.arrayContaining(['files', 's3']));
  }, 120_000);

  it('keeps no new original whose indexing failed, and indexes a replaced one on the next sync', async () => {
    const { t, prefix, embedder } = await site(runbooks(3));
    const exists = (key: string) =>
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
        () => true,
        () => false,
      );
    const owner = (
      (await upload(t, 'first.md', '# First\n\nThe first version (wombat).\n').expect(201)).body.id as string
    )
      .slice('upload:'.length)
      .split('/')[0]!;
    embedder.failWith = new Error('the model refused');
    try {
      const failed = await upload(t, 'new.md', '# New\n\nNever indexed (numbat).\n');
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect(ErrorBody.parse(failed.body).error.message).not.toMatch(/at .*\.ts:\d+/);
      expect(await exists(`${prefix}/.uploads/${owner}/new.md`)).toBe(false);

      await upload(t, 'first.md', '# First\n\nThe second version (platypus).\n');
      expect(await exists(`${prefix}/.uploads/${owner}/first.md`)).toBe(true);
    } finally {
      embedder.failWith = undefined;
    }
    const synced = await syncFiles(t);
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
    const { t, prefix } = await site(runbooks(3));
    await putAll(client, [
      [`${prefix}/.uploads/x.md`, '# Stray\n\nNot an upload.'],
      [`${prefix}/.uploads/not-an-owner/deep/y.md`, '# Stray\n\nNot one either.'],
    ]);
    // S3 answers a HEAD of a missing key with 403 to a role whose ListBucket is limited by s3:prefix.
    s3.fail({ status: 403, code: 'AccessDenied', times: 2, only: /^HEAD / });
    const res = await upload(t, 'denied-head.md', '# Head\n\nStored all the same (dingo).\n').expect(201);
    expect((await syncFiles(t)).state).toBe('succeeded');
    const uploads = (await t.service.store.listDocuments('upload')).map((d) => d.id);
    expect(uploads).toContain(res.body.id);
    expect(uploads.filter((id) => /x\.md|y\.md/.test(id))).toEqual([]);
  }, 60_000);

  it('refuses a reindex of s3 on a service without a bucket', async () => {
    const plain = await startTestService({ ADMIN_API_KEYS: ADMIN });
    running.push(plain);
    const res = await request(plain.url)
      .post('/api/v1/admin/reindex')
      .set('X-API-Key', ADMIN)
      .send({ source: 's3' })
      .expect(400);
    expect(ErrorBody.parse(res.body).error.message).toMatch(/source "s3" is not configured/);
  });
});
