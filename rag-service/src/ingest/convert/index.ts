import path from 'node:path';
import type { DocumentFormat } from '../file-type.js';
import type { StructuredDocument } from '../structured.js';
import { convertPdf } from './pdf.js';
import { convertInWorker } from './text-converter.js';

/** A readable fallback title from a file name: "api-tokens.md" → "Api tokens". */
export function titleFromFileName(fileName: string): string {
  const words = path.basename(fileName, path.extname(fileName)).replace(/[-_]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : fileName;
}

export async function convertDocument(
  format: DocumentFormat,
  bytes: Uint8Array,
  fileName: string,
): Promise<StructuredDocument> {
  const fallback = titleFromFileName(fileName);
  if (format === 'pdf') return convertPdf(bytes, fallback);
  const text = new TextDecoder('utf-8').decode(bytes);
  return convertInWorker({ format, text, title: fallback });
}
