import type { ChatResponse } from '@kb/contracts';
import type { ResolverResult } from '../resolver-contract';
import { runTrusted } from '../resolvers/handler';
import { isIssueKey } from '../resolvers/trusted-context';
import { actionContext, textInput } from './action-context';
import { linkedAnswer } from './linked-answer';

/**
 * The Rovo agent's actions. Each runs the panels' own resolver (runTrusted → askQuestion / draftReply):
 * the same service route, the same deadline, the same checks, the same account from Forge's context.
 * Actions return text for the agent to use; a failure is text too, said plainly, so the agent can tell
 * the user what happened instead of guessing an answer.
 */

/** `ask-knowledge-base` (input `question`): the answer with its citations as Markdown links. */
export async function askKnowledgeBase(payload: unknown, invocation: unknown): Promise<string> {
  const question = textInput(payload, 'question');
  if (!question) return 'No question was given: pass the user’s question in the `question` input.';
  const result = await runTrusted('chat', { message: question }, actionContext(payload, invocation));
  return reply(result, 'answer that from the knowledge base');
}

/** `draft-issue-reply` (inputs `issueKey`, optional `instructions`): a reply drafted as the panel does. */
export async function draftIssueReply(payload: unknown, invocation: unknown): Promise<string> {
  const ctx = actionContext(payload, invocation);
  // The agent names the issue; the one the user is viewing is the fallback. Jira keys are upper case.
  const issueKey = textInput(payload, 'issueKey')?.toUpperCase() ?? ctx.issueKey;
  if (!issueKey) return 'No issue was given: pass the Jira issue key (like SUP-7) in the `issueKey` input.';
  if (!isIssueKey(issueKey))
    return `"${issueKey.slice(0, 40)}" is not a Jira issue key: pass one like SUP-7 in the \`issueKey\` input.`;
  const instructions = textInput(payload, 'instructions');
  // The issue is read as the user chatting (asUser), so Jira's own permissions decide what can be drafted.
  const result = await runTrusted('draftReply', instructions ? { instructions } : {}, {
    ...ctx,
    product: 'jira',
    issueKey,
  });
  return result.ok
    ? `Drafted reply for ${issueKey}:\n\n${linkedAnswer(result.data)}`
    : reply(result, `draft a reply for ${issueKey}`);
}

function reply(result: ResolverResult<ChatResponse>, what: string): string {
  return result.ok ? linkedAnswer(result.data) : `Could not ${what}: ${result.error.message}`;
}
