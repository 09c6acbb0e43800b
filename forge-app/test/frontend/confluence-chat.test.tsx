import { CITED_SOURCE, type ServiceDouble } from '../fakes/service-double';
import { expectConsoleWarn } from '../helpers/console-guard';
import { openConfluenceChat, type ForgeUi, type OpenPanel } from '../helpers/forge-ui';

/**
 * The Confluence chat panel, rendered as Forge renders it, through the real resolvers to the service.
 * Each test opens its own panel on its own service: what a test sees never depends on the tests before it.
 */
describe('Confluence chat panel', () => {
  let panel: OpenPanel;
  let ui: ForgeUi;
  let service: ServiceDouble;

  beforeEach(async () => {
    panel = await openConfluenceChat();
    ({ ui, service } = panel);
  });
  afterEach(() => panel.close());

  const ask = (question: string): void => {
    ui.change(ui.questionBox(), { value: question });
    ui.click('Ask');
  };
  const askAndWait = async (question: string, answer: string): Promise<void> => {
    ask(question);
    await ui.waitForText(answer);
  };
  const chatRequests = () => service.requests.filter((r) => r.path === '/api/v1/chat');

  it('sends a question with the page and space as context and shows the cited answer with linked sources', async () => {
    expect(ui.button('Ask').props.isDisabled).toBe(true);
    // The reply waits until the loading state has been seen, however long that takes.
    const release = service.hold();
    ask('How do I rotate the API token?');
    await ui.waitFor(() => ui.button('Ask').props.isLoading === true, 'the loading state');
    expect(ui.text()).toContain('You: How do I rotate the API token?');
    release();
    await ui.waitForText('Answer to "How do I rotate the API token?" after 0 turns [1].');
    expect(ui.button('Ask').props.isLoading).toBe(false);

    const request = chatRequests()[0]!;
    expect(request.body).toMatchObject({
      message: 'How do I rotate the API token?',
      history: [],
      context: { product: 'confluence', pageId: '123', spaceKey: 'ENG', accountId: 'acc-reader' },
    });
    // Sources link to the page at the cited section (the url's anchor), titled "Page › Section".
    const links = ui.all('Link');
    expect(links.map((l) => [l.props.href, ui.text(l)])).toEqual([[CITED_SOURCE.url, CITED_SOURCE.title]]);
    // The file source has no web address: numbered, shown by title, not linked.
    expect(ui.text(ui.all('List')[0])).toBe(`[1] ${CITED_SOURCE.title}[2] User guide`);
  });

  it('sends the session history and conversation id with the next question', async () => {
    await askAndWait(
      'How do I rotate the API token?',
      'Answer to "How do I rotate the API token?" after 0 turns',
    );
    ask('And how often?');
    await ui.waitForText('Answer to "And how often?" after 2 turns');
    expect(chatRequests()[1]!.body).toMatchObject({
      message: 'And how often?',
      conversationId: 'conv-1',
      history: [
        { role: 'user', content: 'How do I rotate the API token?' },
        { role: 'assistant', content: 'Answer to "How do I rotate the API token?" after 0 turns [1].' },
      ],
    });
  });

  it('shows the error with "Try again", which repeats the same question', async () => {
    // The resolver logs the failure for Forge's log viewer.
    expectConsoleWarn('chat failed for account acc-reader: unavailable');
    service.failNext('upstream_unavailable');
    ask('Who owns billing?');
    await ui.waitForText('cannot be reached right now');
    expect(ui.all('SectionMessage')[0]!.props.appearance).toBe('error');
    ui.click('Try again');
    await ui.waitForText('Answer to "Who owns billing?" after 0 turns');
    expect(ui.text()).not.toContain('cannot be reached');
    const lastTwo = chatRequests()
      .slice(-2)
      .map((r) => r.body);
    expect(lastTwo[0]).toEqual(lastTwo[1]);
  });

  it('offers no retry for an error that would only repeat (a question the service refuses)', async () => {
    expectConsoleWarn('chat failed for account acc-reader: invalid_request');
    service.failNext('invalid_request', 'history holds at most 20 turns');
    ask('One more?');
    await ui.waitForText('history holds at most 20 turns');
    expect(ui.hasButton('Try again')).toBe(false);
  });

  it('"New conversation" forgets the conversation: the next question goes without history', async () => {
    await askAndWait('Who owns billing?', 'Answer to "Who owns billing?" after 0 turns');
    ui.click('New conversation');
    await ui.waitForText('Ask a question about this page');
    expect(ui.text()).not.toContain('Who owns billing?');
    ask('Fresh question');
    await ui.waitForText('Answer to "Fresh question" after 0 turns');
    const last = chatRequests().at(-1)!.body as Record<string, unknown>;
    expect(last.history).toEqual([]);
    expect(last).not.toHaveProperty('conversationId');
  });
});
