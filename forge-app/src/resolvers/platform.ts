import { asUser, invokeRemote, type APIResponse, type RequestInit, type Route } from '@forge/api';

/**
 * Everything the resolvers ask of the Forge platform, in one file: the rest of the app imports these
 * functions, never `@forge/api`, so a platform change touches one place.
 */

/** The `remotes` key of rag-service in manifest.yml. */
export const SERVICE_REMOTE = 'rag-service';

export type PlatformResponse = Pick<APIResponse, 'ok' | 'status' | 'text'>;

/**
 * Calls rag-service through Forge Remote. Forge adds `Authorization: Bearer <Forge Invocation Token>` and,
 * because the remote enables it, the user's token in `x-forge-oauth-user`.
 */
export function callServiceRemote(path: string, init: RequestInit): Promise<PlatformResponse> {
  return invokeRemote(SERVICE_REMOTE, { ...init, path });
}

/** A Jira REST call as the user who opened the panel: Jira applies that user's permissions. */
export function requestJiraAsUser(path: Route, init?: RequestInit): Promise<PlatformResponse> {
  return asUser().requestJira(path, init);
}

/** A Confluence REST call as the user who opened the page. */
export function requestConfluenceAsUser(path: Route, init?: RequestInit): Promise<PlatformResponse> {
  return asUser().requestConfluence(path, init);
}
