import { collapseWhitespace, type StructuredDocument } from '../structured.js';

/** Plain text: paragraphs are separated by blank lines; there are no headings to keep. */
export function convertPlainText(source: string, fallbackTitle: string): StructuredDocument {
  const paragraphs = source
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map(collapseWhitespace)
    .filter(Boolean);
  return { title: fallbackTitle, blocks: paragraphs.map((text) => ({ kind: 'text', text })) };
}
