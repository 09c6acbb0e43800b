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
  return '```' + (language ?? '') + '\n' + trimEndOf(code, '\n') + '\n```';
}

/**
 * `text` without the run of `chars` at its end. A loop, not `/[…]+$/`: a regex engine tries that from
 * every character of every run and fails at each run's end, quadratic on 40,000 newlines before a letter.
 */
export function trimEndOf(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
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
