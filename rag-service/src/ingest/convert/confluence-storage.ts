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
/**
 * Callout macros, labelled as Confluence Cloud shows them to a reader (so a chunk still says it was a
 * warning): the legacy macros render as the editor's panels — Note as a yellow Warning panel, Warning as
 * a red Error panel, Tip as a green Success panel.
 */
const CALLOUTS: Readonly<Record<string, string>> = {
  info: 'Info',
  note: 'Warning',
  warning: 'Error',
  tip: 'Success',
  panel: 'Panel',
  success: 'Success',
  error: 'Error',
};
/** The current editor's panels (`ac:adf-extension`, panel-type attribute), labelled as the reader sees them. */
const ADF_PANELS: Readonly<Record<string, string>> = {
  info: 'Info',
  note: 'Note',
  warning: 'Warning',
  error: 'Error',
  success: 'Success',
  custom: 'Panel',
};
/** Macros that show an attachment (a file viewer or a link to it): kept as a named reference. */
const ATTACHMENT_MACROS = new Set([
  'view-file',
  'viewfile',
  'viewpdf',
  'viewxls',
  'viewdoc',
  'viewppt',
  'multimedia',
  'widget',
]);
/** An image's alt text that is only its file name (what the editor fills in), not words a person wrote. */
const FILE_NAME = /^[^/\\]+\.(png|jpe?g|gif|svg|webp|bmp|tiff?|heic|avif|ico)$/i;
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

/** Where the page being converted lives, so links to other pages and to attachments can carry a URL. */
export interface StorageContext {
  /** The site's wiki root, e.g. `https://x.atlassian.net/wiki`. */
  wikiBase: string;
  /** The page's space: a page link that names no space is to this one. */
  spaceKey?: string;
  /** The page's id: its attachments download from it. */
  pageId?: string;
}

/**
 * The context of the conversion under way. Conversion is synchronous and one page at a time, so a module
 * variable set for its duration serves every helper without threading it through each one.
 */
let context: StorageContext | undefined;

/** The URL of a page link, when the site is known: Confluence resolves `/display/<space>/<title>`. */
function pageUrl(target: Element): string | undefined {
  const title = target.attribs['ri:content-title'];
  const space = target.attribs['ri:space-key'] ?? context?.spaceKey;
  if (!context || !title || !space) return undefined;
  return `${context.wikiBase}/display/${encodeURIComponent(space)}/${encodeURIComponent(title).replace(/%20/g, '+')}`;
}

/** The URL of one of this page's attachments, when the site and page are known. */
function attachmentUrl(fileName: string): string | undefined {
  if (!context?.pageId) return undefined;
  return `${context.wikiBase}/download/attachments/${context.pageId}/${encodeURIComponent(fileName)}`;
}

/** What a link shows, with where it goes when that is known: `[text](url)`. */
function linkText(link: Element): string {
  const text = linkLabel(link);
  const target = childTags(link).find((c) => c.name === 'ri:page' || c.name === 'ri:blog-post');
  const url = target ? pageUrl(target) : undefined;
  return url && text ? `[${text}](${url})` : text;
}

