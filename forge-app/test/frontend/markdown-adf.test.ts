import { MARKDOWN_MAX_CHARS, markdownToAdf } from '../../src/frontend/markdown-adf';
import { adfText } from '../helpers/forge-ui';

const SOURCES = [
  { n: 1, url: 'https://example.atlassian.net/wiki/spaces/ENG/pages/123#Rotate' },
  { n: 2, url: 'guide.md#tokens' },
];
const convert = (markdown: string) => markdownToAdf(markdown, SOURCES).content;
const text = (value: string, ...marks: unknown[]) =>
  marks.length ? { type: 'text', text: value, marks } : { type: 'text', text: value };
const para = (...content: unknown[]) => ({ type: 'paragraph', content });
const link = (href: string) => ({ type: 'link', attrs: { href } });

describe('Markdown → ADF', () => {
  it('makes paragraphs, keeps a single line break, and marks bold, italic, strike and code', () => {
    expect(convert('**Rotate** the *token* with `kb rotate`.\nThen ~~wait~~ restart.\n\nDone.')).toEqual([
      para(
        text('Rotate', { type: 'strong' }),
        text(' the '),
        text('token', { type: 'em' }),
        text(' with '),
        text('kb rotate', { type: 'code' }),
        text('.'),
        { type: 'hardBreak' },
        text('Then '),
        text('wait', { type: 'strike' }),
        text(' restart.'),
      ),
      para(text('Done.')),
    ]);
  });

  it('keeps only a link beside code, as ADF allows: bold or italic around a code span is dropped for it', () => {
    expect(convert('**run `kb rotate` now** [`kb`](https://kb.example.com)')).toEqual([
      para(
        text('run ', { type: 'strong' }),
        text('kb rotate', { type: 'code' }),
        text(' now', { type: 'strong' }),
        text(' '),
        text('kb', link('https://kb.example.com/'), { type: 'code' }),
      ),
    ]);
  });

  it('nests marks, and leaves snake_case, lone stars and escaped characters as written', () => {
    expect(convert('**bold _and italic_** snake_case_name 2 * 3 \\*not em\\*')).toEqual([
      para(
        text('bold ', { type: 'strong' }),
        text('and italic', { type: 'strong' }, { type: 'em' }),
        text(' snake_case_name 2 * 3 *not em*'),
      ),
    ]);
  });

  it('turns bullet and numbered lists, nested, into ADF lists whose items start with a paragraph', () => {
    expect(
      convert('Steps:\n1. Open **Settings**\n2. Rotate\n   - keep the old one\n   - test\n3. Done'),
    ).toEqual([
      para(text('Steps:')),
      {
        type: 'orderedList',
        attrs: { order: 1 },
        content: [
          { type: 'listItem', content: [para(text('Open '), text('Settings', { type: 'strong' }))] },
          {
            type: 'listItem',
            content: [
              para(text('Rotate')),
              {
                type: 'bulletList',
                content: [
                  { type: 'listItem', content: [para(text('keep the old one'))] },
                  { type: 'listItem', content: [para(text('test'))] },
                ],
              },
            ],
          },
          { type: 'listItem', content: [para(text('Done'))] },
        ],
      },
    ]);
  });

  it('makes fenced code a codeBlock with its language, also inside a list item, untouched by inline syntax', () => {
    const doc = convert(
      'Run:\n\n```bash\nkb rotate --force **now**\n[1] stays\n```\n\n- then:\n  ```\n  kb status\n  ```',
    );
    expect(doc[1]).toEqual({
      type: 'codeBlock',
      attrs: { language: 'bash' },
      content: [text('kb rotate --force **now**\n[1] stays')],
    });
    expect(doc[2]).toEqual({
      type: 'bulletList',
      content: [
        {
          type: 'listItem',
          content: [para(text('then:')), { type: 'codeBlock', content: [text('kb status')] }],
        },
      ],
    });
  });

  it('links http(s) links and citations; [n] goes to source n’s page and section', () => {
    expect(
      convert('See [the guide](https://docs.example.com/a_(b)) and https://kb.example.com/x. [1] [2] [7]'),
    ).toEqual([
      para(
        text('See '),
        text('the guide', link('https://docs.example.com/a_(b)')),
        text(' and '),
        text('https://kb.example.com/x', link('https://kb.example.com/x')),
        text('. '),
        text('[1]', link('https://example.atlassian.net/wiki/spaces/ENG/pages/123#Rotate')),
        // Source 2 is a local file and 7 does not exist: plain markers, never a link to nowhere.
        text(' [2] [7]'),
      ),
    ]);
  });

  it('is safe: no HTML passthrough, and links to anything but http(s) keep their words only', () => {
    const doc = markdownToAdf(
      '<script>alert(1)</script> [click](javascript:alert(1)) [mail](mailto:a@b.c) <img src=x onerror=alert(1)>',
      [{ n: 1, url: 'javascript:alert(1)' }],
    );
    const json = JSON.stringify(doc);
    expect(json).not.toContain('"link"');
    expect(adfText(doc)).toBe('<script>alert(1)</script> click mail <img src=x onerror=alert(1)>');
    expect(JSON.stringify(markdownToAdf('[1]', [{ n: 1, url: 'javascript:alert(1)' }]))).not.toContain(
      'link',
    );
  });

  it('makes headings, quotes and rules', () => {
    expect(convert('## Rotating tokens\n> Tokens expire after a year.\n\n---')).toEqual([
      { type: 'heading', attrs: { level: 2 }, content: [text('Rotating tokens')] },
      { type: 'blockquote', content: [para(text('Tokens expire after a year.'))] },
      { type: 'rule' },
    ]);
  });

  it('bounds what it reads: a huge or hostile answer is cut, and deep nesting flattens', () => {
    const doc = markdownToAdf('word '.repeat(MARKDOWN_MAX_CHARS));
    expect(adfText(doc).length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS + 1);
    expect(adfText(doc).endsWith('…')).toBe(true);
    const hostile = markdownToAdf('[**_`'.repeat(MARKDOWN_MAX_CHARS));
    expect(adfText(hostile).length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS + 1);
    const deep = Array.from({ length: 12 }, (_, i) => `${' '.repeat(i * 2)}- level ${String(i)}`).join('\n');
    const depth = (node: unknown): number => {
      const n = node as { type?: string; content?: unknown[] };
      const below = Math.max(0, ...(n.content ?? []).map(depth));
      return below + (n.type === 'bulletList' ? 1 : 0);
    };
    expect(depth(markdownToAdf(deep))).toBe(4);
    expect(adfText(markdownToAdf(deep))).toContain('level 11');
  });

  it('gives an empty answer an empty document', () => {
    expect(markdownToAdf('')).toEqual({ type: 'doc', version: 1, content: [] });
  });
});
