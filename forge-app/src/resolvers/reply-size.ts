import type { ChatResponse, Conversation, ConversationMessage, Source } from '@kb/contracts';
import { jsonBytes, truncateToBytes } from '../payload-limits';

/**
 * What a chat reply may weigh on its way back to a panel or to Rovo. The service bounds its own answers,
 * but nothing in the contract caps them, and a reply over Forge's payload limit is lost as an opaque
 * platform error. These caps keep any reply under about 270 KB: far more than a readable answer needs.
 */
export const ANSWER_MAX_BYTES = 128_000;
export const SOURCES_MAX = 20;
const SNIPPET_MAX_BYTES = 1_000;
const TITLE_MAX_BYTES = 1_000;
const ID_MAX_BYTES = 512;
const MODEL_MAX_BYTES = 200;
/** A longer address would be unusable cut short, so it is dropped and the source shown unlinked. */
const URL_MAX_BYTES = 4_096;

/**
 * A stored conversation read back whole can hold a hundred long answers. Forge carries at most 5 MB back to
 * the panel; this keeps a conversation's reply under about 1 MB, which still holds dozens of full answers.
 */
export const CONVERSATION_MAX_BYTES = 1_000_000;

export function fitReply(reply: ChatResponse): ChatResponse {
  // Cited sources are the ones the answer points at: they stay when there are too many.
  const kept = [...reply.sources]
    .sort((a, b) => Number(b.cited) - Number(a.cited))
    .slice(0, SOURCES_MAX)
    .sort((a, b) => a.n - b.n);
  return {
    ...reply,
    answer: truncateToBytes(reply.answer, ANSWER_MAX_BYTES),
    sources: kept.map(fitSource),
    model: {
      llm: truncateToBytes(reply.model.llm, MODEL_MAX_BYTES),
      embeddings: truncateToBytes(reply.model.embeddings, MODEL_MAX_BYTES),
    },
  };
}

function fitSource(source: Source): Source {
  return {
    ...source,
    id: truncateToBytes(source.id, ID_MAX_BYTES),
    title: truncateToBytes(source.title, TITLE_MAX_BYTES),
    url: truncateToBytes(source.url, URL_MAX_BYTES) === source.url ? source.url : '',
    snippet: truncateToBytes(source.snippet, SNIPPET_MAX_BYTES),
    ...(source.spaceKey !== undefined ? { spaceKey: truncateToBytes(source.spaceKey, ID_MAX_BYTES) } : {}),
    ...(source.pageId !== undefined ? { pageId: truncateToBytes(source.pageId, ID_MAX_BYTES) } : {}),
  };
}

/**
 * A conversation as it may travel back to a panel: each message held to a chat reply's caps, and the newest
 * messages kept within CONVERSATION_MAX_BYTES (the latest are what a reader resumes from). It never starts
 * with an answer whose question was left out.
 */
export function fitConversation(conversation: Conversation): Conversation & { omittedMessages: number } {
  const kept: ConversationMessage[] = [];
  let bytes = jsonBytes({ ...conversation, messages: [] });
  for (const message of [...conversation.messages].reverse().map(fitMessage)) {
    const size = jsonBytes(message) + 1;
    if (bytes + size > CONVERSATION_MAX_BYTES) break;
    bytes += size;
    kept.push(message);
  }
  if (kept.at(-1)?.role === 'assistant' && kept.length < conversation.messages.length) kept.pop();
  return {
    ...conversation,
    title: truncateToBytes(conversation.title, TITLE_MAX_BYTES),
    messages: kept.reverse(),
    omittedMessages: conversation.messages.length - kept.length,
  };
}

function fitMessage(message: ConversationMessage): ConversationMessage {
  const sources = [...message.sources]
    .sort((a, b) => Number(b.cited) - Number(a.cited))
    .slice(0, SOURCES_MAX)
    .sort((a, b) => a.n - b.n);
  return {
    ...message,
    content: truncateToBytes(message.content, ANSWER_MAX_BYTES),
    sources: sources.map(fitSource),
  };
}
