import { adfToText } from '../../src/resolvers/adf-text';
import { trustedContext } from '../../src/resolvers/trusted-context';

describe('trusted context', () => {
  it('reads a Confluence page, a space page and a Jira issue', () => {
    expect(
      trustedContext({
        accountId: 'a1',
        extension: { type: 'confluence:contentBylineItem', content: { id: 123 }, space: { key: 'ENG' } },
      }),
    ).toEqual({
      accountId: 'a1',
      product: 'confluence',
      module: 'confluence:contentBylineItem',
      pageId: '123',
      spaceKey: 'ENG',
      issueKey: undefined,
    });
    expect(
      trustedContext({ extension: { type: 'confluence:spacePage', space: { key: 'OPS' } } }),
    ).toMatchObject({ spaceKey: 'OPS', pageId: undefined });
    expect(trustedContext({ extension: { type: 'jira:issuePanel', issue: { key: 'SUP-7' } } })).toMatchObject(
      { product: 'jira', issueKey: 'SUP-7' },
    );
  });

  it('drops values the service would refuse instead of failing the question', () => {
    const ctx = trustedContext({
      extension: {
        type: 'confluence:contentBylineItem',
        content: { id: 'abc' },
        space: { key: 'has space' },
        issue: { key: 'nope' },
      },
    });
    expect(ctx).toMatchObject({ pageId: undefined, spaceKey: undefined, issueKey: undefined });
    expect(trustedContext(null)).toEqual({
      accountId: undefined,
      product: 'confluence',
      module: '',
      pageId: undefined,
      spaceKey: undefined,
      issueKey: undefined,
    });
  });

  it.each([
    ['a page id with letters before it', { content: { id: 'x123' } }, 'pageId'],
    ['a page id with letters after it', { content: { id: '123x' } }, 'pageId'],
    ['an issue key with text before it', { issue: { key: 'x SUP-7' } }, 'issueKey'],
    ['an issue key with text after it', { issue: { key: 'SUP-7 x' } }, 'issueKey'],
  ])('keeps only whole values: drops %s', (_, extension, field) => {
    const ctx = trustedContext({ extension: { type: 'jira:issuePanel', ...extension } });
    expect(ctx[field as 'pageId' | 'issueKey']).toBeUndefined();
  });
});

describe('ADF to text', () => {
  it('keeps words, lines, list items, mentions and links', () => {
    const doc = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Steps' }] },
        {
          type: 'bulletList',
          content: [
            {
              type: 'listItem',
              content: [
                {
                  type: 'paragraph',
                  content: [{ type: 'text', text: 'Open settings', marks: [{ type: 'strong' }] }],
                },
              ],
            },
            {
              type: 'listItem',
              content: [{ type: 'paragraph', content: [{ type: 'text', text: 'Rotate' }] }],
            },
          ],
        },
        {
          type: 'paragraph',
          content: [
            { type: 'mention', attrs: { id: 'x', text: '@Ana' } },
            { type: 'text', text: ' see ' },
            { type: 'inlineCard', attrs: { url: 'https://x.atlassian.net/browse/SUP-1' } },
            { type: 'hardBreak' },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
    };
    expect(adfToText(doc)).toBe(
      'Steps\n- Open settings\n- Rotate\n@Ana see https://x.atlassian.net/browse/SUP-1\nthanks',
    );
  });

  it('passes plain strings through and ignores junk', () => {
    expect(adfToText('plain')).toBe('plain');
    expect(adfToText(null)).toBe('');
    expect(adfToText({ type: 'doc', content: [{ type: 'paragraph', content: 'not an array' }] })).toBe('');
  });
});
