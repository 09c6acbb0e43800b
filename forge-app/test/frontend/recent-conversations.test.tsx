import type { ServiceDouble } from '../fakes/service-double';
import { expectConsoleWarn } from '../helpers/console-guard';
import { buttonsLabelled, openConfluenceChat, type ForgeUi, type OpenPanel } from '../helpers/forge-ui';

const READER = 'forge::acc-reader';
const ago = (ms: number) => new Date(Date.now() - ms);
const HOUR = 3_600_000;

/**
 * "Recent conversations" in the Confluence chat panel, rendered as Forge renders it, through the real
 * resolvers to the service double's stored conversations. Each test opens its own panel on a service
 * seeded afresh, so none depends on what an earlier test asked, loaded or deleted.
 */
describe('recent conversations in the chat panel', () => {
  let panel: OpenPanel;
  let ui: ForgeUi;
  let service: ServiceDouble;
  let tokens: string;
  let gone: string;

  beforeEach(async () => {
    panel = await openConfluenceChat((double) => {
      double.conversations.seed(
        READER,
        [['Where is the runbook?', 'In OPS.']],
        ago(3 * 24 * HOUR),
        'confluence',
      );
      gone = double.conversations.seed(
        READER,
        [['Soon deleted elsewhere', 'ok']],
        ago(26 * HOUR),
        'confluence',
      );
      tokens = double.conversations.seed(
        READER,
        [
          ['How do I rotate the API token?', 'Under **Settings › Tokens**.'],
          ['How often?', 'Every year.'],
        ],
        ago(2 * HOUR),
        'confluence',
      );
      double.conversations.seed(
        'forge::acc-other',
        [['Their private question', 'x']],
        ago(HOUR),
        'confluence',
      );
      const answer = double.conversations.get(READER, tokens).messages[3]!.id;
      double.conversations.rate(READER, answer, { rating: 'down', reason: 'incomplete' });
    });
    ({ ui, service } = panel);
  });
  afterEach(() => panel.close());

  const ask = (question: string): void => {
    ui.change(ui.questionBox(), { value: question });
    ui.click('Ask');
  };
  const chatRequests = () => service.requests.filter((r) => r.path === '/api/v1/chat');
  const openList = async (): Promise<void> => {
    ui.click('Recent conversations');
    await ui.waitFor(() => ui.hasButton('Delete'), 'the list');
  };
  /** Opens the list and loads the stored conversation about tokens. */
  const loadTokens = async (): Promise<void> => {
    await openList();
    ui.click('How do I rotate the API token?');
    await ui.waitForText('You: How often?');
  };

  it("lists the reader's own conversations, newest first, with when each was last active", async () => {
    await openList();
    expect(service.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/conversations?limit=10' });
    expect(buttonsLabelled(ui, 'Delete')).toHaveLength(3);
    const text = ui.text();
    const order = ['How do I rotate the API token?', 'Soon deleted elsewhere', 'Where is the runbook?'].map(
      (t) => text.indexOf(t),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order[0]).toBeGreaterThanOrEqual(0);
    expect(text).toContain('2 hours ago · 2 questions');
    expect(text).toContain('yesterday · 1 question');
    expect(text).toContain('3 days ago · 1 question');
    expect(text).not.toContain('Their private question');
  });

  it('loads a chosen conversation, with its stored ratings, and the next question continues it', async () => {
    await loadTokens();
    expect(ui.hasButton('Delete')).toBe(false); // the list made way for the conversation
    expect(ui.text()).toContain('You: How do I rotate the API token?');
    expect(ui.text()).toContain('Every year.');
    expect(ui.text()).toContain('You found this not helpful: incomplete.');

    ask('And who can do it?');
    // The service continued its stored conversation: it saw the four stored turns.
    await ui.waitForText('Answer to "And who can do it?" after 4 turns');
    expect(chatRequests().at(-1)!.body).toMatchObject({
      message: 'And who can do it?',
      conversationId: tokens,
    });
    expect(service.conversations.get(READER, tokens).messages).toHaveLength(6);
  });

  it('says plainly when a chosen conversation is gone', async () => {
    expectConsoleWarn('getConversation failed for account acc-reader: not_found');
    await loadTokens(); // what was on screen before must not stay under the error
    await openList();
    service.conversations.delete(READER, gone); // deleted in another tab after the list was shown
    ui.click('Soon deleted elsewhere');
    await ui.waitForText('That conversation was not found: it may have been deleted');
    expect(ui.all('SectionMessage')[0]!.props.appearance).toBe('error');
    expect(ui.hasButton('Try again')).toBe(false);
    expect(ui.text()).not.toContain('You: How often?');
  });

  it('"New conversation" starts fresh: the next question goes without a conversation id', async () => {
    await loadTokens();
    ui.click('New conversation');
    await ui.waitForText('Ask a question about this page');
    ask('Something new');
    await ui.waitForText('Answer to "Something new" after 0 turns');
    expect(chatRequests().at(-1)!.body).not.toHaveProperty('conversationId');
  });

  it('deletes a conversation from the list; deleting the one on screen starts a new one', async () => {
    ask('Something new');
    await ui.waitForText('Answer to "Something new" after 0 turns');
    await openList();
    const rows = ui.text();
    expect(rows).toContain('Something new'); // the list is loaded afresh each time it opens
    const newest = service.conversations.list(READER).conversations[0]!;
    expect(newest.title).toBe('Something new');
    const current = newest.id;
    const deleteButtons = buttonsLabelled(ui, 'Delete');
    expect(deleteButtons).toHaveLength(4);
    (deleteButtons[0]!.props.onClick as () => void)(); // the newest: the one on screen
    await ui.waitFor(() => buttonsLabelled(ui, 'Delete').length === 3, 'the row to go');
    expect(service.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/api/v1/conversations/${current}`,
    });
    expect(service.conversations.list(READER).conversations.map((c) => c.id)).not.toContain(current);
    expect(ui.text()).not.toContain('Answer to "Something new"');
    expect(ui.text()).toContain('Ask a question about this page');
  });

  it('keeps a list that cannot load quiet (no error box), with a way to reload', async () => {
    expectConsoleWarn('listConversations failed for account acc-reader: unavailable');
    service.failNext('upstream_unavailable');
    ui.click('Recent conversations');
    await ui.waitForText('cannot be reached right now');
    expect(ui.all('SectionMessage')).toEqual([]);
    ui.click('Reload');
    await ui.waitFor(() => ui.hasButton('Delete'), 'the reloaded list');
    expect(ui.text()).not.toContain('cannot be reached');
  });
});
