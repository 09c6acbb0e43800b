import { atlassianSite, FakeForgeRuntime } from '../fakes/forge-runtime';
import { ServiceDouble } from '../fakes/service-double';
import { handler } from '../../src/index';
import { callService } from '../../src/resolvers/service-client';
import { ADMIN_BUDGET_MS, CHAT_BUDGET_MS, startDeadline } from '../../src/resolvers/deadline';
import { ChatResponse } from '@kb/contracts';
import { expectConsoleError, expectConsoleWarn } from '../helpers/console-guard';
import {
  CONFLUENCE_PAGE,
  CONFLUENCE_SETTINGS,
  JIRA_ADMIN,
  JIRA_ISSUE,
  type ModuleContext,
} from '../helpers/forge-ui';

/**
 * The resolvers as Forge calls them (the handler of manifest.yml), with the real @forge/api: only the
 * runtime's fetch is the test's, forwarding to a contract-checked service double and to Jira/Confluence.
 * Each test gets its own double and runtime: no job, queued fault or delay of one test reaches another.
 */
describe('resolvers', () => {
  let service: ServiceDouble;
  let runtime: FakeForgeRuntime;
  let admin: boolean;

  beforeEach(async () => {
    admin = true;
    service = await new ServiceDouble().start();
    runtime = new FakeForgeRuntime(service.url, (request) => atlassianSite({ admin })(request));
    runtime.install();
  });
  afterEach(async () => {
    runtime.uninstall();
    await service.stop();
  });

  const call = (functionKey: string, payload: unknown, module: ModuleContext = CONFLUENCE_PAGE) =>
    handler(
      { call: { functionKey, payload }, context: { extension: module.extension } },
      { principal: { accountId: module.accountId } },
    ) as Promise<{
      ok: boolean;
      data?: unknown;
      error?: { code: string; message: string; retryable: boolean; jobId?: string };
    }>;

  it('puts Forge’s context in the chat request and ignores context the frontend claims', async () => {
    const result = await call('chat', {
      message: 'Where is the runbook?',
      context: { pageId: '999', spaceKey: 'SECRET', accountId: 'someone-else' },
    });
    expect(result.ok).toBe(true);
    expect(service.requests[0]!.body).toEqual({
      message: 'Where is the runbook?',
      context: { product: 'confluence', accountId: 'acc-reader', spaceKey: 'ENG', pageId: '123' },
    });
    expect(service.requests[0]!.headers['x-forge-account-id']).toBe('acc-reader');
  });

  it('refuses a bad payload before calling the service, naming the field', async () => {
    const result = await call('chat', { message: '   ' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', retryable: false } });
    expect(result.error!.message).toContain('message');
    expect(await call('getJob', { jobId: 7 }, CONFLUENCE_SETTINGS)).toMatchObject({
      error: { code: 'invalid_request' },
    });
    expect(service.requests).toEqual([]);
  });

  it.each([
    ['upstream_unavailable', 'unavailable', true],
    ['internal', 'internal', true],
    ['rate_limited', 'rate_limited', true],
    ['unauthorized', 'unauthorized', false],
    ['forbidden', 'unauthorized', false],
    ['invalid_request', 'invalid_request', false],
  ] as const)('turns the service’s %s into a friendly %s failure', async (serviceCode, code, retryable) => {
    expectConsoleWarn(`chat failed for account acc-reader: ${code}`);
    service.failNext(serviceCode, 'internal detail: stack at x.js:1');
    const result = await call('chat', { message: 'hello' });
    expect(result).toMatchObject({ ok: false, error: { code, retryable } });
    if (serviceCode !== 'invalid_request') expect(result.error!.message).not.toContain('internal detail');
    if (code === 'unauthorized') expect(result.error!.message).toContain('FORGE_APP_ID');
  });

  it('reports an unreachable service as unavailable, to retry', async () => {
    expectConsoleWarn('chat failed for account acc-reader: unavailable');
    runtime.remoteDown = true;
    expect(await call('chat', { message: 'hello' })).toMatchObject({
      error: { code: 'unavailable', retryable: true },
    });
  });

  it('ends a slow call by its deadline, well inside Forge’s 25 s', async () => {
    expect(CHAT_BUDGET_MS).toBeLessThan(25_000);
    expect(ADMIN_BUDGET_MS).toBeLessThan(CHAT_BUDGET_MS);
    // The reply never comes (held): only the deadline can end the call, so the test does not race a
    // real clock against the double's delay.
    service.hold();
    const deadline = startDeadline(300);
    const result = await callService(
      { method: 'POST', path: '/api/v1/chat', body: { message: 'slow' }, accountId: 'a' },
      ChatResponse,
      deadline,
    );
    expect(deadline.remainingMs()).toBe(0);
    expect(result).toMatchObject({ ok: false, error: { code: 'timeout', retryable: true } });
  });

  it('rejects a reply that does not match the contract rather than passing it to the panel', async () => {
    const deadline = startDeadline(5_000);
    const result = await callService(
      { method: 'GET', path: '/api/v1/admin/index', accountId: 'a' },
      ChatResponse,
      deadline,
    );
    deadline.dispose();
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it.each(['indexStatus', 'reindex', 'listJobs', 'getJob', 'cancelJob', 'insights'])(
    'refuses %s to a non-admin without calling the service',
    async (key) => {
      admin = false;
      expectConsoleWarn(`refused ${key}: account acc-admin is not a confluence admin`);
      const payload = key === 'getJob' || key === 'cancelJob' ? { jobId: 'job-1' } : {};
      expect(await call(key, payload, CONFLUENCE_SETTINGS)).toMatchObject({
        ok: false,
        error: { code: 'not_admin', message: expect.stringContaining('Only Confluence administrators') },
      });
      expect(service.requests).toEqual([]);
      expect(runtime.productCalls.map((c) => c.path)).toEqual([
        '/wiki/rest/api/user/current?expand=operations',
      ]);
    },
  );

  it('checks Jira admins with the ADMINISTER global permission and lets them through', async () => {
    const result = await call('indexStatus', {}, JIRA_ADMIN);
    expect(result.ok).toBe(true);
    expect(runtime.productCalls[0]).toMatchObject({ product: 'jira', path: '/rest/api/3/permissions/check' });
    expect(service.requests.map((r) => r.path)).toEqual(['/api/v1/admin/index']);
  });

  it('counts a failed admin check as "not an admin" (fails closed)', async () => {
    expectConsoleWarn('refused listJobs: account acc-jira-admin is not a jira admin');
    const failing = new FakeForgeRuntime(service.url, () => ({ status: 500, body: {} }));
    failing.install();
    try {
      expect(await call('listJobs', {}, JIRA_ADMIN)).toMatchObject({
        ok: false,
        error: { code: 'not_admin', message: expect.stringContaining('Only Jira administrators') },
      });
      expect(service.requests).toEqual([]);
    } finally {
      runtime.install();
    }
  });

  it.each([
    ['Confluence', CONFLUENCE_SETTINGS],
    ['Jira', JIRA_ADMIN],
  ])(
    'counts an admin check that throws (%s: the product unreachable) as "not an admin"',
    async (_, context) => {
      expectConsoleWarn(
        `refused indexStatus: account ${context.accountId} is not a ${context === JIRA_ADMIN ? 'jira' : 'confluence'} admin`,
      );
      const unreachable = new FakeForgeRuntime(service.url, () => {
        throw new Error('socket hang up');
      });
      unreachable.install();
      try {
        expect(await call('indexStatus', {}, context)).toMatchObject({
          ok: false,
          error: { code: 'not_admin' },
        });
        expect(service.requests).toEqual([]);
      } finally {
        runtime.install();
      }
    },
  );

  it('counts a space administrator as "not an admin": only the application-wide grant counts', async () => {
    expectConsoleWarn('refused indexStatus: account acc-admin is not a confluence admin');
    const spaceAdmin = new FakeForgeRuntime(service.url, () => ({
      status: 200,
      body: { operations: [{ operation: 'administer', targetType: 'space' }] },
    }));
    spaceAdmin.install();
    try {
      expect(await call('indexStatus', {}, CONFLUENCE_SETTINGS)).toMatchObject({
        ok: false,
        error: { code: 'not_admin' },
      });
      expect(service.requests).toEqual([]);
    } finally {
      runtime.install();
    }
  });

  it('asks Jira about ADMINISTER itself, in a JSON body Jira accepts', async () => {
    expect(await call('listJobs', {}, JIRA_ADMIN)).toMatchObject({ ok: true });
    expect(runtime.productCalls[0]).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: { globalPermissions: ['ADMINISTER'] },
    });
  });

  it('counts an odd Confluence answer as "not an admin", even beside an application grant', async () => {
    expectConsoleWarn('refused indexStatus: account acc-admin is not a confluence admin');
    const odd = new FakeForgeRuntime(service.url, () => ({
      status: 200,
      body: {
        operations: [
          { operation: 'administer', targetType: 'application' },
          { operation: 7, targetType: 'application' },
        ],
      },
    }));
    odd.install();
    try {
      expect(await call('indexStatus', {}, CONFLUENCE_SETTINGS)).toMatchObject({
        ok: false,
        error: { code: 'not_admin' },
      });
      expect(service.requests).toEqual([]);
    } finally {
      runtime.install();
    }
  });

  it('answers a generic, retryable failure when a call throws, naming no detail', async () => {
    expectConsoleError('draftReply failed unexpectedly');
    const throwing = new FakeForgeRuntime(service.url, () => {
      throw new Error('socket hang up at jira.internal:443');
    });
    throwing.install();
    try {
      const result = await call('draftReply', {}, JIRA_ISSUE);
      expect(result).toEqual({
        ok: false,
        error: { code: 'internal', message: 'Something went wrong in the app. Try again.', retryable: true },
      });
      expect(service.requests).toEqual([]);
    } finally {
      runtime.install();
    }
  });

  it('passes the running job’s id with a reindex conflict', async () => {
    expectConsoleWarn('reindex failed for account acc-admin: conflict');
    const first = await call('reindex', { source: 'files' }, CONFLUENCE_SETTINGS);
    expect(first).toMatchObject({ ok: true, data: { jobId: expect.any(String) as string } });
    const jobId = (first.data as { jobId: string }).jobId;
    expect(await call('reindex', {}, CONFLUENCE_SETTINGS)).toMatchObject({
      ok: false,
      error: { code: 'conflict', jobId },
    });
    expect(await call('cancelJob', { jobId }, CONFLUENCE_SETTINGS)).toMatchObject({
      ok: true,
      data: { state: 'cancelled' },
    });
  });

  it('says so when Draft a reply cannot read the issue', async () => {
    expectConsoleWarn('draftReply failed for account acc-agent: not_found');
    const result = await call(
      'draftReply',
      {},
      {
        accountId: 'acc-agent',
        extension: { type: 'jira:issuePanel', issue: { key: 'SUP-404' } },
      },
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(result.error!.message).toContain('SUP-404');
    expect(service.requests).toEqual([]);
  });
});
