import { isCDATA, isTag, isText, type ChildNode, type Element } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import {
  BlockWriter,
  collapseWhitespace,
  renderCode,
  trimEndOf,
  renderTable,
  type Block,
  type StructuredDocument,
} from '../structured.js';

/** Macros that only repeat other pages or decorate: their content would be noise in an index. */
const DROPPED_MACROS = new Set([
  'toc',
  'toc-zone',
  'children',
  'pagetree',
  'pagetreesearch',
  'anchor',
  'recently-updated',
  'contentbylabel',
  'livesearch',
  'attachments',
]);
/** Macros whose body is code or another text notation, kept verbatim in a fence. */
const CODE_MACROS: Readonly<Record<string, string | undefined>> = {
  code: undefined,
  noformat: undefined,
  plantuml: 'plantuml',
  mermaid: 'mermaid',
  'mermaid-cloud': 'mermaid',
  mathblock: 'latex',
  latex: 'latex',
  'mathjax-block-macro': 'latex',
};
/** Callout macros, labelled so a chunk still says it was a warning. */
const CALLOUTS: Readonly<Record<string, string>> = {
  info: 'Info',
  note: 'Note',
  warning: 'Warning',
  tip: 'Tip',
  panel: 'Panel',
  success: 'Success',
  error: 'Error',
};
const BLOCK_CONTAINERS = new Set([
  'div',
  'section',
  'article',
  'blockquote',
  'ac:layout',
  'ac:layout-section',
  'ac:layout-cell',
  'ac:rich-text-body',
  'body',
  'html',
  'thead',
  'tbody',
]);

const children = (el: Element) => el.children;
const childTags = (el: Element, name?: string) =>
  el.children.filter((c): c is Element => isTag(c) && (!name || c.name === name));

/** Confluence Cloud's heading anchor: the heading text with runs of spaces as dashes. */
export function confluenceAnchor(heading: string): string {
  return encodeURIComponent(heading.trim().replace(/\s+/g, '-')).replace(/%2D/g, '-');
}

function parameter(macro: Element, name: string): string | undefined {
  const p = childTags(macro, 'ac:parameter').find((c) => c.attribs['ac:name'] === name);
  return p ? collapseWhitespace(p.children.map(inline).join('')) : undefined;
}

function rawText(node: ChildNode): string {
  if (isText(node)) return node.data;
  if (isCDATA(node) || isTag(node)) return node.children.map(rawText).join('');
  return '';
}

/** What a link shows: its own body, else the page, blog post, attachment or person it points to. */
function linkText(link: Element): string {
  const body = childTags(link).find((c) => c.name === 'ac:plain-text-link-body' || c.name === 'ac:link-body');
  if (body) {
    const text = collapseWhitespace(children(body).map(inline).join(''));
    if (text) return text;
  }
  for (const target of childTags(link)) {
    const a = target.attribs;
    if (target.name === 'ri:user')
      return `@${a['ri:username'] ?? a['ri:display-name'] ?? a['ri:account-id'] ?? 'user'}`;
    if (a['ri:content-title']) return a['ri:content-title'];
    if (a['ri:filename']) return a['ri:filename'];
    if (a['ri:value']) return a['ri:value'];
  }
  return link.attribs['ac:anchor'] ?? '';
}

function inlineMacro(macro: Element): string {
  const name = macro.attribs['ac:name'] ?? '';
  if (name === 'status') return `[${parameter(macro, 'title') ?? parameter(macro, 'colour') ?? 'status'}]`;
  if (name === 'jira') return parameter(macro, 'key') ?? parameter(macro, 'jqlQuery') ?? '';
  if (DROPPED_MACROS.has(name)) return '';
  const body = childTags(macro).find(
    (c) => c.name === 'ac:rich-text-body' || c.name === 'ac:plain-text-body',
  );
  return body ? body.children.map(inline).join(' ') : '';
}

