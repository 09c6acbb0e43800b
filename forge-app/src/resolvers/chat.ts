import { ChatResponse, type ChatContext, type ChatRequest } from '@kb/contracts';
import type { ResolverInput, ResolverResult } from '../resolver-contract';
import { TIMED_OUT, type Deadline } from './deadline';
import { badInput, notFound, timedOut } from './failures';
import { readIssueAsUser } from './jira-issue';
import { fitReply } from './reply-size';
import { callService } from './service-client';
import type { TrustedContext } from './trusted-context';

type Answer = ResolverResult<ChatResponse>;

/** A question from a panel, sent on with the context Forge vouches for (never the frontend's own claims). */
export async function askQuestion(
  input: ResolverInput<'chat'>,
  ctx: TrustedContext,
  deadline: Deadline,
): Promise<Answer> {
  const issue =
    ctx.product === 'jira' && ctx.issueKey ? await readIssueAsUser(ctx.issueKey, deadline) : undefined;
  if (issue === TIMED_OUT) return { ok: false, error: timedOut(deadline) };
  return ask({ ...input, context: chatContext(ctx, issue) }, ctx, deadline);
}

/**
 * "Draft a reply": reads the issue as the agent (summary, description, latest comments) and asks for a
 * reply grounded in the knowledge base, with sources the agent can check before sending.
 */
export async function draftReply(
  input: ResolverInput<'draftReply'>,
  ctx: TrustedContext,
  deadline: Deadline,
): Promise<Answer> {
  if (!ctx.issueKey) return { ok: false, error: badInput('Draft a reply works on a Jira issue.') };
  const issue = await readIssueAsUser(ctx.issueKey, deadline);
  if (issue === TIMED_OUT) return { ok: false, error: timedOut(deadline) };
  if (!issue) {
    return {
      ok: false,
      error: {
        code: 'not_found',
        message: `Could not read ${ctx.issueKey}: it may have been deleted, or you may not have access to it.`,
        retryable: true,
      },
    };
  }
  const steer = input.instructions ? ` Also: ${input.instructions}` : '';
  const request: ChatRequest = {
    message:
      `Draft a reply to the reporter of ${issue.key} that resolves their request, using only the knowledge ` +
      `base. Address them directly, give concrete steps, and cite sources.${steer}`,
    ...(input.conversationId ? { conversationId: input.conversationId } : {}),
    context: chatContext(ctx, issue),
  };
  return ask(request, ctx, deadline);
}

/** The service call gets what the Jira read left of the deadline; the reply is kept to a size Forge carries. */
async function ask(request: ChatRequest, ctx: TrustedContext, deadline: Deadline): Promise<Answer> {
  const result = await callService(
    { method: 'POST', path: '/api/v1/chat', body: request, accountId: ctx.accountId },
    ChatResponse,
    deadline,
  );
  if (result.ok) return { ok: true, data: fitReply(result.data) };
  // Continuing a conversation the service no longer has (deleted elsewhere, or by retention): the service's
  // own message names an id, which tells the reader nothing.
  if (result.error.code === 'not_found' && request.conversationId)
    return { ok: false, error: notFound('This conversation') };
  return result;
}

function chatContext(ctx: TrustedContext, issue: ChatContext['issue']): ChatContext {
  return {
    product: ctx.product,
    ...(ctx.accountId ? { accountId: ctx.accountId } : {}),
    ...(ctx.spaceKey ? { spaceKey: ctx.spaceKey } : {}),
    ...(ctx.pageId ? { pageId: ctx.pageId } : {}),
    ...(issue ? { issue } : ctx.issueKey ? { issue: { key: ctx.issueKey } } : {}),
  };
}
