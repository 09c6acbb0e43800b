import type { Caller } from '../../src/http/auth.js';
import { ownerOf } from '../../src/history/owner.js';

/** Whose conversations a call reaches: the contract's "caller". */
describe('ownerOf', () => {
  const forge = (installationId: string, accountId?: string) =>
    ownerOf({ kind: 'forge', installationId, accountId } as Caller);

  it('is a Forge installation and account: the same account on another installation is someone else', () => {
    expect(forge('inst-1', 'acc')).toEqual({ id: 'forge:inst-1:acc', kind: 'forge' });
    expect(forge('inst-1', 'acc')!.id).not.toBe(forge('inst-2', 'acc')!.id);
    expect(forge('inst-1', 'acc')!.id).not.toBe(forge('inst-1', 'other')!.id);
  });

  it('keeps a Forge account without an installation apart from every installation’s', () => {
    const bare = ownerOf({ kind: 'forge', installationId: undefined, accountId: 'acc' } as Caller);
    expect(bare).toEqual({ id: 'forge::acc', kind: 'forge' });
    expect(bare!.id).not.toBe(forge('inst-1', 'acc')!.id);
  });

  it('is nobody for a Forge call that names no account', () => {
    expect(forge('inst-1', '')).toBeUndefined();
    expect(forge('inst-1')).toBeUndefined();
  });

  it('is an API key by its digest, and the local user without credentials', () => {
    expect(ownerOf({ kind: 'api-key', keyDigest: 'abc123' } as Caller)).toEqual({
      id: 'key:abc123',
      kind: 'api-key',
    });
    expect(ownerOf(undefined)).toEqual({ id: 'local', kind: 'local' });
  });
});
