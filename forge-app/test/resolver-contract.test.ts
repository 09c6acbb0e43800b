import { ADMIN_RESOLVERS, HISTORY_RESOLVERS, parseResolverInput, RESOLVERS } from '../src/resolver-contract';

describe('resolver contract', () => {
  it('validates chat payloads with the service contract, and drops client-sent context', () => {
    const parsed = parseResolverInput('chat', { message: '  hi  ', context: { pageId: '1' } });
    expect(parsed).toEqual({ message: 'hi' });
    expect(() => parseResolverInput('chat', { message: '' })).toThrow();
  });

  it('needs a job id for job resolvers and nothing for status', () => {
    expect(parseResolverInput('getJob', { jobId: 'j1' })).toEqual({ jobId: 'j1' });
    expect(() => parseResolverInput('cancelJob', {})).toThrow();
    expect(parseResolverInput('indexStatus', undefined)).toEqual({});
  });

  it('marks every resolver but the chat and conversation-history ones as admin-only', () => {
    expect(Object.keys(RESOLVERS).filter((k) => !ADMIN_RESOLVERS.has(k as keyof typeof RESOLVERS))).toEqual([
      'chat',
      'draftReply',
      'listConversations',
      'getConversation',
      'deleteConversation',
      'rateAnswer',
    ]);
    expect([...HISTORY_RESOLVERS].filter((k) => ADMIN_RESOLVERS.has(k))).toEqual([]);
  });

  it('takes conversation and message ids only as the service gives them (they become a path segment)', () => {
    expect(parseResolverInput('getConversation', { id: '0b6c1f0e-3a9d-4c1e-9f55-2d3f4a5b6c7d' })).toEqual({
      id: '0b6c1f0e-3a9d-4c1e-9f55-2d3f4a5b6c7d',
    });
    for (const id of ['', '../admin/index', 'a/b', 'x'.repeat(129), 7])
      expect(() => parseResolverInput('deleteConversation', { id })).toThrow();
    expect(() => parseResolverInput('rateAnswer', { messageId: '..', rating: 'up' })).toThrow();
  });
});
