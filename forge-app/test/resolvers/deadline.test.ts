import { atlassianSite, FakeForgeRuntime, type ProductHandler } from '../fakes/forge-runtime';
import { ServiceDouble } from '../fakes/service-double';
import { handler } from '../../src/index';
import { ADMIN_BUDGET_MS, CHAT_BUDGET_MS } from '../../src/resolvers/deadline';
import { expectConsoleWarn } from '../helpers/console-guard';
import { JIRA_ADMIN, JIRA_ISSUE, type ModuleContext } from '../helpers/forge-ui';

const adf = (text: string) => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

/**
 * One deadline for the whole resolver call. Time is jest's fake clock and every outside system answers in
 * process (no sockets), so "Jira took 15 s" is exact and the test does not depend on the machine's speed.
 * Each test gets its own double and runtime, and sets both delays itself.
 */
describe('the deadline of a resolver call', () => {
  let service: ServiceDouble;
  let runtime: FakeForgeRuntime;
  let jiraDelayMs: number;
  const site = atlassianSite({
    admin: false,
    issue: { key: 'SUP-7', summary: 'Login fails', description: adf('401 since Monday'), comments: [] },
  });
  const slowJira: ProductHandler = async (request) => {
    if (jiraDelayMs) await new Promise((resolve) => setTimeout(resolve, jiraDelayMs));
    return site(request);
  };

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    jiraDelayMs = 0;
    service = new ServiceDouble();
    runtime = new FakeForgeRuntime(service.serveInMemory, slowJira);
    runtime.install();
  });
  afterEach(() => {
    runtime.uninstall();
    jest.useRealTimers();
  });

  /** Starts a call from the Jira panel and reports when (on the fake clock) it settled, and with what. */
  const start = (functionKey: string, payload: unknown, module: ModuleContext = JIRA_ISSUE) => {
    const startedAt = Date.now();
    const outcome: {
      settledAfterMs?: number;
      result?: { ok: boolean; error?: { code: string; message: string } };
    } = {};
    void handler(
      { call: { functionKey, payload }, context: { extension: module.extension } },
      { principal: { accountId: module.accountId } },
    ).then((result) => {
      outcome.settledAfterMs = Date.now() - startedAt;
      outcome.result = result as typeof outcome.result;
    });
    return outcome;
  };

  it('shares one budget between a slow Jira read and a slow service: the service gets only what is left', async () => {
    // Before: 15 s of Jira, then 20 s more for the service = 35 s, and Forge kills the call at 25 s.
    expectConsoleWarn('draftReply ran out of time for account acc-agent');
    jiraDelayMs = 15_000;
    service.delayMs = 20_000;
    const outcome = start('draftReply', {});

    await jest.advanceTimersByTimeAsync(CHAT_BUDGET_MS - 1);
    expect(outcome.result).toBeUndefined();
    // The service was asked as soon as Jira answered, 15 s in.
    expect(service.requests.map((r) => [r.path, r.at - service.requests[0]!.at])).toEqual([
      ['/api/v1/chat', 0],
    ]);

    await jest.advanceTimersByTimeAsync(1);
    expect(outcome.settledAfterMs).toBe(CHAT_BUDGET_MS);
    expect(outcome.result).toEqual({
      ok: false,
      error: {
        code: 'timeout',
        message: 'No answer within 23 seconds. Try again, or ask a narrower question.',
        retryable: true,
      },
    });
    // The service call was abandoned at the deadline, not left running for its own 20 s.
    expect(service.requests[0]!.aborted).toBe(true);
    expect(CHAT_BUDGET_MS).toBeLessThan(25_000);
  });

  it('ends at the deadline while Jira is still reading, without calling the service', async () => {
    expectConsoleWarn('chat ran out of time for account acc-agent');
    jiraDelayMs = 60_000;
    const outcome = start('chat', { message: 'Is there a workaround?' });
    await jest.advanceTimersByTimeAsync(CHAT_BUDGET_MS);
    expect(outcome.settledAfterMs).toBe(CHAT_BUDGET_MS);
    expect(outcome.result).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(service.requests).toEqual([]);
  });

  it('bounds an admin call, admin check included, by the shorter admin budget: a timeout, not "not an admin"', async () => {
    expectConsoleWarn('indexStatus ran out of time for account acc-jira-admin');
    jiraDelayMs = 60_000;
    const outcome = start('indexStatus', {}, JIRA_ADMIN);
    await jest.advanceTimersByTimeAsync(ADMIN_BUDGET_MS);
    expect(outcome.settledAfterMs).toBe(ADMIN_BUDGET_MS);
    expect(outcome.result).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(service.requests).toEqual([]);
  });

  it('answers normally when everything fits in the budget', async () => {
    jiraDelayMs = 5_000;
    service.delayMs = 10_000;
    const outcome = start('chat', { message: 'Is there a workaround?' });
    await jest.advanceTimersByTimeAsync(15_000);
    expect(outcome.settledAfterMs).toBe(15_000);
    expect(outcome.result).toMatchObject({ ok: true });
    // The deadline's timer went with the call: none is left to hold the function open.
    expect(jest.getTimerCount()).toBe(0);
  });
});
