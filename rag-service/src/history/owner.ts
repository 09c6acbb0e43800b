import type { Caller } from '../http/auth.js';
import type { Owner } from './conversation-store.js';

/**
 * Whose conversations a call reaches, as the contract names the caller: a Forge call is its installation
 * and account (the same account in another installation is another person's history); an API key, a
 * digest of the key (never the key); an unauthenticated loopback call, the one local user. A Forge call
 * without an account keeps no history: there is nobody to give it back to.
 */
export function ownerOf(caller: Caller | undefined): Owner | undefined {
  if (!caller) return { id: 'local', kind: 'local' };
  if (caller.kind === 'api-key') return { id: `key:${caller.keyDigest}`, kind: 'api-key' };
  if (!caller.accountId) return undefined;
  return { id: `forge:${caller.installationId ?? ''}:${caller.accountId}`, kind: 'forge' };
}
