import { atlassianSite, FakeForgeRuntime } from '../fakes/forge-runtime';
import { CITED_SOURCE, ServiceDouble } from '../fakes/service-double';
import { expectConsoleWarn } from '../helpers/console-guard';
// As Forge calls them: the exports the manifest's `rovo-ask` and `rovo-draft-reply` functions name.
import { askKnowledgeBase, draftIssueReply } from '../../src/index';

const adf = (text: string) => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

/** The function context Forge passes an action: the user chatting with the agent is its principal. */
const invocation = { principal: { accountId: 'acc-rovo' }, installContext: 'ari:cloud:confluence::site/c1' };
/** Rovo's context of a chat held on a Confluence page, and on a Jira issue. */
const onPage = {
  cloudId: 'c1',
  moduleKey: 'ask-knowledge-base',
  confluence: {
    url: 'https://example.atlassian.net/wiki/spaces/ENG/pages/123/Tokens',
    resourceType: 'page',
    contentId: '123',
    spaceKey: 'ENG',
    spaceId: '98305',
  },
};
const onIssue = {
  cloudId: 'c1',
  moduleKey: 'draft-issue-reply',
  jira: { url: 'https://example.atlassian.net/browse/SUP-7', resourceType: 'issue', issueKey: 'SUP-7' },
};

/**
 * The Rovo agent's actions with the real resolvers and the real @forge/api: only the runtime's fetch is the
 * test's, forwarding to the contract-checked service double and to Jira.
 */
