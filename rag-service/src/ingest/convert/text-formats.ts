import type { StructuredDocument } from '../structured.js';
import { convertStorage, type StorageContext } from './confluence-storage.js';
import { convertHtml } from './html.js';
import { convertMarkdown } from './markdown.js';
import { convertPlainText } from './plain-text.js';

/** The formats read from text (a PDF has a reader of its own). */
export type TextFormat = 'markdown' | 'html' | 'text' | 'confluence-storage';

/** One text document to convert, and what to call it when it names no title of its own. */
export interface TextConversion {
  format: TextFormat;
  text: string;
  title: string;
  /** Confluence only: the site and page, so page links and attachments get URLs. */
  storageContext?: StorageContext;
}

/** The converter for each format; `title` is the fallback, except for Confluence, whose title is the page's. */
export function convertText({ format, text, title, storageContext }: TextConversion): StructuredDocument {
  if (format === 'markdown') return convertMarkdown(text, title);
  if (format === 'html') return convertHtml(text, title);
  if (format === 'confluence-storage') return convertStorage(text, title, storageContext);
  return convertPlainText(text, title);
}
