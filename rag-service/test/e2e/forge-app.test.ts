// By path, not as a dependency: the service's image must not install the Forge app's packages.
import { handler } from '../../../forge-app/src/index.js';
import { atlassianSite, FakeForgeRuntime } from '../../../forge-app/test/fakes/forge-runtime.js';
import { ForgeSigner, TEST_APP_ID } from '../fakes/forge-signer.js';
import { startTestService, type TestService } from '../helpers/service.js';

interface Result {
  ok: boolean;
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/**
 * The Forge app's real resolvers against the real service, with Forge's part played the way the platform
 * plays it: `invokeRemote` (real @forge/api) goes out through the runtime's fetch, which adds a Forge
 * Invocation Token signed by the test key, and the service verifies it against the JWKS.
 */
describe('Forge app → rag-service, end to end', () => {
  let forge: ForgeSigner;
  let t: TestService;
  /** The `aud` Forge puts in the token: this app's id, unless a test plays another app. */
  let audience = TEST_APP_ID;
  let runtime: FakeForgeRuntime;

  beforeAll(async () => {
    forge = await ForgeSigner.create();
    t = await startTestService({ FORGE_APP_ID: TEST_APP_ID, FORGE_JWKS_URL: forge.jwksUrl });
    await t.synced;
    // Forge's proxy adds a fresh token to each remote call; resolver-invoked calls may carry no principal
    // (the app names the user itself).
    runtime = new FakeForgeRuntime(t.url, atlassianSite({ admin: true }), async () => ({
      authorization: `Bearer ${await forge.token({ aud: audience, principal: undefined })}`,
      'x-forge-oauth-user': 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhY2MtcmVhZGVyIn0.c2lnbmF0dXJl',
    }));
    runtime.install();
  });
  afterAll(async () => {
    runtime.uninstall();
    await t.close();
    await forge.close();
  });
  beforeEach(() => {
    audience = TEST_APP_ID;
  });

  const call = async (functionKey: string, payload: unknown, extension: Record<string, unknown>) =>
    (await handler(
      { call: { functionKey, payload }, context: { extension } },
      { principal: { accountId: 'acc-reader' } },
    )) as Result;
  const page = { type: 'confluence:contentBylineItem', content: { id: '123' }, space: { key: 'ENG' } };
  const settings = { type: 'confluence:globalSettings' };

  it('answers a question asked from a Confluence page, with cited sources', async () => {
    const result = await call('chat', { message: 'How do I reindex the knowledge base?' }, page);
    expect(result.ok).toBe(true);
    expect(result.data!.answer).toMatch(/\[\d\]/);
    expect((result.data!.sources as unknown[]).length).toBeGreaterThan(0);
    expect(runtime.remoteCalls.at(-1)!.path).toBe('/api/v1/chat');
  });

  it('lets an admin read the index and run a reindex to the end through the admin resolvers', async () => {
    const status = await call('indexStatus', {}, settings);
    expect(status).toMatchObject({ ok: true, data: { documents: 9 } });
    const started = await call('reindex', { source: 'files' }, settings);
    expect(started.ok).toBe(true);
    const jobId = started.data!.jobId as string;
    let job: Result = { ok: false };
    for (let i = 0; i < 100; i++) {
      job = await call('getJob', { jobId }, settings);
      if (job.data?.state !== 'queued' && job.data?.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ ok: true, data: { state: 'succeeded', progress: { unchanged: 9 } } });
    const jobs = await call('listJobs', {}, settings);
    expect((jobs.data!.jobs as { id: string }[]).map((j) => j.id)).toContain(jobId);
  });

  it('is refused when the token was minted for another app, and says what to fix', async () => {
    audience = 'ari:cloud:ecosystem::app/another-app';
    const result = await call('chat', { message: 'How do I reindex?' }, page);
    expect(result).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(result.error!.message).toContain('FORGE_APP_ID');
  });
});