describe('Rovo actions', () => {
  // Each test gets its own double and runtime: a queued fault or answer of one never reaches another.
  let service: ServiceDouble;
  let runtime: FakeForgeRuntime;

  beforeEach(async () => {
    service = await new ServiceDouble().start();
    runtime = new FakeForgeRuntime(
      service.url,
      atlassianSite({
        admin: false,
        issue: {
          key: 'SUP-7',
          summary: 'Cannot log in after token rotation',
          description: adf('Since I rotated my API token the CLI says 401.'),
          comments: [{ author: 'Ana', body: adf('Same here') }],
        },
      }),
    );
    runtime.install();
  });
  afterEach(async () => {
    runtime.uninstall();
    await service.stop();
  });

  const chatRequests = () => service.requests.filter((r) => r.path === '/api/v1/chat');

  it('asks the service’s chat route as the user chatting, and returns the answer with citations as links', async () => {
    const text = await askKnowledgeBase(
      { question: '  How do I rotate the API token?  ', context: onPage },
      invocation,
    );
    const [request, ...more] = chatRequests();
    expect(more).toEqual([]);
    expect(request!.headers['x-forge-account-id']).toBe('acc-rovo');
    expect(request!.body).toEqual({
      message: 'How do I rotate the API token?',
      context: { product: 'confluence', accountId: 'acc-rovo', pageId: '123', spaceKey: 'ENG' },
    });
    const link = `[${CITED_SOURCE.title}](${CITED_SOURCE.url})`;
    expect(text).toBe(
      `Answer to "How do I rotate the API token?" after 0 turns ${link}.\n\nSources:\n- ${link}`,
    );
  });

  it('asked on a Jira issue, sends the issue read as the user, as the panel does', async () => {
    await askKnowledgeBase({ question: 'Is there a workaround?', context: onIssue }, invocation);
    expect(runtime.productCalls.map((c) => c.path)).toContain(
      '/rest/api/3/issue/SUP-7?fields=summary,description',
    );
    expect(chatRequests()[0]!.body).toMatchObject({
      context: {
        product: 'jira',
        accountId: 'acc-rovo',
        issue: { key: 'SUP-7', summary: 'Cannot log in after token rotation' },
      },
    });
  });

  it('drafts a reply for the issue it is given, read as the user, with linked sources', async () => {
    const text = await draftIssueReply(
      { issueKey: 'sup-7', instructions: 'keep it short', context: onPage },
      invocation,
    );
    expect(runtime.productCalls.map((c) => [c.product, c.path])).toEqual(
      expect.arrayContaining([['jira', '/rest/api/3/issue/SUP-7?fields=summary,description']]),
    );
    const body = chatRequests()[0]!.body as {
      message: string;
      context: { product: string; accountId: string; issue: { key: string; description: string } };
    };
    expect(body.message).toContain('Draft a reply to the reporter of SUP-7');
    expect(body.message).toContain('Also: keep it short');
    expect(body.context).toMatchObject({ product: 'jira', accountId: 'acc-rovo', issue: { key: 'SUP-7' } });
    expect(body.context.issue.description).toContain('Latest comments:\nAna: Same here');
    expect(
      text.startsWith('Drafted reply for SUP-7:\n\nAnswer to "Draft a reply to the reporter of SUP-7'),
    ).toBe(true);
    expect(text).toContain(`[${CITED_SOURCE.title}](${CITED_SOURCE.url})`);
  });

  it('drafts for the issue the user is viewing when the agent names none', async () => {
    await draftIssueReply({ context: onIssue }, invocation);
    expect(chatRequests()[0]!.body).toMatchObject({ context: { issue: { key: 'SUP-7' } } });
  });

  it.each([
    ['no question', () => askKnowledgeBase({ context: onPage }, invocation), 'No question was given'],
    ['a blank question', () => askKnowledgeBase({ question: '   ' }, invocation), 'No question was given'],
    ['a question that is not text', () => askKnowledgeBase({ question: 42 }, invocation), 'No question'],
    ['no payload at all', () => askKnowledgeBase(undefined, undefined), 'No question was given'],
    [
      'a question over the contract’s 4,000 characters',
      () => askKnowledgeBase({ question: 'x'.repeat(4_001) }, invocation),
      'Could not answer that from the knowledge base: ✖ message must be at most 4000 characters',
    ],
    ['no issue key', () => draftIssueReply({ context: onPage }, invocation), 'No issue was given'],
    [
      'something that is not an issue key',
      () => draftIssueReply({ issueKey: 'the login bug' }, invocation),
      '"THE LOGIN BUG" is not a Jira issue key',
    ],
  ])('refuses %s plainly, before calling Jira or the service', async (_case, act, said) => {
    expect(await act()).toContain(said);
    expect(service.requests).toEqual([]);
    expect(runtime.productCalls).toEqual([]);
  });

  it('says so when the issue cannot be read as the user, and when the service fails', async () => {
    expectConsoleWarn('draftReply failed for account acc-rovo: not_found');
    expectConsoleWarn('chat failed for account acc-rovo: rate_limited');
    expect(await draftIssueReply({ issueKey: 'SUP-404' }, invocation)).toBe(
      'Could not draft a reply for SUP-404: Could not read SUP-404: it may have been deleted, or you may not have access to it.',
    );
    expect(service.requests).toEqual([]);
    service.failNext('rate_limited');
    expect(await askKnowledgeBase({ question: 'Anything?' }, invocation)).toBe(
      'Could not answer that from the knowledge base: The knowledge service is busy. Wait a few seconds and try again.',
    );
  });

  it('links only web addresses, and no title or address can break its link', async () => {
    service.nextAnswers.push({
      answer: 'See [1], [2] and [3]; [9] is no source.',
      sources: [
        source(1, 'Setup [beta] ] guide', 'https://example.atlassian.net/wiki/x/Setup_(beta)#Step 1'),
        source(2, 'Local notes', 'notes/setup.md#steps'),
        source(3, 'Tricky', 'javascript:alert(1)'),
      ],
    });
    const text = await askKnowledgeBase({ question: 'How do I set up?' }, invocation);
    const setup =
      '[Setup \\[beta\\] \\] guide](https://example.atlassian.net/wiki/x/Setup_%28beta%29#Step%201)';
    expect(text).toBe(
      `See ${setup}, Local notes and Tricky; [9] is no source.\n\nSources:\n- ${setup}\n- Local notes\n- Tricky`,
    );
  });
});

function source(n: number, title: string, url: string) {
  return { n, id: `s${String(n)}`, title, url, snippet: '…', score: 1, cited: true };
}
