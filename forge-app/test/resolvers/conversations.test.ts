import { FEEDBACK_COMMENT_MAX_CHARS } from '@kb/contracts';
import { atlassianSite, FakeForgeRuntime } from '../fakes/forge-runtime';
import { ServiceDouble } from '../fakes/service-double';
import { handler } from '../../src/index';
import { jsonBytes } from '../../src/payload-limits';
import { CONVERSATION_MAX_BYTES } from '../../src/resolvers/reply-size';
import { expectConsoleWarn } from '../helpers/console-guard';
import { CONFLUENCE_PAGE, JIRA_ISSUE, type ModuleContext } from '../helpers/forge-ui';

/** The fields these tests read, of whichever resolver answered. */
interface Data {
  conversations: { id: string }[];
  nextCursor: string | null;
  messages: { id: string; role: string; content: string; feedback: unknown }[];
  omittedMessages: number;
}
type Result = {
  ok: boolean;
  data?: Data;
  error?: { code: string; message: string; retryable: boolean };
};

const OTHER_READER: ModuleContext = { ...CONFLUENCE_PAGE, accountId: 'acc-other' };
const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);

/**
 * The conversation resolvers as Forge calls them, with the real @forge/api, against the service double's
 * conversation routes: each caller reaches only their own conversations. Each test gets its own double,
 * seeded afresh: a rating or a deletion in one test is never seen by another.
 */
