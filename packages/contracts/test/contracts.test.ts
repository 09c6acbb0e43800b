import {
  ChatRequest,
  ChatResponse,
  Conversation,
  ConversationList,
  ERROR_STATUS,
  ErrorBody,
  FeedbackRequest,
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
      messageId: 'm',
      model: { llm: 'openai:gpt-4o-mini', embeddings: 'openai:text-embedding-3-small' },
    };
    expect(ChatResponse.parse(example)).toEqual(example);
    // Without history the answer is not stored: nothing to rate, but the field is there.
    expect(ChatResponse.parse({ ...example, messageId: null }).messageId).toBeNull();
    const { messageId: _omitted, ...withoutField } = example;
    expect(ChatResponse.safeParse(withoutField).success).toBe(false);
  });

  it('parses the contract conversation list, conversation and feedback examples', () => {
    const list = {
      conversations: [
        {
          id: 'c',
          title: 'How do I rotate the API token?',
          product: 'confluence',
          createdAt: '2026-12-06T10:00:00.000Z',
          updatedAt: '2026-12-06T10:05:00.000Z',
          messageCount: 4,
        },
      ],
      nextCursor: null,
    };
    expect(ConversationList.parse(list)).toEqual(list);
    const feedback = {
      rating: 'down',
      reason: 'outdated',
      comment: 'moved',
      updatedAt: '2026-12-06T10:06:00.000Z',
    };
    const conversation = {
      id: 'c',
      title: 'How do I rotate the API token?',
      product: null,
      createdAt: '2026-12-06T10:00:00.000Z',
      updatedAt: '2026-12-06T10:05:00.000Z',
      messages: [
        {
          id: 'q',
          role: 'user',
          content: 'How do I rotate the API token?',
          sources: [],
          createdAt: '2026-12-06T10:00:00.000Z',
          feedback: null,
        },
        {
          id: 'a',
          role: 'assistant',
          content: 'Under Settings.',
          sources: [],
          createdAt: '2026-12-06T10:00:01.000Z',
          feedback,
        },
      ],
    };
    expect(Conversation.parse(conversation)).toEqual(conversation);
    expect(FeedbackRequest.parse({ rating: 'up' })).toEqual({ rating: 'up' });
    expect(FeedbackRequest.safeParse({ rating: 'down', comment: 'x'.repeat(1001) }).success).toBe(false);
    expect(FeedbackRequest.safeParse({ rating: 'down', reason: 'boring' }).success).toBe(false);
    expect(FeedbackRequest.safeParse({ rating: 'up', extra: 1 }).success).toBe(false);
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
