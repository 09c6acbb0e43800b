import { Lexer, type Token, type Tokens } from 'marked';
import { slugify } from '../../text/slug.js';
import {
  collapseWhitespace,
  renderCode,
  renderTable,
  type Block,
  type StructuredDocument,
} from '../structured.js';

/** Inline Markdown to plain text: links keep their text, emphasis and code marks go. */
export function plainInline(text: string): string {
  return collapseWhitespace(
    text
      // Each pattern stops at the next character that could start another match, or after a bounded
      // stretch: `[^\]]*` ran on to the end of the text from every `![` of `![![![…` (quadratic).
      .replace(/!\[([^[\]]*)\]\([^()]*\)/g, '$1')
      .replace(/\[([^[\]]+)\]\([^()]*\)/g, '$1')
      .replace(/<[^<>]+>/g, '')
      .replace(/(\*\*|__)([^\n]{1,500}?)\1/g, '$2')
      .replace(/(^|[^\w*])[*_](?!\s)([^\n]{1,500}?)[*_](?=[^\w*]|$)/g, '$1$2')
      .replace(/`([^`]+)`/g, '$1')
      .replace(/&nbsp;/g, ' ')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'"),
  );
}

/** Soft line breaks become spaces; hard breaks (two trailing spaces or a backslash) stay. */
function softBreaks(text: string): string {
  return text.replace(/(?<! {2}|\\)\n(?!\n)/g, ' ').replace(/( {2}|\\)\n/g, '\n');
}

function listText(list: Tokens.List, depth = 0): string {
  return list.items
    .map((item, i) => {
      const marker = list.ordered ? `${(list.start || 1) + i}.` : '-';
      const task = item.task ? (item.checked ? '[x] ' : '[ ] ') : '';
      const nested = item.tokens.filter((t): t is Tokens.List => t.type === 'list');
      const own = item.tokens
        .filter((t) => t.type !== 'list')
        .map((t) => ('text' in t && typeof t.text === 'string' ? plainInline(softBreaks(t.text)) : ''))
        .filter(Boolean)
        .join(' ');
      const line = `${'  '.repeat(depth)}${marker} ${task}${own}`;
      return [line, ...nested.map((n) => listText(n, depth + 1))].join('\n');
    })
    .join('\n');
}

function blockOf(token: Token): Block | undefined {
  switch (token.type) {
    case 'heading': {
      const text = plainInline((token as Tokens.Heading).text);
      return { kind: 'heading', level: (token as Tokens.Heading).depth, text, anchor: slugify(text) };
    }
    case 'paragraph':
    case 'text': {
      // A line break inside a Markdown paragraph is a soft break: the sentence goes on.
      const text = plainInline(softBreaks((token as Tokens.Paragraph | Tokens.Text).text));
      return text ? { kind: 'text', text } : undefined;
    }
    case 'code': {
      const code = token as Tokens.Code;
      return { kind: 'text', text: renderCode(code.text, code.lang || undefined) };
    }
    case 'list':
      return { kind: 'text', text: listText(token as Tokens.List) };
    case 'table': {
      const t = token as Tokens.Table;
      const header = t.header.map((h) => plainInline(h.text));
      return {
        kind: 'text',
        text: renderTable(
          header,
          t.rows.map((r) => r.map((c) => plainInline(c.text))),
        ),
      };
    }
    case 'html': {
      const text = plainInline((token as Tokens.HTML).text);
      return text ? { kind: 'text', text } : undefined;
    }
    default:
      return undefined;
  }
}

function blocksOf(tokens: Token[], out: Block[]): void {
  for (const token of tokens) {
    if (token.type === 'blockquote') blocksOf((token as Tokens.Blockquote).tokens, out);
    else {
      const block = blockOf(token);
      if (block) out.push(block);
    }
  }
}

/** Strips a leading YAML front matter block, keeping its `title` if it has one. */
function frontMatter(source: string): { body: string; title?: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(source);
  if (!m) return { body: source };
  // The line is read whole, then trimmed: `\s*["']?(.+?)["']?\s*$` backtracked quadratically on spaces.
  const line = /^title:(.*)$/m.exec(m[1] ?? '')?.[1];
  const title = line?.trim().replace(/^(["'])(.*)\1$/, '$2') || undefined;
  return { body: source.slice(m[0].length), title };
}

export function convertMarkdown(source: string, fallbackTitle: string): StructuredDocument {
  const { body, title: fmTitle } = frontMatter(source.replace(/^\uFEFF/, ''));
  const blocks: Block[] = [];
  // Block tokens only: their raw `text` is all plainInline needs, and marked's inline pass is quadratic on
  // runs of emphasis marks (21 KB of ` *a` took it 17 s).
  blocksOf(new Lexer({ gfm: true }).blockTokens(body.replace(/\r\n?/g, '\n'), []), blocks);
  const firstH1 = blocks.find((b) => b.kind === 'heading' && b.level === 1);
  return { title: fmTitle ?? firstH1?.text ?? fallbackTitle, blocks };
}
