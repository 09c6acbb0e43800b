import { createResolverHandler } from './resolvers/handler';

/** The handler of the manifest's `resolver` function (re-exported by the root `src/index.ts`). */
export const handler = createResolverHandler();
