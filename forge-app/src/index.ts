import { createResolverHandler } from './resolvers/handler';

/** The handler of the manifest's `resolver` function (re-exported by the root `src/index.ts`). */
export const handler = createResolverHandler();

/** The Rovo agent's actions: the manifest's `rovo-ask` and `rovo-draft-reply` functions. */
export { askKnowledgeBase, draftIssueReply } from './rovo/actions';