describe('conversation resolvers', () => {
  let service: ServiceDouble;
  let runtime: FakeForgeRuntime;

  beforeEach(async () => {
    service = await new ServiceDouble().start();
    runtime = new FakeForgeRuntime(service.url, atlassianSite({ admin: false }));
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
    ) as Promise<Result>;

  const readerOwner = 'forge::acc-reader';
  let older: string;
  let newer: string;
  let others: string;
  beforeEach(() => {
    older = service.conversations.seed(
      readerOwner,
      [['Old question', 'Old answer']],
      hoursAgo(30),
      'confluence',
    );
    newer = service.conversations.seed(
      readerOwner,
      [
        ['How do I rotate the token?', 'Under Settings [1].'],
        ['How often?', 'Yearly.'],
      ],
      hoursAgo(2),
      'confluence',
    );
    others = service.conversations.seed(
      'forge::acc-other',
      [['Their secret', 'Theirs']],
      hoursAgo(1),
      'jira',
    );
  });

  it("lists the caller's own conversations, newest first, a page at a time", async () => {
    const first = await call('listConversations', { limit: 1 });
    expect(first).toMatchObject({
      ok: true,
      data: { conversations: [{ id: newer, title: 'How do I rotate the token?', messageCount: 4 }] },
    });
    expect(service.requests[0]!.path).toBe('/api/v1/conversations?limit=1');
    const second = await call('listConversations', { limit: 1, cursor: first.data!.nextCursor });
    expect(second.data!.conversations.map((c) => c.id)).toEqual([older]);
    expect(second.data!.nextCursor).toBeNull();
    const all = await call('listConversations', {});
    expect(all.data!.conversations.map((c) => c.id)).toEqual([newer, older]);
    expect(JSON.stringify(all.data)).not.toContain('Their secret');
  });

  it('reads one conversation with its messages; someone else’s is “not found”, said plainly', async () => {
    expectConsoleWarn('getConversation failed for account acc-reader: not_found');
    const mine = await call('getConversation', { id: newer });
    expect(mine.ok).toBe(true);
    expect(mine.data!.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'How do I rotate the token?'],
      ['assistant', 'Under Settings [1].'],
      ['user', 'How often?'],
      ['assistant', 'Yearly.'],
    ]);
    expect(mine.data!.omittedMessages).toBe(0);

    const theirs = await call('getConversation', { id: others });
    expect(theirs).toMatchObject({ ok: false, error: { code: 'not_found', retryable: false } });
    expect(theirs.error!.message).toBe(
      'That conversation was not found: it may have been deleted (conversations untouched for a while are removed).',
    );
    expect(service.requests.at(-1)).toMatchObject({ method: 'GET', path: `/api/v1/conversations/${others}` });
  });

  it('rates an answer, and rating it again replaces the rating', async () => {
    const answerId = (await call('getConversation', { id: older })).data!.messages[1]!.id;
    const up = await call('rateAnswer', { messageId: answerId, rating: 'up' });
    expect(up).toMatchObject({ ok: true, data: { rating: 'up', reason: null, comment: null } });
    expect(service.requests[1]).toMatchObject({
      method: 'POST',
      path: `/api/v1/messages/${answerId}/feedback`,
      body: { rating: 'up' },
    });
    expect(service.requests[1]!.body).toEqual({ rating: 'up' });

    const down = await call('rateAnswer', {
      messageId: answerId,
      rating: 'down',
      reason: 'outdated',
      comment: 'Tokens moved to the admin hub.',
    });
    expect(down).toMatchObject({
      ok: true,
      data: { rating: 'down', reason: 'outdated', comment: 'Tokens moved to the admin hub.' },
    });
    const stored = await call('getConversation', { id: older });
    expect(stored.data!.messages[1]!.feedback).toMatchObject({ rating: 'down', reason: 'outdated' });
  });

  it("cannot rate someone else's answer", async () => {
    expectConsoleWarn('rateAnswer failed for account acc-reader: not_found');
    const theirAnswer = (await call('getConversation', { id: others }, OTHER_READER)).data!.messages[1]!.id;
    const result = await call('rateAnswer', { messageId: theirAnswer, rating: 'down' });
    expect(result).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(result.error!.message).toContain('That answer was not found');
  });

  it('deletes one of the caller’s conversations; someone else’s stays', async () => {
    expectConsoleWarn('getConversation failed for account acc-reader: not_found');
    const doomed = service.conversations.seed(readerOwner, [['Delete me', 'ok']], hoursAgo(3), 'confluence');
    expect(await call('deleteConversation', { id: doomed })).toEqual({ ok: true, data: null });
    expect(service.requests[0]).toMatchObject({ method: 'DELETE', path: `/api/v1/conversations/${doomed}` });
    expect(await call('getConversation', { id: doomed })).toMatchObject({ error: { code: 'not_found' } });
    // Someone else's: the service says 404, which for a delete is "nothing of yours by that id" — and
    // their conversation is untouched.
    expect((await call('deleteConversation', { id: others })).ok).toBe(true);
    expect((await call('getConversation', { id: others }, OTHER_READER)).ok).toBe(true);
  });

  it.each([
    ['getConversation', { id: '../admin/index' }, 'id'],
    ['getConversation', {}, 'id'],
    ['deleteConversation', { id: 'a b' }, 'id'],
    ['listConversations', { limit: 0 }, 'limit'],
    ['listConversations', { limit: 101 }, 'limit'],
    ['listConversations', { limit: 5, owner: 'acc-other' }, 'owner'],
    ['rateAnswer', { messageId: 'msg-1', rating: 'meh' }, 'rating'],
    ['rateAnswer', { messageId: 'msg-1', rating: 'down', reason: 'rude' }, 'reason'],
    ['rateAnswer', { messageId: 'msg/1', rating: 'up' }, 'messageId'],
    ['rateAnswer', { rating: 'up' }, 'messageId'],
    [
      'rateAnswer',
      { messageId: 'msg-1', rating: 'down', comment: 'x'.repeat(FEEDBACK_COMMENT_MAX_CHARS + 1) },
      'comment',
    ],
  ])('refuses %s with %j before calling the service, naming the field', async (key, payload, field) => {
    const result = await call(key, payload);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request', retryable: false } });
    expect(result.error!.message).toContain(field);
    expect(service.requests).toEqual([]);
  });

  it('accepts a comment of exactly the longest length', async () => {
    const answerId = (await call('getConversation', { id: newer })).data!.messages[3]!.id;
    const comment = 'x'.repeat(FEEDBACK_COMMENT_MAX_CHARS);
    expect(await call('rateAnswer', { messageId: answerId, rating: 'down', comment })).toMatchObject({
      ok: true,
      data: { comment },
    });
  });

  it('says "no history" when the service keeps none, and passes other failures on to retry', async () => {
    expectConsoleWarn('listConversations failed for account acc-reader: no_history');
    expectConsoleWarn('listConversations failed for account acc-reader: unavailable');
    service.history = 'off';
    expect(await call('listConversations', {})).toMatchObject({ ok: false, error: { code: 'no_history' } });
    service.history = 'on';
    service.failNext('upstream_unavailable');
    expect(await call('listConversations', {})).toMatchObject({
      ok: false,
      error: { code: 'unavailable', retryable: true },
    });
  });

  it('sends back a long conversation’s newest messages within the payload budget, saying how many are left out', async () => {
    const long = service.conversations.seed(
      'forge::acc-agent',
      Array.from({ length: 30 }, (_, i): [string, string] => [
        `Question ${String(i)}`,
        `${String(i)}:${'é'.repeat(50_000)}`,
      ]),
      hoursAgo(1),
      'jira',
    );
    const result = await call('getConversation', { id: long }, JIRA_ISSUE);
    expect(result.ok).toBe(true);
    expect(jsonBytes(result.data)).toBeLessThanOrEqual(CONVERSATION_MAX_BYTES);
    const messages = result.data!.messages;
    expect(result.data!.omittedMessages).toBe(60 - messages.length);
    expect(result.data!.omittedMessages).toBeGreaterThan(0);
    expect(messages[0]!.role).toBe('user');
    expect(messages.at(-1)!.content.startsWith('29:')).toBe(true);
  });
});
