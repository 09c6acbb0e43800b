/**
 * A document reduced to what retrieval needs: its title and a flat run of blocks. Headings open sections;
 * every other block is one atomic piece of text (a paragraph, a list, a table, a fenced code block) that
 * the chunker keeps whole whenever it fits.
 */
export type Block =
  { kind: 'heading'; level: number; text: string; anchor?: string } | { kind: 'text'; text: string };

export interface StructuredDocument {
  title: string;
  blocks: Block[];
}

export function collapseWhitespace(text: string): string {
  return text
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
}

/** Table rows as "Header: cell; Header: cell", so each row still says what its cells mean once chunked. */
export function renderTable(header: string[], rows: string[][]): string {
  if (header.every((h) => !h)) return rows.map((r) => r.join(' | ')).join('\n');
  return rows
    .map((row) =>
      row
        .map((cell, i) => (header[i] ? `${header[i]}: ${cell}` : cell))
        .filter((c) => c.trim())
        .join('; '),
    )
    .join('\n');
}

export function renderCode(code: string, language?: string): string {
  return '```' + (language ?? '') + '\n' + code.replace(/\n+$/, '') + '\n```';
}
