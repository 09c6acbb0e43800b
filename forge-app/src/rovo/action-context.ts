import { z } from 'zod';
import { checkedLocation, type TrustedContext } from '../resolvers/trusted-context';

/**
 * What Forge passes a Rovo action: `payload` holds the action's inputs (written by the agent's model, so
 * checked like any user input) and `payload.context`, set by Rovo, says where the user is chatting (a Jira
 * issue, a Confluence page). The second argument is the function's own context: its `principal` is the
 * user chatting with the agent, the only account the app trusts.
 */
const Id = z.union([z.string(), z.number()]).transform(String);

const RovoContext = z.looseObject({
  jira: z.looseObject({ issueKey: z.unknown().optional() }).optional(),
  confluence: z.looseObject({ contentId: Id.optional(), spaceKey: z.string().optional() }).optional(),
});

const ActionPayload = z.looseObject({ context: RovoContext.optional() });

const InvocationContext = z.looseObject({
  principal: z.looseObject({ accountId: z.string().optional() }).optional(),
});

/** The caller and place of an action, as the resolvers take them (same checks as the panels' context). */
export function actionContext(payload: unknown, invocation: unknown): TrustedContext {
  const where = ActionPayload.safeParse(payload);
  const rovo = where.success ? (where.data.context ?? {}) : {};
  const who = InvocationContext.safeParse(invocation);
  const issueKey = rovo.jira?.issueKey;
  return {
    accountId: who.success ? who.data.principal?.accountId : undefined,
    product: rovo.jira ? 'jira' : 'confluence',
    module: 'rovo:action',
    ...checkedLocation({
      pageId: rovo.confluence?.contentId,
      spaceKey: rovo.confluence?.spaceKey,
      issueKey: typeof issueKey === 'string' ? issueKey : undefined,
    }),
  };
}

/** A string input of the action, or undefined when the agent left it out or sent something else. */
export function textInput(payload: unknown, name: string): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const value = (payload as Record<string, unknown>)[name];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}
