import { atlassianSite, type FakeForgeRuntime } from '../fakes/forge-runtime';
import { CITED_SOURCE, type ServiceDouble } from '../fakes/service-double';
import { expectConsoleWarn } from '../helpers/console-guard';
import { JIRA_ISSUE, openPanel, type ForgeUi, type OpenPanel } from '../helpers/forge-ui';

const adf = (text: string) => ({
  type: 'doc',
  version: 1,
  content: [{ type: 'paragraph', content: [{ type: 'text', text }] }],
});

/**
 * The Jira issue panel: chat with the issue as context, and "Draft a reply" read as the agent. Each test
 * opens its own panel on its own service and builds the conversations it needs.
 */
describe('Jira support assistant panel', () => {
  let panel: OpenPanel;
  let ui: ForgeUi;
  let service: ServiceDouble;
  let runtime: FakeForgeRuntime;

  beforeEach(async () => {
    const site = atlassianSite({
      admin: false,
      issue: {
        key: 'SUP-7',
        summary: 'Cannot log in after token rotation',
        description: adf('Since I rotated my API token the CLI says 401.'),
        comments: Array.from({ length: 7 }, (_, i) => ({
          author: `Person ${String(i + 1)}`,
          body: adf(`comment ${String(i + 1)}`),
        })),
      },
    });
    panel = await openPanel(
      () => import('../../src/frontend/jira-assistant'),
      JIRA_ISSUE,
      site,
      (u) => u.text().includes('Ask a question about this issue'),
    );
    ({ ui, service, runtime } = panel);
  });
  afterEach(() => panel.close());

  const ask = async (question: string): Promise<void> => {
    ui.change(ui.questionBox(), { value: question });
    ui.click('Ask');
    await ui.waitForText(`Answer to "${question}"`);
  };

  it('drafts a reply from the issue read as the agent, shown ready to copy with its sources', async () => {
    ui.click('Draft a reply');
    await ui.waitForText('Drafted reply');

    const request = service.requests.find((r) => r.path === '/api/v1/chat')!;
    const body = request.body as {
      message: string;
      context: { product: string; accountId: string; issue: Record<string, string> };
    };
    expect(body.message).toContain('Draft a reply to the reporter of SUP-7');
    expect(body.context.product).toBe('jira');
    expect(body.context.accountId).toBe('acc-agent');
    expect(body.context.issue.key).toBe('SUP-7');
    expect(body.context.issue.summary).toBe('Cannot log in after token rotation');
    const description = body.context.issue.description!;
    expect(description).toContain('Since I rotated my API token the CLI says 401.');
    // The five latest of seven comments, oldest of them first.
    expect(description).toContain('Latest comments:\nPerson 3: comment 3\nPerson 4: comment 4');
    expect(description).toContain('Person 7: comment 7');
    expect(description).not.toContain('Person 2:');
    // Jira was read as the user (asUser), never as the app.
    expect(runtime.productCalls.map((c) => c.path)).toEqual(
      expect.arrayContaining(['/rest/api/3/issue/SUP-7?fields=summary,description']),
    );

    const editor = ui
      .all('TextArea')
      .find((t) => typeof t.props.value === 'string' && t.props.value.startsWith('Answer to'))!;
    expect(editor.props.value).toBe(`Answer to "${body.message}" after 0 turns [1].`);
    ui.change(editor, { value: 'Edited by the agent' });
    await ui.waitFor(
      () => ui.all('TextArea').some((t) => t.props.value === 'Edited by the agent'),
      'the edited draft',
    );
    expect(ui.all('Link').map((l) => l.props.href)).toContain(CITED_SOURCE.url);
  });

  it('chats with the issue as context', async () => {
    await ask('Is there a workaround?');
    const body = service.requests.filter((r) => r.path === '/api/v1/chat').at(-1)!.body as {
      context: { issue: { key: string; summary: string } };
    };
    expect(body.context.issue).toMatchObject({ key: 'SUP-7', summary: 'Cannot log in after token rotation' });
  });

  it('shows a failed draft with "Try again", which drafts it', async () => {
    expectConsoleWarn('draftReply failed for account acc-agent: rate_limited');
    service.failNext('rate_limited');
    ui.click('Draft a reply');
    await ui.waitForText('busy');
    expect(ui.text()).not.toContain('Drafted reply');
    ui.click('Try again');
    await ui.waitForText('Drafted reply');
    expect(ui.text()).not.toContain('busy');
  });

  it('lists the agent’s recent conversations; choosing one loads it and the next question continues it', async () => {
    ui.click('Draft a reply');
    await ui.waitForText('Drafted reply');
    await ask('Is there a workaround?');
    ui.click('New conversation');
    await ui.waitFor(() => !ui.text().includes('You: Is there a workaround?'), 'the panel to clear');
    ui.click('Recent conversations');
    await ui.waitFor(() => ui.hasButton('Delete'), 'the list');
    const mine = service.conversations.list('forge::acc-agent').conversations;
    // The draft and the question were asked in conversations of their own (a draft is not a chat turn).
    expect(mine).toHaveLength(2);
    expect(mine.map((c) => c.title)).toContain('Is there a workaround?');
    const chosen = mine.find((c) => c.title === 'Is there a workaround?')!;
    ui.click('Is there a workaround?');
    await ui.waitForText('You: Is there a workaround?');
    await ask('Does it affect the CLI?');
    expect(ui.text()).toContain('Answer to "Does it affect the CLI?" after 2 turns');
    const body = service.requests.filter((r) => r.path === '/api/v1/chat').at(-1)!.body as {
      conversationId: string;
      context: { product: string };
    };
    expect(body.conversationId).toBe(chosen.id);
    expect(body.context.product).toBe('jira');
  });
});
