import { ADMIN_RESOLVERS, parseResolverInput, RESOLVERS } from '../src/resolver-contract';

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

  it('marks every resolver but the two chat ones as admin-only', () => {
    expect(Object.keys(RESOLVERS).filter((k) => !ADMIN_RESOLVERS.has(k as keyof typeof RESOLVERS))).toEqual([
      'chat',
      'draftReply',
    ]);
  });
});