/** The text of inline content, with Confluence's inline elements (links, mentions, status, dates…) spelled out. */
function inline(node: ChildNode): string {
  if (isText(node)) return node.data;
  if (isCDATA(node)) return node.children.map(rawText).join('');
  if (!isTag(node)) return '';
  switch (node.name) {
    case 'br':
      return '\n';
    case 'ac:link':
      return linkText(node);
    case 'ac:image': {
      const caption = childTags(node, 'ac:caption')[0];
      const label =
        node.attribs['ac:alt'] ||
        (caption && collapseWhitespace(caption.children.map(inline).join(''))) ||
        childTags(node)[0]?.attribs['ri:filename'] ||
        childTags(node)[0]?.attribs['ri:value'] ||
        '';
      return label ? ` [image: ${label}] ` : '';
    }
    case 'time':
      return node.attribs.datetime ?? '';
    case 'ac:emoticon':
      return node.attribs['ac:emoji-fallback'] ?? '';
    case 'ac:parameter':
    case 'ac:placeholder':
    case 'ac:task-id':
      return '';
    case 'ac:structured-macro':
      return inlineMacro(node);
    case 'img':
      return node.attribs.alt ? ` [image: ${node.attribs.alt}] ` : '';
    case 'p':
    case 'li':
    case 'div':
      return `${node.children.map(inline).join('')}\n`;
    default:
      return node.children.map(inline).join('');
  }
}

/** Converts a subtree into blocks of its own, then joins them: for callouts, table cells and list items. */
function blocksOf(nodes: ChildNode[]): Block[] {
  const out = new BlockWriter();
  nodes.forEach((n) => walk(n, out));
  out.flush();
  return out.blocks;
}

const joined = (blocks: Block[], sep = '\n') => blocks.map((b) => b.text).join(sep);

function listBlock(list: Element, depth = 0): string {
  return childTags(list, 'li')
    .map((li, i) => {
      const marker = list.name === 'ol' ? `${i + 1}.` : '-';
      const nested = childTags(li).filter(
        (c) => c.name === 'ul' || c.name === 'ol' || c.name === 'ac:task-list',
      );
      const own = collapseWhitespace(
        joined(blocksOf(li.children.filter((c) => !nested.includes(c as Element))), ' '),
      );
      return [
        `${'  '.repeat(depth)}${marker} ${own}`,
        ...nested.map((n) => (n.name === 'ac:task-list' ? taskList(n, depth + 1) : listBlock(n, depth + 1))),
      ].join('\n');
    })
    .join('\n');
}

function taskList(list: Element, depth = 0): string {
  return childTags(list, 'ac:task')
    .map((task) => {
      const done = collapseWhitespace(rawText(childTags(task, 'ac:task-status')[0] ?? task)) === 'complete';
      const body = childTags(task, 'ac:task-body')[0];
      const nested = body ? childTags(body, 'ac:task-list') : [];
      const text = body
        ? collapseWhitespace(
            joined(blocksOf(body.children.filter((c) => !nested.includes(c as Element))), ' '),
          )
        : '';
      return [
        `${'  '.repeat(depth)}- [${done ? 'x' : ' '}] ${text}`,
        ...nested.map((n) => taskList(n, depth + 1)),
      ].join('\n');
    })
    .join('\n');
}

function tableBlock(table: Element): string {
  const rows: Element[] = [];
  const collect = (el: Element) => {
    for (const c of childTags(el)) {
      if (c.name === 'tr') rows.push(c);
      else if (c.name !== 'table') collect(c);
    }
  };
  collect(table);
  const cells = (tr: Element) => childTags(tr).filter((c) => c.name === 'td' || c.name === 'th');
  const text = (cell: Element) => collapseWhitespace(joined(blocksOf(cell.children), ' '));
  const first = rows[0];
  const headerRow = first && cells(first).length > 0 && cells(first).every((c) => c.name === 'th');
  const header = headerRow ? cells(first).map(text) : [];
  return renderTable(
    header,
    (headerRow ? rows.slice(1) : rows).map((tr) => cells(tr).map(text)),
  );
}