/** What a link shows: its own body, else the page, blog post, attachment or person it points to. */
function linkLabel(link: Element): string {
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

/**
 * An image as text: the caption a person wrote, else its alt text unless that is only a file name (the
 * editor fills alt with the screenshot's name), else the file's name.
 */
function imageLabel(image: Element): string {
  const caption = childTags(image, 'ac:caption')[0];
  const captionText = caption ? collapseWhitespace(caption.children.map(inline).join('')) : '';
  const alt = collapseWhitespace(image.attribs['ac:alt'] ?? '');
  const resource = childTags(image).find((c) => c.name.startsWith('ri:'));
  const fileName = resource?.attribs['ri:filename'] ?? resource?.attribs['ri:value'] ?? '';
  const label =
    captionText || (alt && !FILE_NAME.test(alt) && alt !== fileName ? alt : '') || fileName || alt;
  return label ? ` [image: ${label}] ` : '';
}

/** An attachment macro (view-file and the like) as a named reference to the file. */
function attachmentReference(macro: Element): string {
  const name = macro.attribs['ac:name'] ?? '';
  if (!ATTACHMENT_MACROS.has(name)) return '';
  const file =
    childTags(macro, 'ac:parameter')
      .flatMap((p) => childTags(p))
      .find((c) => c.name === 'ri:attachment')?.attribs['ri:filename'] ??
    parameter(macro, 'name') ??
    parameter(macro, 'url');
  if (!file) return '';
  const url = /^https?:/i.test(file) ? file : attachmentUrl(file);
  return url && url !== file ? `[attachment: ${file}](${url})` : `[attachment: ${file}]`;
}

function inlineMacro(macro: Element): string {
  const name = macro.attribs['ac:name'] ?? '';
  if (ATTACHMENT_MACROS.has(name)) return attachmentReference(macro);
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
    case 'a': {
      const label = collapseWhitespace(node.children.map(inline).join(''));
      const href = node.attribs.href ?? '';
      // A link keeps where it goes: the text alone would lose the URL a reader asks for.
      if (!/^(https?:|mailto:)/i.test(href)) return label;
      return label && label !== href ? `[${label}](${href})` : href;
    }
    case 'ac:image':
      return imageLabel(node);
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
const isCode = (b: Block) => b.kind === 'text' && b.text.startsWith('```');

/**
 * A list item's or a table cell's content as lines: its text run together on one line, its code blocks
 * verbatim on lines of their own (indentation and line breaks are the code's meaning), in their order.
 */
function flowed(blocks: Block[]): string[] {
  const lines: string[] = [];
  let text: Block[] = [];
  const flushText = () => {
    const line = collapseWhitespace(joined(text, ' '));
    if (line || !lines.length) lines.push(line);
    text = [];
  };
  for (const b of blocks) {
    if (isCode(b)) {
      flushText();
      lines.push(b.text);
    } else text.push(b);
  }
  if (text.length || !lines.length) flushText();
  return lines;
}

function listBlock(list: Element, depth = 0): string {
  return childTags(list, 'li')
    .map((li, i) => {
      const marker = list.name === 'ol' ? `${i + 1}.` : '-';
      const nested = childTags(li).filter(
        (c) => c.name === 'ul' || c.name === 'ol' || c.name === 'ac:task-list',
      );
      const [first = '', ...rest] = flowed(
        blocksOf(li.children.filter((c) => !nested.includes(c as Element))),
      );
      return [
        `${'  '.repeat(depth)}${marker} ${first}`,
        ...rest,
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
  // Each row on its line; code in a cell follows its row, verbatim, rather than flattened into it.
  return (headerRow ? rows.slice(1) : rows)
    .map((tr) => {
      const contents = cells(tr).map((cell) => blocksOf(cell.children));
      const line = renderTable(header, [
        contents.map((blocks) =>
          collapseWhitespace(
            joined(
              blocks.filter((b) => !isCode(b)),
              ' ',
            ),
          ),
        ),
      ]);
      return [line.trimEnd(), ...contents.flatMap((blocks) => blocks.filter(isCode).map((b) => b.text))].join(
        '\n',
      );
    })
    .join('\n');
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
  if (name === 'status' || name === 'jira' || ATTACHMENT_MACROS.has(name)) {
    out.text(inlineMacro(node));
    return;
  }
  // Any other macro: keep what it shows (its body); its parameters are configuration, not content.
  if (body?.name === 'ac:rich-text-body') body.children.forEach((c) => walk(c, out));
  else if (inner) out.block({ kind: 'text', text: inner });
}

/**
 * What the current editor stores as an ADF extension: a panel is the `ac:adf-node` with its panel type,
 * rendered once with its label; anything else, the `ac:adf-fallback` copy Confluence keeps for readers
 * that do not know the node. Never both: they are the same content twice.
 */
function adfExtension(extension: Element, out: BlockWriter): void {
  const node = childTags(extension, 'ac:adf-node')[0];
  if (node?.attribs.type === 'panel') {
    const attribute = (key: string) => childTags(node, 'ac:adf-attribute').find((a) => a.attribs.key === key);
    const type = attribute('panel-type');
    const panelType = type ? collapseWhitespace(rawText(type)) : 'info';
    const content = childTags(node, 'ac:adf-content')[0];
    const inner = content ? joined(blocksOf(content.children)) : '';
    out.block({ kind: 'text', text: `${ADF_PANELS[panelType] ?? 'Panel'}: ${inner}` });
    return;
  }
  const fallback = childTags(extension, 'ac:adf-fallback')[0];
  if (fallback) {
    out.flush();
    fallback.children.forEach((c) => walk(c, out));
    out.flush();
  }
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
    case 'ac:adf-extension':
      adfExtension(node, out);
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
 * tasks, links (with their URL: pages' when `where` names the site), mentions, dates and Jira keys spelled
 * out, images by their caption, attachments by name, the current editor's panels once, code in lists and
 * cells verbatim, layouts in reading order, navigation macros dropped. Pure: the page title comes from the
 * API, not from the body.
 */
export function convertStorage(storage: string, title: string, where?: StorageContext): StructuredDocument {
  const dom = parseDocument(storage, {
    recognizeSelfClosing: true,
    recognizeCDATA: true,
    decodeEntities: true,
    lowerCaseAttributeNames: false,
  });
  const out = new BlockWriter();
  context = where;
  try {
    dom.children.forEach((c) => walk(c, out));
  } finally {
    context = undefined;
  }
  out.flush();
  return { title, blocks: out.blocks };
}
