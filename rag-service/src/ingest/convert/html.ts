import { isTag, isText, type ChildNode, type Element } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import { slugify } from '../../text/slug.js';
import {
  BlockWriter,
  collapseWhitespace,
  renderCode,
  renderTable,
  type Block,
  type StructuredDocument,
} from '../structured.js';

const SKIPPED = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'nav',
  'head',
  'svg',
  'iframe',
  'button',
  'form',
]);
const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'aside',
  'blockquote',
  'figure',
  'figcaption',
  'dl',
  'dt',
  'dd',
  'details',
  'summary',
  'body',
  'html',
  'hr',
  'address',
]);

function isElement(node: ChildNode): node is Element {
  return isTag(node);
}

/**
 * Source line breaks are spaces in HTML, as a browser shows them: only `<br>` and blocks break a line. A
 * hard-wrapped paragraph would otherwise be cut into fragments that read as sentences of their own.
 */
function visibleText(data: string): string {
  return data.replace(/[ \t\r\n\f]+/g, ' ');
}

/** The visible text of a subtree, with `<br>` as a line break; inside `<pre>`, every character as it is. */
function textOf(node: ChildNode, preformatted = false): string {
  if (isText(node)) return preformatted ? node.data : visibleText(node.data);
  if (!isElement(node) || SKIPPED.has(node.name)) return '';
  if (node.name === 'br') return '\n';
  if (node.name === 'img') return node.attribs.alt ?? '';
  const inner = node.children.map((c) => textOf(c, preformatted)).join('');
  return BLOCK.has(node.name) || node.name === 'li' || node.name === 'tr' ? `${inner}\n` : inner;
}

function tableBlock(table: Element): string {
  const rows: Element[] = [];
  const collect = (n: ChildNode) => {
    if (!isElement(n)) return;
    if (n.name === 'tr') rows.push(n);
    else if (n.name !== 'table') n.children.forEach(collect);
  };
  table.children.forEach(collect);
  const cells = (tr: Element) =>
    tr.children.filter(isElement).filter((c) => c.name === 'td' || c.name === 'th');
  const first = rows[0];
  const header =
    first && cells(first).every((c) => c.name === 'th')
      ? cells(first).map((c) => collapseWhitespace(textOf(c)))
      : [];
  const hasHeader = header.length > 0;
  const body = (hasHeader ? rows.slice(1) : rows).map((tr) =>
    cells(tr).map((c) => collapseWhitespace(textOf(c))),
  );
  return renderTable(header, body);
}

function listBlock(list: Element, depth = 0): string {
  const items = list.children.filter(isElement).filter((c) => c.name === 'li');
  return items
    .map((li, i) => {
      const marker = list.name === 'ol' ? `${i + 1}.` : '-';
      const nested = li.children.filter(isElement).filter((c) => c.name === 'ul' || c.name === 'ol');
      const own = collapseWhitespace(
        li.children
          .filter((c) => !(isElement(c) && (c.name === 'ul' || c.name === 'ol')))
          .map((c) => textOf(c))
          .join(''),
      );
      return [`${'  '.repeat(depth)}${marker} ${own}`, ...nested.map((n) => listBlock(n, depth + 1))].join(
        '\n',
      );
    })
    .join('\n');
}

/** The block an element stands for on its own (heading, code, table, list), if it is one. */
function ownBlock(node: Element): Block | undefined {
  const heading = /^h([1-6])$/.exec(node.name);
  if (heading) {
    const text = collapseWhitespace(textOf(node));
    return { kind: 'heading', level: Number(heading[1]), text, anchor: node.attribs.id || slugify(text) };
  }
  if (node.name === 'pre') {
    const codeEl = node.children.find((c): c is Element => isElement(c) && c.name === 'code');
    const cls = (codeEl ?? node).attribs.class ?? '';
    const lang = /(?:language|lang)-([\w+#-]+)/.exec(cls)?.[1];
    return { kind: 'text', text: renderCode(textOf(node, true), lang) };
  }
  if (node.name === 'table') return { kind: 'text', text: tableBlock(node) };
  if (node.name === 'ul' || node.name === 'ol') return { kind: 'text', text: listBlock(node) };
  return undefined;
}

function walk(node: ChildNode, out: BlockWriter): void {
  if (isText(node)) {
    out.text(visibleText(node.data));
    return;
  }
  if (!isElement(node) || SKIPPED.has(node.name)) return;
  const block = ownBlock(node);
  if (block) {
    if (block.kind === 'text' || block.text) out.block(block);
    return;
  }
  if (node.name === 'br') out.text('\n');
  else if (node.name === 'img') out.text(node.attribs.alt ? ` ${node.attribs.alt} ` : '');
  else {
    const isBlock = BLOCK.has(node.name);
    if (isBlock) out.flush();
    node.children.forEach((c) => {
      walk(c, out);
    });
    if (isBlock) out.flush();
  }
}

export function convertHtml(source: string, fallbackTitle: string): StructuredDocument {
  const dom = parseDocument(source, { decodeEntities: true });
  let title: string | undefined;
  const findTitle = (n: ChildNode): void => {
    if (title || !isElement(n)) return;
    if (n.name === 'title') title = collapseWhitespace(n.children.map((c) => textOf(c)).join(''));
    else n.children.forEach(findTitle);
  };
  dom.children.forEach(findTitle);
  const out = new BlockWriter();
  dom.children.forEach((c) => {
    walk(c, out);
  });
  out.flush();
  const firstH1 = out.blocks.find((b) => b.kind === 'heading' && b.level === 1);
  return { title: title || firstH1?.text || fallbackTitle, blocks: out.blocks };
}
