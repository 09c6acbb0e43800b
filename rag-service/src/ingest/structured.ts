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

/** Collects blocks while walking a tree: inline text accumulates until a block boundary flushes it. */
export class BlockWriter {
  readonly blocks: Block[] = [];
  private inline = '';

  text(t: string): void {
    this.inline += t;
  }

  flush(): void {
    const text = collapseWhitespace(this.inline);
    if (text) this.blocks.push({ kind: 'text', text });
    this.inline = '';
  }

  block(block: Block): void {
    this.flush();
    if (block.kind === 'heading' || block.text.trim()) this.blocks.push(block);
  }
}
