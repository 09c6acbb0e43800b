import { collapseWhitespace, type Block, type StructuredDocument } from '../structured.js';

interface TextItem {
  str: string;
  hasEOL?: boolean;
}

/**
 * PDF text, page by page. PDFs carry no reliable heading structure, so each page becomes a section
 * ("Page N", anchor `page=N`) and a citation can open the PDF at that page.
 */
export async function convertPdf(bytes: Uint8Array, fallbackTitle: string): Promise<StructuredDocument> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  });
  const doc = await task.promise;
  try {
    const meta = await doc.getMetadata().catch(() => undefined);
    const info: unknown = meta?.info;
    const title = info && typeof info === 'object' && 'Title' in info ? info.Title : undefined;
    const metaTitle = typeof title === 'string' ? title.trim() : '';
    const blocks: Block[] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      const text = (content.items as TextItem[])
        .filter((i) => typeof i.str === 'string')
        .map((i) => i.str + (i.hasEOL ? '\n' : ''))
        .join('');
      const paragraphs = text
        .split(/\n\s*\n/)
        .map(collapseWhitespace)
        .filter(Boolean);
      if (!paragraphs.length) continue;
      if (doc.numPages > 1)
        blocks.push({ kind: 'heading', level: 2, text: `Page ${p}`, anchor: `page=${p}` });
      for (const para of paragraphs) blocks.push({ kind: 'text', text: para });
      page.cleanup();
    }
    return { title: metaTitle || fallbackTitle, blocks };
  } finally {
    await task.destroy();
  }
}
