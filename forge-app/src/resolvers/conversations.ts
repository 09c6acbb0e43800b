import { Conversation, ConversationList, CONVERSATIONS_PAGE_DEFAULT, Feedback } from '@kb/contracts';
import { z } from 'zod';
import type { ResolverInput, ResolverKey, ResolverOutput, ResolverResult } from '../resolver-contract';
import type { Deadline } from './deadline';
import { noHistory, notFound } from './failures';
import { fitConversation } from './reply-size';
import { callService } from './service-client';
import type { TrustedContext } from './trusted-context';

type HistoryCall<K extends ResolverKey> = (
  input: ResolverInput<K>,
  ctx: TrustedContext,
  deadline: Deadline,
) => Promise<ResolverResult<ResolverOutput<K>>>;

/**
 * The panels' conversation history: thin passes to the service's conversation routes. The service tells
 * callers apart by the Forge Invocation Token (installation and account) that Forge adds to the remote
 * call, so nothing here names whose conversations they are: a caller only ever reaches their own.
 */

export const listConversations: HistoryCall<'listConversations'> = async (input, ctx, deadline) => {
  const query = new URLSearchParams({ limit: String(input.limit ?? CONVERSATIONS_PAGE_DEFAULT) });
  if (input.cursor) query.set('cursor', input.cursor);
  const result = await callService(
    { method: 'GET', path: `/api/v1/conversations?${query.toString()}`, accountId: ctx.accountId },
    ConversationList,
    deadline,
  );
  // No such list for this caller means a service that keeps no history (HISTORY=off, or a version from
  // before conversations): the panel hides its list instead of showing an error it cannot act on.
  if (!result.ok && result.error.code === 'not_found') return { ok: false, error: noHistory() };
  return result;
};

export const getConversation: HistoryCall<'getConversation'> = async (input, ctx, deadline) => {
  const result = await callService(
    { method: 'GET', path: conversationPath(input.id), accountId: ctx.accountId },
    Conversation,
    deadline,
  );
  if (result.ok) return { ok: true, data: fitConversation(result.data) };
  return result.error.code === 'not_found' ? { ok: false, error: notFound('That conversation') } : result;
};

export const deleteConversation: HistoryCall<'deleteConversation'> = async (input, ctx, deadline) => {
  const result = await callService(
    { method: 'DELETE', path: conversationPath(input.id), accountId: ctx.accountId },
    z.undefined(),
    deadline,
  );
  // Already gone (deleted in another tab, or by retention) is what the reader asked for.
  if (result.ok || result.error.code === 'not_found') return { ok: true, data: null };
  return result;
};

export const rateAnswer: HistoryCall<'rateAnswer'> = async (input, ctx, deadline) => {
  const { messageId, ...feedback } = input;
  const result = await callService(
    {
      method: 'POST',
      path: `/api/v1/messages/${encodeURIComponent(messageId)}/feedback`,
      body: feedback,
      accountId: ctx.accountId,
    },
    Feedback,
    deadline,
  );
  return !result.ok && result.error.code === 'not_found'
    ? { ok: false, error: notFound('That answer') }
    : result;
};

function conversationPath(id: string): string {
  return `/api/v1/conversations/${encodeURIComponent(id)}`;
}
