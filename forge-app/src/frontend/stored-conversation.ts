import type { ConversationMessage } from '@kb/contracts';
import type { Exchange } from './use-chat';

/**
 * A stored conversation's messages as the panel's exchanges: each question with the answer after it. The
 * service stores a question and its answer together, so a question without one (a conversation cut short
 * by the payload budget, or an older service) is shown with an empty answer rather than dropped.
 */
export function exchangesOf(messages: readonly ConversationMessage[]): Exchange[] {
  const exchanges: Exchange[] = [];
  for (const message of messages) {
    if (message.role === 'user') {
      exchanges.push({ question: message.content, answer: '', sources: [], messageId: null, feedback: null });
      continue;
    }
    const open = exchanges.at(-1);
    // An answer whose question was left out has nothing to pair with: the panel shows questions first.
    if (!open || open.messageId !== null || open.answer) continue;
    Object.assign(open, {
      answer: message.content,
      sources: message.sources,
      messageId: message.id,
      feedback: message.feedback,
    });
  }
  return exchanges;
}
