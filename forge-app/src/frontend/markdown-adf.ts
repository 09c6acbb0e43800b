import type { Source } from '@kb/contracts';
import type {
  AdfBlock,
  AdfBlockquote,
  AdfCodeBlock,
  AdfDoc,
  AdfList,
  AdfListItem,
  AdfParagraph,
} from './adf-nodes';
import { parseInline, safeHref, type InlineOptions } from './markdown-inline';

/**
 * An answer's Markdown as an ADF document for UI Kit's `AdfRenderer`: paragraphs (a single line break
 * is kept, as chat answers mean it), headings, bullet and numbered lists (nested, code inside items),
 * fenced code blocks, quotes and rules, with the inline marks of markdown-inline.ts. `[n]` citations link
 * to source n's page and section. The input is bounded (MARKDOWN_MAX_CHARS, then "…") and so is list
 * nesting: an answer can be long or odd, never slow to render.
 */
export const MARKDOWN_MAX_CHARS = 20_000;
const LIST_DEPTH_MAX = 4;
const QUOTE_DEPTH_MAX = 2;

const FENCE = /^( *)(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( *)([-*+]|\d{1,9}[.)])(?:\s+(.*))?$/;
const LANGUAGE = /^[A-Za-z0-9+#._-]{1,30}$/;

type Sources = readonly Pick<Source, 'n' | 'url'>[];

export function markdownToAdf(markdown: string, sources: Sources = []): AdfDoc {
  const byNumber = new Map(sources.map((s) => [s.n, s.url]));
  const options: InlineOptions = {
    citationHref: (n) => {
      const url = byNumber.get(n);
      return url === undefined ? undefined : safeHref(url);
    },
  };
  // Tabs that indent a line count as four spaces, so nesting reads the same either way.
  let text = markdown.replace(/\r\n?/g, '\n').replace(/^\t+/gm, (tabs) => '    '.repeat(tabs.length));
  if (text.length > MARKDOWN_MAX_CHARS) {
    text = text.slice(0, MARKDOWN_MAX_CHARS).replace(/[\uD800-\uDBFF]$/, '') + '…';
  }
  return { type: 'doc', version: 1, content: new BlockParser(text.split('\n'), options).blocks(0) };
}

interface OpenList {
  indent: number;
  node: AdfList;
}

class BlockParser {
  private at = 0;

  constructor(
    private readonly lines: string[],
    private readonly options: InlineOptions,
  ) {}

  blocks(quoteDepth: number): AdfBlock[] {
    const out: AdfBlock[] = [];
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      if (!line.trim()) this.at += 1;
      else if (FENCE.test(line)) out.push(this.codeBlock());
      else if (HEADING.test(line)) out.push(this.heading());
      else if (RULE.test(line)) {
        out.push({ type: 'rule' });
        this.at += 1;
      } else if (QUOTE.test(line)) out.push(this.quote(quoteDepth));
      else if (ITEM.test(line)) out.push(...this.lists());
      else out.push(this.paragraph());
    }
    return out;
  }

  /** Lines up to the next block; the first is always taken, so the parse moves on whatever it holds. */
  private paragraph(): AdfParagraph {
    const lines: string[] = [this.lines[this.at]!.trim()];
    this.at += 1;
    while (this.at < this.lines.length && !this.startsBlock(this.lines[this.at]!)) {
      lines.push(this.lines[this.at]!.trim());
      this.at += 1;
    }
    return this.inlineParagraph(lines.join('\n'));
  }

  /** Whether a line ends the paragraph before it: a blank line or the start of another block. */
  private startsBlock(line: string): boolean {
    return !line.trim() || [FENCE, HEADING, RULE, QUOTE, ITEM].some((re) => re.test(line));
  }

  private inlineParagraph(text: string): AdfParagraph {
    return { type: 'paragraph', content: parseInline(text, this.options) };
  }

  private heading(): AdfBlock {
    const [, hashes, text] = HEADING.exec(this.lines[this.at]!)!;
    this.at += 1;
    const level = hashes!.length as 1 | 2 | 3 | 4 | 5 | 6;
    return { type: 'heading', attrs: { level }, content: parseInline(text!, this.options) };
  }

  /** A fenced block, closed by the same fence or by the end of the answer; its indent is removed. */
  private codeBlock(): AdfCodeBlock {
    const [, indent, fence, language] = FENCE.exec(this.lines[this.at]!)!;
    this.at += 1;
    const body: string[] = [];
    const closing = new RegExp(`^ *${fence![0] === '`' ? '`' : '~'}{${String(fence!.length)},}\\s*$`);
    while (this.at < this.lines.length && !closing.test(this.lines[this.at]!)) {
      const line = this.lines[this.at]!;
      body.push(line.startsWith(indent!) ? line.slice(indent!.length) : line.trimStart());
      this.at += 1;
    }
    this.at += 1;
    const code = body.join('\n');
    return {
      type: 'codeBlock',
      ...(language && LANGUAGE.test(language) ? { attrs: { language } } : {}),
      content: code ? [{ type: 'text', text: code }] : [],
    };
  }

  private quote(quoteDepth: number): AdfBlock {
    const inner: string[] = [];
    while (this.at < this.lines.length && QUOTE.test(this.lines[this.at]!)) {
      inner.push(QUOTE.exec(this.lines[this.at]!)![1]!);
      this.at += 1;
    }
    const nested = new BlockParser(inner, this.options);
    const blocks =
      quoteDepth < QUOTE_DEPTH_MAX ? nested.blocks(quoteDepth + 1) : [this.inlineParagraph(inner.join('\n'))];
    // ADF quotes hold paragraphs, lists and code: a heading inside becomes a paragraph, a rule goes.
    const content = blocks.flatMap((b): AdfBlockquote['content'] => {
      if (b.type === 'heading') return [{ type: 'paragraph', content: b.content }];
      if (b.type === 'blockquote') return b.content;
      if (b.type === 'rule') return [];
      return [b];
    });
    return { type: 'blockquote', content: content.length ? content : [{ type: 'paragraph', content: [] }] };
  }

  /**
   * Consecutive list items, nested by indentation, with their continuation lines and fenced code. Returns
   * more than one list when the kind changes (bullets, then numbers) at the top level.
   */
  private lists(): AdfList[] {
    const roots: AdfList[] = [];
    const open: OpenList[] = [];
    let blankBefore = false;
    while (this.at < this.lines.length) {
      const line = this.lines[this.at]!;
      const indent = line.length - line.trimStart().length;
      const item = ITEM.exec(line);
      if (!line.trim()) {
        blankBefore = true;
        this.at += 1;
        continue;
      }
      if (item) {
        this.addItem(item, roots, open);
        this.at += 1;
      } else if (indent > 0 && FENCE.test(line)) {
        lastItem(open).content.push(this.codeBlock());
      } else if (indent > 0 || (!blankBefore && !this.startsBlock(line))) {
        // More text of the latest item: after a blank line it is a paragraph of its own.
        const item = lastItem(open);
        const last = item.content.at(-1);
        if (!blankBefore && last?.type === 'paragraph') {
          last.content.push({ type: 'hardBreak' }, ...parseInline(line.trim(), this.options));
        } else item.content.push(this.inlineParagraph(line.trim()));
        this.at += 1;
      } else break;
      blankBefore = false;
    }
    // A blank line that ended the list belongs to what follows.
    return roots;
  }

  private addItem(item: RegExpExecArray, roots: AdfList[], open: OpenList[]): void {
    const [, spaces, marker, text] = item;
    let indent = spaces!.length;
    const ordered = /\d/.test(marker![0]!);
    // Close deeper lists; an item between two levels of indent stays with the deeper one it follows.
    while (open.length && indent < open.at(-1)!.indent) {
      if (open.length >= 2 && indent > open.at(-2)!.indent + 1) {
        indent = open.at(-1)!.indent;
        break;
      }
      open.pop();
    }
    const entry: AdfListItem = { type: 'listItem', content: [this.inlineParagraph((text ?? '').trim())] };
    const top = open.at(-1);
    if (top && indent >= top.indent + 2 && open.length < LIST_DEPTH_MAX) {
      const list = newList(ordered, marker!);
      lastItem(open).content.push(list);
      open.push({ indent, node: list });
    } else if (top && isOrdered(top.node) === ordered) {
      top.node.content.push(entry);
      return;
    } else {
      const list = newList(ordered, marker!);
      if (open.length > 1) {
        open.pop();
        lastItem(open).content.push(list);
      } else {
        open.pop();
        roots.push(list);
      }
      open.push({ indent: top ? top.indent : indent, node: list });
    }
    open.at(-1)!.node.content.push(entry);
  }
}

function newList(ordered: boolean, marker: string): AdfList {
  return ordered
    ? { type: 'orderedList', attrs: { order: Math.max(0, parseInt(marker, 10)) }, content: [] }
    : { type: 'bulletList', content: [] };
}

function isOrdered(list: AdfList): boolean {
  return list.type === 'orderedList';
}

function lastItem(open: OpenList[]): AdfListItem {
  return open.at(-1)!.node.content.at(-1)!;
}
