import { ChatRequest, HISTORY_MAX_TURNS, MESSAGE_MAX_CHARS } from '@kb/contracts';
import { historyOf } from '../../src/frontend/chat-history';
import type { Exchange } from '../../src/frontend/use-chat';
import {
  HISTORY_MAX_BYTES,
  INVOKE_PAYLOAD_MAX_BYTES,
  jsonBytes,
  TURN_MAX_BYTES,
} from '../../src/payload-limits';
import { openConfluenceChat, type OpenPanel } from '../helpers/forge-ui';

/** What the history is made of: the rest of an exchange (its rating) never goes with a question. */
type Asked = Pick<Exchange, 'question' | 'answer' | 'sources'>;

/** An exchange as long as the contract lets it be, in a 3-byte script: the heaviest history there is. */
const heavy = (i: number): Asked => ({
  question: `${String(i)}:${'€'.repeat(MESSAGE_MAX_CHARS - 4)}`,
  answer: `${String(i)}:${'€'.repeat(MESSAGE_MAX_CHARS * 4 - 4)}`,
  sources: [],
});
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('the history a panel sends', () => {
  it('stays well under Forge’s 500 KB invoke limit however long and heavy the conversation', () => {
    const exchanges = Array.from({ length: 40 }, (_, i) => heavy(i));
    const history = historyOf(exchanges);
    const payload = { message: heavy(99).question, history, conversationId: 'c'.repeat(128) };

    expect(jsonBytes(history)).toBeLessThanOrEqual(HISTORY_MAX_BYTES);
    expect(jsonBytes(payload)).toBeLessThan(INVOKE_PAYLOAD_MAX_BYTES / 2);
    expect(history.length).toBeLessThanOrEqual(HISTORY_MAX_TURNS);
    for (const turn of history) expect(jsonBytes(turn.content)).toBeLessThanOrEqual(TURN_MAX_BYTES);
    // The newest turns stay, oldest first, a question leading; long turns keep their start.
    expect(history.at(-1)!.content.startsWith('39:€€€')).toBe(true);
    expect(history.at(-1)!.content.endsWith('…')).toBe(true);
    expect(history[0]!.role).toBe('user');
    // And the service's contract accepts it (≤ 20 turns, ≤ 16,000 characters each).
    expect(() => ChatRequest.parse(payload)).not.toThrow();
  });

  it('sends a short conversation unchanged, and never cuts a character in two', () => {
    const short: Asked[] = [
      { question: 'Where is the runbook?', answer: 'In OPS [1].', sources: [] },
      { question: 'And the on-call rota?', answer: 'In PagerDuty.', sources: [] },
    ];
    expect(historyOf(short)).toEqual([
      { role: 'user', content: 'Where is the runbook?' },
      { role: 'assistant', content: 'In OPS [1].' },
      { role: 'user', content: 'And the on-call rota?' },
      { role: 'assistant', content: 'In PagerDuty.' },
    ]);
    const emoji = historyOf([{ question: 'Faces?', answer: '😀'.repeat(20_000) }]);
    expect(emoji[1]!.content.length).toBeLessThan(20_000 * 2);
    expect(LONE_SURROGATE.test(emoji[1]!.content)).toBe(false);
  });
});

/** The same, through the rendered panel: every `invoke` it makes stays small as the answers pile up. */
describe('Confluence chat panel with long answers', () => {
  let panel: OpenPanel;
  afterEach(() => panel.close());

  it('keeps each question’s payload under the limit, conversation after conversation', async () => {
    panel = await openConfluenceChat();
    const { ui, service } = panel;
    for (let i = 1; i <= 14; i++) {
      service.nextAnswers.push({ answer: `Reply ${String(i)} ${'€'.repeat(MESSAGE_MAX_CHARS * 4 - 20)}` });
      ui.change(ui.questionBox(), { value: `Question ${String(i)} ${'ü'.repeat(MESSAGE_MAX_CHARS - 20)}` });
      ui.click('Ask');
      await ui.waitForText(`Reply ${String(i)} `);
    }
    const sent = ui.invocations.filter((call) => call.functionKey === 'chat');
    expect(sent).toHaveLength(14);
    for (const call of sent) expect(jsonBytes(call.payload)).toBeLessThan(HISTORY_MAX_BYTES + 16_000);
    const last = sent.at(-1)!.payload as { history: { content: string }[] };
    expect(last.history.length).toBeGreaterThan(0);
    expect(last.history.at(-1)!.content.startsWith('Reply 13 ')).toBe(true);
    // Every question got its answer: nothing was refused for its size on the way.
    expect(ui.text()).not.toContain('That did not work');
  });
});
