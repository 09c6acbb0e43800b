import { invoke } from '@forge/bridge';
import type { ResolverInput, ResolverKey, ResolverOutput, ResolverResult } from '../resolver-contract';

/**
 * `invoke` typed by the resolver contract: the key picks the payload and result types. The bridge itself
 * can fail (rate limit, network between browser and Atlassian); that becomes a failure value too, so the
 * panels only ever handle `ResolverResult`.
 */
export async function callResolver<K extends ResolverKey>(
  key: K,
  input: ResolverInput<K>,
): Promise<ResolverResult<ResolverOutput<K>>> {
  try {
    // Without metadata the bridge returns the resolver's value as is.
    return (await invoke(key, input)) as ResolverResult<ResolverOutput<K>>;
  } catch {
    return {
      ok: false,
      error: {
        code: 'unavailable',
        message: 'The app could not reach its backend. Check your connection and try again.',
        retryable: true,
      },
    };
  }
}
