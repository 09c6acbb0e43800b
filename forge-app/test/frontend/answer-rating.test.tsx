import type { ServiceDouble } from '../fakes/service-double';
import { expectConsoleWarn } from '../helpers/console-guard';
import { buttonsLabelled, openConfluenceChat, type ForgeUi, type OpenPanel } from '../helpers/forge-ui';

const READER = 'forge::acc-reader';

/**
 * Thumbs up and down on each answer of the Confluence chat, stored by the service and shown back. Each
 * test opens its own panel on its own service and asks the questions it rates (the first is `conv-1`).
 */
describe('rating an answer', () => {
  let panel: OpenPanel;
  let ui: ForgeUi;
  let service: ServiceDouble;

  beforeEach(async () => {
    panel = await openConfluenceChat();
    ({ ui, service } = panel);
  });
  afterEach(() => panel.close());

  const ask = async (question: string): Promise<void> => {
    ui.change(ui.questionBox(), { value: question });
    ui.click('Ask');
    await ui.waitForText(`Answer to "${question}"`);
  };
  const feedbackRequests = () => service.requests.filter((r) => r.path.endsWith('/feedback'));
  /** Two answers in one conversation, the second rated 👍 and shown so. */
  const rateSecondUp = async (): Promise<void> => {
    await ask('How do I rotate the API token?');
    await ask('How often?');
    (buttonsLabelled(ui, '👍 Helpful')[1]!.props.onClick as () => void)();
    await ui.waitForText('You found this helpful.');
  };
  const answerIds = () => {
    const conversation = service.conversations.list(READER).conversations[0]!;
    return service.conversations
      .get(READER, conversation.id)
      .messages.filter((m) => m.role === 'assistant')
      .map((m) => m.id);
  };

  it('sends thumbs up for that answer and shows the stored rating', async () => {
    await ask('How do I rotate the API token?');
    await ask('How often?');
    const [first, second] = answerIds();
    expect(buttonsLabelled(ui, '👍 Helpful')).toHaveLength(2);

    (buttonsLabelled(ui, '👍 Helpful')[1]!.props.onClick as () => void)();
    await ui.waitForText('You found this helpful.');
    expect(feedbackRequests()).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: `/api/v1/messages/${second!}/feedback`,
        body: { rating: 'up' },
      }),
    ]);
    expect(buttonsLabelled(ui, '👍 Helpful').map((b) => b.props.isSelected)).toEqual([false, true]);
    expect(
      service.conversations.get(READER, 'conv-1').messages.find((m) => m.id === second)!.feedback,
    ).toMatchObject({
      rating: 'up',
    });
    expect(first).not.toBe(second);
  });

  it('asks why on thumbs down, sends the reason and comment, and shows what was stored in place of the rating before', async () => {
    await rateSecondUp();
    const [, second] = answerIds();
    (buttonsLabelled(ui, '👎 Not helpful')[1]!.props.onClick as () => void)();
    await ui.waitForText('What was wrong with this answer?');
    const reasons = ui.all('RadioGroup')[0]!;
    expect(
      (reasons.props.options as { value: string; label: string }[]).map((o) => [o.value, o.label]),
    ).toEqual([
      ['wrong', 'Wrong'],
      ['outdated', 'Outdated'],
      ['incomplete', 'Incomplete'],
      ['not_relevant', 'Not relevant'],
      ['other', 'Other'],
    ]);
    ui.change(reasons, { value: 'outdated' });
    const comment = ui.all('TextArea', (t) => t.props.placeholder === 'Anything to add? (optional)')[0]!;
    expect(comment.props.maxLength).toBe(1000);
    ui.change(comment, { value: '  Tokens moved to the admin hub.  ' });
    await ui.waitFor(() => ui.all('RadioGroup')[0]!.props.value === 'outdated', 'the chosen reason');
    ui.click('Send feedback');
    await ui.waitForText('You found this not helpful: outdated.');

    expect(feedbackRequests().at(-1)).toMatchObject({
      path: `/api/v1/messages/${second!}/feedback`,
      body: { rating: 'down', reason: 'outdated', comment: 'Tokens moved to the admin hub.' },
    });
    expect(ui.text()).not.toContain('What was wrong with this answer?');
    expect(ui.text()).not.toContain('You found this helpful.'); // replaced, not added
    expect(buttonsLabelled(ui, '👎 Not helpful')[1]!.props.isSelected).toBe(true);
    expect(buttonsLabelled(ui, '👍 Helpful')[1]!.props.isSelected).toBe(false);
    expect(
      service.conversations.get(READER, 'conv-1').messages.find((m) => m.id === second)!.feedback,
    ).toMatchObject({
      rating: 'down',
      reason: 'outdated',
      comment: 'Tokens moved to the admin hub.',
    });
  });

  it('offers no rating for an answer the service did not store (messageId null), nor the recent list', async () => {
    await ask('How do I rotate the API token?');
    await ask('How often?');
    expect(ui.hasButton('Recent conversations')).toBe(true);
    service.nextAnswers.push({ messageId: null });
    await ask('Is the wiki down?');
    expect(buttonsLabelled(ui, '👍 Helpful')).toHaveLength(2);
    expect(buttonsLabelled(ui, '👎 Not helpful')).toHaveLength(2);
    expect(ui.hasButton('Recent conversations')).toBe(false);
  });

  it('says so when the answer can no longer be rated, and when its conversation cannot be continued', async () => {
    expectConsoleWarn('rateAnswer failed for account acc-reader: not_found');
    expectConsoleWarn('chat failed for account acc-reader: not_found');
    await ask('How do I rotate the API token?');
    service.conversations.delete(READER, 'conv-1'); // removed meanwhile (another tab, retention)
    (buttonsLabelled(ui, '👍 Helpful')[0]!.props.onClick as () => void)();
    await ui.waitForText('That answer was not found: it may have been deleted');
    expect(buttonsLabelled(ui, '👍 Helpful')[0]!.props.isSelected).toBe(false);

    ui.change(ui.questionBox(), { value: 'One more?' });
    ui.click('Ask');
    await ui.waitForText('This conversation was not found: it may have been deleted');
    expect(service.requests.at(-1)!.body).toMatchObject({ conversationId: 'conv-1' });
  });
});
