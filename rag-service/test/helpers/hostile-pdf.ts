import { deflateSync } from 'node:zlib';

/** Text-drawing operators: each line draws one short sentence, so the page's text grows with the stream. */
export const TEXT_OPERATORS = 'BT /F1 12 Tf 72 720 Td (The quick brown fox jumps over the lazy dog) Tj ET\n';

/**
 * A one-page PDF whose content is compressed with FlateDecode: `content` repeated until it inflates to
 * `inflatedBytes`. Repetitive operators compress about 300:1, so 10 MB of them make a 36 KB file: the
 * shape of a decompression bomb. `streams` splits the content over that many streams; `truncate` cuts
 * each one's compressed data in half (pdfjs still reads what inflates); `dict` adds entries to each
 * stream's dictionary (say, `/Subtype /Image` as a disguise).
 */
export function makeInflatingPdf(
  inflatedBytes: number,
  content: string = TEXT_OPERATORS,
  options: { truncate?: boolean; dict?: string; streams?: number } = {},
): Buffer {
  const streams = options.streams ?? 1;
  const size = Math.max(1, Math.ceil(inflatedBytes / streams / content.length)) * content.length;
  let deflated = deflateSync(Buffer.alloc(size, content, 'latin1'), { level: 9 });
  if (options.truncate) deflated = deflated.subarray(0, Math.ceil(deflated.length / 2));
  const contents = Array.from({ length: streams }, (_, i) => `${5 + i} 0 R`).join(' ');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [4 0 R] /Count 1 >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents [${contents}] >>`,
  ];
  const parts: Buffer[] = [];
  let length = 0;
  const offsets: number[] = [];
  const add = (part: Buffer | string) => {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    parts.push(bytes);
    length += bytes.length;
  };
  add('%PDF-1.4\n');
  objects.forEach((body, i) => {
    offsets.push(length);
    add(`${i + 1} 0 obj\n${body}\nendobj\n`);
  });
  for (let i = 0; i < streams; i++) {
    offsets.push(length);
    add(
      `${5 + i} 0 obj\n<< /Length ${deflated.length} /Filter /FlateDecode ${options.dict ?? ''}>>\nstream\n`,
    );
    add(deflated);
    add('\nendstream\nendobj\n');
  }
  const xref = length;
  add(`xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`);
  add(offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join(''));
  add(`trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(parts);
}
