import { SpaceKey } from '@kb/contracts';
import { z } from 'zod';

/**
 * What the Forge platform says about an invocation: who is calling, from which module, on which page,
 * space or issue. It is set by Forge, not by the frontend, so it is the only context the app trusts.
 */
export interface TrustedContext {
  accountId: string | undefined;
  product: 'confluence' | 'jira';
  /** The module's type, e.g. `confluence:contentBylineItem` or `jira:issuePanel`. */
  module: string;
  spaceKey: string | undefined;
  pageId: string | undefined;
  issueKey: string | undefined;
}

const Id = z.union([z.string(), z.number()]).transform(String);

const ForgeContext = z.looseObject({
  accountId: z.string().optional(),
  extension: z
    .looseObject({
      type: z.string().optional(),
      content: z.looseObject({ id: Id.optional() }).optional(),
      space: z.looseObject({ key: z.string().optional() }).optional(),
      issue: z.looseObject({ key: z.string().optional() }).optional(),
    })
    .optional(),
});

const PAGE_ID = /^\d{1,20}$/;
const ISSUE_KEY = /^[A-Z][A-Z0-9_]{0,99}-\d{1,18}$/;

/** Reads the resolver's `context`, keeping only values of the shapes the service accepts. */
export function trustedContext(context: unknown): TrustedContext {
  const parsed = ForgeContext.safeParse(context);
  const ctx = parsed.success ? parsed.data : {};
  const extension = ctx.extension ?? {};
  const module = extension.type ?? '';
  return {
    accountId: ctx.accountId,
    product: module.startsWith('jira:') ? 'jira' : 'confluence',
    module,
    ...checkedLocation({
      pageId: extension.content?.id,
      spaceKey: extension.space?.key,
      issueKey: extension.issue?.key,
    }),
  };
}

/**
 * Page, space and issue as the service accepts them, or undefined: an odd value is dropped rather than
 * failing the question. Shared by every way in (panels, Rovo actions), so all follow the same rules.
 */
export function checkedLocation(raw: {
  pageId?: string | undefined;
  spaceKey?: string | undefined;
  issueKey?: string | undefined;
}): Pick<TrustedContext, 'pageId' | 'spaceKey' | 'issueKey'> {
  const { pageId, spaceKey, issueKey } = raw;
  return {
    pageId: pageId !== undefined && PAGE_ID.test(pageId) ? pageId : undefined,
    // Stryker disable next-line ConditionalExpression: SpaceKey refuses undefined as well (equivalent).
    spaceKey: spaceKey !== undefined && SpaceKey.safeParse(spaceKey).success ? spaceKey : undefined,
    issueKey: issueKey !== undefined && isIssueKey(issueKey) ? issueKey : undefined,
  };
}

export function isIssueKey(value: string): boolean {
  return ISSUE_KEY.test(value);
}
