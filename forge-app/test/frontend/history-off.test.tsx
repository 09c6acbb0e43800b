import { expectConsoleWarn } from '../helpers/console-guard';
import { buttonsLabelled, openConfluenceChat, type ForgeUi, type OpenPanel } from '../helpers/forge-ui';

/**
 * A service with HISTORY=off: answers carry `messageId: null` and there are no conversations to list.
 * Each test opens its own panel (an answer without a messageId hides the list, so order would matter).
 */
describe('the chat panel with a service that keeps no history', () => {
  let panel: OpenPanel;
  let ui: ForgeUi;

  beforeEach(async () => {
    panel = await openConfluenceChat((service) => {
      service.history = 'off';
    });
    ({ ui } = panel);
  });
  afterEach(() => panel.close());

  it('hides the recent list without an error when the service has none', async () => {
    expectConsoleWarn('listConversations failed for account acc-reader: no_history');
    ui.click('Recent conversations');
    await ui.waitFor(() => !ui.hasButton('Recent conversations'), 'the list to go away');
    expect(ui.all('SectionMessage')).toEqual([]);
    expect(ui.text()).toContain('Ask a question about this page');
  });

  it('offers no rating on an answer without a messageId', async () => {
    ui.change(ui.questionBox(), { value: 'Where is the runbook?' });
    ui.click('Ask');
    await ui.waitForText('Answer to "Where is the runbook?"');
    expect(panel.service.requests.filter((r) => r.path.endsWith('/feedback'))).toEqual([]);
    expect(buttonsLabelled(ui, '👍 Helpful')).toEqual([]);
    expect(buttonsLabelled(ui, '👎 Not helpful')).toEqual([]);
  });
});
