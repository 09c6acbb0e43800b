import type { JiraIssueContext } from '@kb/contracts';
import { route } from '@forge/api';
import { z } from 'zod';
import { adfToText } from './adf-text';
import { TIMED_OUT, type Deadline, type TimedOut } from './deadline';
import { safeJson } from './failures';
import { requestJiraAsUser } from './platform';

/** How many of the latest comments go with the issue: enough for the thread's state, not its history. */
export const LATEST_COMMENTS = 5;
/** The contract's cap on an issue description; comments share it. */
const DESCRIPTION_MAX = 32_000;
const SUMMARY_MAX = 1_000;

const Issue = z.looseObject({
  key: z.string(),
  fields: z.looseObject({ summary: z.string().nullish(), description: z.unknown() }),
});
const Comments = z.looseObject({
  comments: z.array(
    z.looseObject({
      body: z.unknown(),
      created: z.string().optional(),
      author: z.looseObject({ displayName: z.string().optional() }).optional(),
    }),
  ),
});

/**
 * Reads an issue as the user who opened the panel (Jira applies that user's permissions): summary,
 * description and the latest comments, as plain text. `undefined` when the user cannot read it; TIMED_OUT
 * when Jira is still answering at the call's deadline.
 */
export async function readIssueAsUser(
  issueKey: string,
  deadline: Deadline,
): Promise<JiraIssueContext | undefined | TimedOut> {
  const init = { headers: { accept: 'application/json' }, signal: deadline.signal };
  const replies = await deadline.race(
    Promise.all([
      requestJiraAsUser(route`/rest/api/3/issue/${issueKey}?fields=summary,description`, init),
      requestJiraAsUser(
        route`/rest/api/3/issue/${issueKey}/comment?orderBy=-created&maxResults=${String(LATEST_COMMENTS)}`,
        init,
      ),
    ]),
  );
  if (replies === TIMED_OUT) return TIMED_OUT;
  const [issueReply, commentsReply] = replies;
  if (!issueReply.ok) return undefined;
  const texts = await deadline.race(
    Promise.all([issueReply.text(), commentsReply.ok ? commentsReply.text() : Promise.resolve('')]),
  );
  if (texts === TIMED_OUT) return TIMED_OUT;
  const issue = Issue.safeParse(safeJson(texts[0]));
  if (!issue.success) return undefined;
  const comments = commentsReply.ok ? Comments.safeParse(safeJson(texts[1])) : undefined;
  const thread = comments?.success ? latestFirstToChronological(comments.data.comments) : [];
  const description = [
    adfToText(issue.data.fields.description),
    thread.length ? `Latest comments:\n${thread.join('\n')}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  return {
    key: issue.data.key,
    summary: (issue.data.fields.summary ?? '').slice(0, SUMMARY_MAX),
    description: description.slice(0, DESCRIPTION_MAX),
  };
}

function latestFirstToChronological(comments: z.infer<typeof Comments>['comments']): string[] {
  return comments
    .slice(0, LATEST_COMMENTS)
    .reverse()
    .map((c) => `${c.author?.displayName ?? 'Someone'}: ${adfToText(c.body)}`);
}