function macro(node: Element, out: BlockWriter): void {
  const name = node.attribs['ac:name'] ?? '';
  if (DROPPED_MACROS.has(name)) return;
  if (name in CODE_MACROS) {
    const plain = childTags(node, 'ac:plain-text-body')[0];
    const language = parameter(node, 'language');
    const code = plain ? trimEndOf(rawText(plain), ' \t\n\r\f\v').replace(/^\n+/, '') : '';
    const title = parameter(node, 'title');
    if (title) out.block({ kind: 'text', text: title });
    out.block({
      kind: 'text',
      text: renderCode(code, language && language !== 'none' ? language : CODE_MACROS[name]),
    });
    return;
  }
  const body = childTags(node).find((c) => c.name === 'ac:rich-text-body' || c.name === 'ac:plain-text-body');
  const inner = body
    ? body.name === 'ac:plain-text-body'
      ? collapseWhitespace(rawText(body))
      : joined(blocksOf(body.children))
    : '';
  const callout = CALLOUTS[name];
  if (callout) {
    const title = parameter(node, 'title');
    out.block({ kind: 'text', text: `${callout}${title ? ` (${title})` : ''}: ${inner}` });
    return;
  }
  if (name === 'expand') {
    out.block({ kind: 'text', text: `${parameter(node, 'title') || 'Details'}:\n${inner}` });
    return;
  }
  if (name === 'status' || name === 'jira') {
    out.text(inlineMacro(node));
    return;
  }
  // Any other macro: keep what it shows (its body); its parameters are configuration, not content.
  if (body?.name === 'ac:rich-text-body') body.children.forEach((c) => walk(c, out));
  else if (inner) out.block({ kind: 'text', text: inner });
}

function walk(node: ChildNode, out: BlockWriter): void {
  if (isText(node) || isCDATA(node)) {
    out.text(inline(node));
    return;
  }
  if (!isTag(node)) return;
  const heading = /^h([1-6])$/.exec(node.name);
  if (heading) {
    const text = collapseWhitespace(node.children.map(inline).join(''));
    if (text) out.block({ kind: 'heading', level: Number(heading[1]), text, anchor: confluenceAnchor(text) });
    return;
  }
  switch (node.name) {
    case 'p':
      out.flush();
      out.text(node.children.map(inline).join(''));
      out.flush();
      return;
    case 'ul':
    case 'ol':
      out.block({ kind: 'text', text: listBlock(node) });
      return;
    case 'ac:task-list':
      out.block({ kind: 'text', text: taskList(node) });
      return;
    case 'table':
      out.block({ kind: 'text', text: tableBlock(node) });
      return;
    case 'pre':
      out.block({ kind: 'text', text: renderCode(rawText(node)) });
      return;
    case 'hr':
      out.flush();
      return;
    case 'ac:structured-macro':
      macro(node, out);
      return;
    default:
      if (BLOCK_CONTAINERS.has(node.name)) {
        out.flush();
        node.children.forEach((c) => walk(c, out));
        out.flush();
      } else out.text(inline(node));
  }
}

/**
 * Confluence storage format (XHTML with `ac:` and `ri:` elements) to structured text: headings, paragraphs,
 * lists, tables with their headers, code with its language, callouts labelled, expand sections, status,
 * tasks, links, mentions, dates and Jira keys spelled out, layouts in reading order, navigation macros
 * dropped. Pure: the page title comes from the API, not from the body.
 */
export function convertStorage(storage: string, title: string): StructuredDocument {
  const dom = parseDocument(storage, {
    recognizeSelfClosing: true,
    recognizeCDATA: true,
    decodeEntities: true,
    lowerCaseAttributeNames: false,
  });
  const out = new BlockWriter();
  dom.children.forEach((c) => walk(c, out));
  out.flush();
  return { title, blocks: out.blocks };
}
