import {
  ChatRequest,
  ChatResponse,
  ERROR_STATUS,
  ErrorBody,
  HISTORY_MAX_TURNS,
  Job,
  MESSAGE_MAX_CHARS,
  ReindexRequest,
} from '../src/index.js';

describe('ChatRequest', () => {
  it('accepts the contract example and trims the message', () => {
    const parsed = ChatRequest.parse({
      message: '  How do I rotate the API token?  ',
      history: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
      conversationId: 'c-1',
      filters: { spaceKeys: ['ENG'] },
      context: {
        product: 'jira',
        spaceKey: 'ENG',
        pageId: '123',
        issue: { key: 'SUP-7', summary: 's', description: 'd' },
      },
    });
    expect(parsed.message).toBe('How do I rotate the API token?');
    expect(parsed.context?.issue?.key).toBe('SUP-7');
  });

  it.each([
    ['an empty message', { message: '   ' }],
    ['a message one character too long', { message: 'x'.repeat(MESSAGE_MAX_CHARS + 1) }],
    ['a number as message', { message: 42 }],
    [
      'too much history',
      {
        message: 'q',
        history: Array.from({ length: HISTORY_MAX_TURNS + 1 }, () => ({ role: 'user', content: 'x' })),
      },
    ],
    ['an unknown role', { message: 'q', history: [{ role: 'system', content: 'x' }] }],
    ['an unknown product', { message: 'q', context: { product: 'trello' } }],
    ['a non-numeric page id', { message: 'q', context: { pageId: 'abc' } }],
    ['an unknown top-level field', { message: 'q', sauce: 1 }],
    ['a misspelt filter', { message: 'q', filters: { spaceKey: 'ENG' } }],
    ['an unknown field in a turn', { message: 'q', history: [{ role: 'user', content: 'x', name: 'n' }] }],
    ['an unknown field in the context', { message: 'q', context: { space: 'ENG' } }],
    ['an unknown field in the issue', { message: 'q', context: { issue: { key: 'SUP-7', priority: 'P1' } } }],
  ])('rejects %s', (_what, body) => {
    expect(ChatRequest.safeParse(body).success).toBe(false);
  });

  it('accepts exactly the maximum length', () => {
    expect(ChatRequest.safeParse({ message: 'x'.repeat(MESSAGE_MAX_CHARS) }).success).toBe(true);
  });
});

describe('responses', () => {
  it('parses the contract chat response example', () => {
    const example = {
      answer: 'Rotate it under Settings › Tokens [1].',
      sources: [
        {
          n: 1,
          id: 'confluence:page:123#4',
          title: 'API tokens',
          url: 'https://x.atlassian.net/wiki/pages/123#Rotate',
          snippet: '…',
          score: 0.83,
          spaceKey: 'ENG',
          pageId: '123',
          cited: true,
        },
      ],
      conversationId: 'c',
      model: { llm: 'openai:gpt-4o-mini', embeddings: 'openai:text-embedding-3-small' },
    };
    expect(ChatResponse.parse(example)).toEqual(example);
  });

  it('parses the contract job example', () => {
    const job = {
      id: 'j',
      source: 'confluence',
      state: 'running',
      full: false,
      spaceKeys: ['ENG'],
      progress: {
        discovered: 120,
        processed: 80,
        indexed: 12,
        unchanged: 66,
        deleted: 2,
        failed: 0,
        chunks: 340,
      },
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: null,
      error: null,
    };
    expect(Job.parse(job)).toEqual(job);
  });

  it('refuses unknown reindex fields instead of ignoring a typo', () => {
    expect(ReindexRequest.safeParse({ source: 'files', ful: true }).success).toBe(false);
    expect(ReindexRequest.parse({})).toEqual({});
  });

  it('maps every error code to the status the contract names', () => {
    expect(ERROR_STATUS).toEqual({
      invalid_request: 400,
      unauthorized: 401,
      forbidden: 403,
      not_found: 404,
      conflict: 409,
      payload_too_large: 413,
      rate_limited: 429,
      upstream_unavailable: 503,
      internal: 500,
    });
    expect(ErrorBody.safeParse({ error: { code: 'teapot', message: 'x' } }).success).toBe(false);
  });
});
