/**
 * Plain text from Atlassian Document Format (Jira's rich text in API v3), enough to give the language
 * model an issue's words: block nodes become lines, list items get a dash, mentions and links keep their
 * visible text. Marks (bold, colour) carry no meaning here and are dropped.
 */
interface AdfNode {
  type?: unknown;
  text?: unknown;
  attrs?: Record<string, unknown>;
  content?: unknown;
}

const BLOCKS = new Set([
  'paragraph',
  'heading',
  'blockquote',
  'codeBlock',
  'panel',
  'rule',
  'mediaSingle',
  'table',
  'tableRow',
  'expand',
  'nestedExpand',
  'decisionItem',
  'taskItem',
]);

export function adfToText(doc: unknown): string {
  if (typeof doc === 'string') return doc;
  const out: string[] = [];
  walk(doc, out);
  return out
    .join('')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function walk(node: unknown, out: string[]): void {
  if (typeof node !== 'object' || node === null) return;
  const n = node as AdfNode;
  const type = typeof n.type === 'string' ? n.type : '';
  if (type === 'text' && typeof n.text === 'string') {
    out.push(n.text);
    return;
  }
  if (type === 'hardBreak') out.push('\n');
  if (type === 'listItem') out.push('- ');
  if (type === 'tableCell' || type === 'tableHeader') out.push(' | ');
  const visible = n.attrs?.text ?? n.attrs?.shortName ?? (type === 'inlineCard' ? n.attrs?.url : undefined);
  if (typeof visible === 'string') out.push(visible);
  if (Array.isArray(n.content)) for (const child of n.content) walk(child, out);
  if (BLOCKS.has(type)) out.push('\n');
}
