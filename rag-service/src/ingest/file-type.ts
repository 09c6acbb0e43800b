import path from 'node:path';

export type DocumentFormat = 'markdown' | 'text' | 'html' | 'pdf';

export const FORMAT_BY_EXTENSION: Readonly<Record<string, DocumentFormat>> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
};

export class UnsupportedFileError extends Error {
  override readonly name = 'UnsupportedFileError';
}

function isUtf8Text(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The document's format, decided by its name AND confirmed by its content: a PDF must start with the PDF
 * signature, and text formats must be valid UTF-8 without NUL bytes, so a renamed binary is refused.
 */
export function detectFormat(fileName: string, bytes: Uint8Array): DocumentFormat {
  const ext = path.extname(fileName).toLowerCase();
  const format = FORMAT_BY_EXTENSION[ext];
  if (!format) {
    throw new UnsupportedFileError(
      `unsupported file type "${ext || fileName}": expected one of ${Object.keys(FORMAT_BY_EXTENSION).join(', ')}`,
    );
  }
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  if (format === 'pdf') {
    if (!head.includes('%PDF-')) throw new UnsupportedFileError(`${fileName} is named .pdf but is not a PDF`);
    return format;
  }
  if (!isUtf8Text(bytes)) {
    throw new UnsupportedFileError(`${fileName} is named ${ext} but is not UTF-8 text`);
  }
  if (head.startsWith('%PDF-')) throw new UnsupportedFileError(`${fileName} is a PDF named ${ext}`);
  return format;
}
