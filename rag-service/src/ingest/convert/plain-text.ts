import { collapseWhitespace, type Block, type StructuredDocument } from '../structured.js';

/** A Markdown-style heading written in a text file: `# Title`, `## Section` (closing #s allowed). */
const ATX = /^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/;
/** A setext underline: the line above is a heading (`===` level 1, `---` level 2). */
const SETEXT = /^(=+|-+)[ \t]*$/;
/** The longest first line still read as a title. */
const TITLE_MAX_CHARS = 80;

/**
 * Plain text: paragraphs separated by blank lines, and the Markdown-style headings people write in text
 * files (`# Setup`, or a line underlined with `===` / `---`) as sections. The title is the first heading,
 * else a first line that reads as one (short, alone in its paragraph, not a sentence), else the file's.
 */
export function convertPlainText(source: string, fallbackTitle: string): StructuredDocument {
  const paragraphs = source
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/);
  const blocks: Block[] = [];
  for (const paragraph of paragraphs) {
    let text: string[] = [];
    const flush = () => {
      const joined = collapseWhitespace(text.join('\n'));
      if (joined) blocks.push({ kind: 'text', text: joined });
      text = [];
    };
    const lines = paragraph.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const atx = ATX.exec(line);
      const underline = lines[i + 1] !== undefined ? SETEXT.exec(lines[i + 1]!) : null;
      if (atx) {
        flush();
        blocks.push({ kind: 'heading', level: atx[1]!.length, text: collapseWhitespace(atx[2]!) });
      } else if (underline && line.trim() && text.length === 0) {
        blocks.push({
          kind: 'heading',
          level: underline[1]!.startsWith('=') ? 1 : 2,
          text: collapseWhitespace(line),
        });
        i++;
      } else text.push(line);
    }
    flush();
  }
  const heading = blocks.find((b) => b.kind === 'heading');
  return { title: heading?.text ?? firstLineTitle(blocks) ?? fallbackTitle, blocks };
}

/** A first paragraph of one short line, not ending like a sentence, with more text after it: a title. */
function firstLineTitle(blocks: Block[]): string | undefined {
  const [first, second] = blocks;
  if (!first || !second || first.kind !== 'text') return undefined;
  const line = first.text;
  if (line.includes('\n') || line.length > TITLE_MAX_CHARS || /[.,;:!?]$/.test(line)) return undefined;
  return line;
}
